"""Members-only datasets (`access: members`): who of the committee may read them in CKAN.

A members-only dataset is published private in its member's organization, which CKAN
shows to that organization's users only. The committee's other members read it as the
dataset's collaborators (CKAN's `ckan.auth.allow_dataset_collaborators`, capacity
`member`: read, never edit): every active user of the committee's organizations. The hub
owns that list: each publication sets it to exactly those users, so someone who left the
committee's organizations, or whom an organization admin added by hand, loses the access
on the next run. Nobody else, anonymous or another committee's user, is ever a
collaborator (docs/members-only.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ckanapi import CKANAPIError

READ_ONLY = "member"  # CKAN's collaborator capacity that reads a private dataset and nothing more
ORGANIZATION_BATCH = 25  # organizations listed with their users in one call


@dataclass
class Sharing:
    """What one publication changed in the members-only datasets' readers."""

    datasets: list[str] = field(default_factory=list)  # the members-only datasets looked after
    granted: list[str] = field(default_factory=list)  # "dataset: user"
    revoked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # "dataset: reason" (retried next run)


def committee_users(ckan, organizations: Iterable[str]) -> set[str]:
    """The ids of the active users of these organizations (the committee's and its
    members'), whatever their capacity there. Sysadmins are left out: they read
    everything anyway. One organization_list per ORGANIZATION_BATCH organizations."""
    names = list(organizations)
    users: set[str] = set()
    for start in range(0, len(names), ORGANIZATION_BATCH):
        batch = names[start:start + ORGANIZATION_BATCH]
        for org in ckan.action.organization_list(organizations=batch, all_fields=True, include_users=True,
                                                 limit=len(batch)):
            users |= {user["id"] for user in org.get("users", [])
                      if user.get("state", "active") == "active" and not user.get("sysadmin")}
    return users


def reader_changes(current: dict[str, str], wanted: set[str]) -> tuple[list[str], list[str]]:
    """(users to grant, users to revoke) so that the collaborators are exactly `wanted`
    as readers. `current` maps user id -> capacity; an editor or admin collaborator the
    hub did not make is brought down to a reader, or removed if not wanted."""
    grant = sorted(user for user in wanted if current.get(user) != READ_ONLY)
    revoke = sorted(set(current) - wanted)
    return grant, revoke


def share_with_members(ckan, datasets: Iterable[str], readers: set[str]) -> Sharing:
    """Make `readers` the exact collaborators of each members-only dataset."""
    result = Sharing(datasets=list(datasets))
    for name in result.datasets:
        try:
            listed = ckan.action.package_collaborator_list(id=name)
            current = {c["user_id"]: c["capacity"] for c in listed}
            grant, revoke = reader_changes(current, readers)
            for user in revoke:  # first: a reader too many is the leak
                ckan.action.package_collaborator_delete(id=name, user_id=user)
                result.revoked.append(f"{name}: {user}")
            for user in grant:
                ckan.action.package_collaborator_create(id=name, user_id=user, capacity=READ_ONLY)
                result.granted.append(f"{name}: {user}")
        except (CKANAPIError, OSError) as exc:  # one dataset's failure does not stop the others'
            result.failed.append(f"{name}: {type(exc).__name__}: {str(exc)[:300]}")
    return result
