"""One member, one partition: gathering, staging and publishing a member's datasets run per
member, so a slow portal or a failing file holds up, and is retried for, that member only.

The partitions are the committee's member slugs (a dynamic partitions definition, since the
committee file decides them); `sync_members` keeps them in step, called by `tdh run` and by
the `members_sensor` when the daemon runs the hub.
"""

import dagster as dg

MEMBERS = dg.DynamicPartitionsDefinition(name="members")
# Members a step handles side by side in a run over several (`tdh run`'s ranges): gathering
# mostly waits on the members' servers, an unchanged member's staging on its reports.
MEMBERS_AT_ONCE = 4


def sync_members(instance: dg.DagsterInstance, slugs: list[str]) -> tuple[list[str], list[str]]:
    """Add the committee's new members as partitions and delete those it no longer names;
    returns (added, removed). Their materializations stay in the instance's history."""
    known = instance.get_dynamic_partitions(MEMBERS.name)
    added = [s for s in slugs if s not in known]
    removed = [s for s in known if s not in slugs]
    if added:
        instance.add_dynamic_partitions(MEMBERS.name, added)
    for slug in removed:
        instance.delete_dynamic_partition(MEMBERS.name, slug)
    return added, removed


def member_requests(slugs: list[str], known: list[str]) -> list:
    """The same as `sync_members`, as requests a sensor returns."""
    requests = []
    added = [s for s in slugs if s not in known]
    removed = [s for s in known if s not in slugs]
    if added:
        requests.append(MEMBERS.build_add_request(added))
    if removed:
        requests.append(MEMBERS.build_delete_request(removed))
    return requests
