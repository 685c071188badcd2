"""Landing: fetch one remote resource and keep its raw bytes, once, with provenance.

The cheapest proof that nothing changed comes first:
0. the listing: when the source still declares the facts recorded at the last landing
   (same URL, and the same checksum or last-modified date), nothing is fetched at all;
1.-3. otherwise `connectors.changes` decides, in udata's order: conditional request (ETag,
   If-Modified-Since), then size, then sha256.
An unchanged resource writes no new raw object, so nothing downstream has work to do. Raw
objects are content-addressed: `raw/<member>/<sha256>.<ext>`, immutable; the provenance
record (`connectors.handoffs.Landing`) says where they came from and what the source said
about them.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.changes import conditional_validators, detect_change
from connectors.handoffs import Bucket, Landing, layout
from connectors.http import Fetched, FetchPolicy, expect_format, fetch, mask_url
from connectors.records import RemoteResource

UNCHANGED_BY_LISTING = "unchanged-by-listing"
# A portal that forgets to update a resource's metadata when its file is replaced in place
# would hide the change forever: past this age, the bytes are checked again (cheaply,
# with a conditional request) whatever the listing says.
LISTING_TRUSTED_FOR = timedelta(days=7)


class UnknownDrop(ValueError):
    """An inbox resource whose URL is not an object of the member's own inbox."""


def declared_facts(remote: RemoteResource) -> dict[str, Any]:
    """What the source's listing declares about a resource's bytes, as recorded."""
    return {
        "url": mask_url(remote.url),
        "size": remote.size,
        "checksum": remote.checksum,
        "last_modified": remote.last_modified.isoformat() if remote.last_modified else None,
    }


def vouched_by_listing(
    previous: dict | None, declared: dict[str, Any], now: datetime, trusted_for: timedelta = LISTING_TRUSTED_FOR
) -> bool:
    """Whether the listing alone proves the landed bytes are still current.

    Its facts must equal those of the last landing, and include a version (checksum or
    last-modified): a URL and a size say nothing about a file edited in place.
    """
    if not previous or previous.get("declared") != declared:
        return False
    if declared["checksum"] is None and declared["last_modified"] is None:
        return False
    fetched_at = previous.get("fetched_at")
    return fetched_at is not None and now - datetime.fromisoformat(fetched_at) < trusted_for


def land_bytes(
    store: Bucket, member: str, data: bytes, fmt: str, digest: str | None = None
) -> tuple[str, str, bool]:
    """Store bytes under their digest; returns (key, sha256, written_now)."""
    digest = digest or hashlib.sha256(data).hexdigest()
    key = layout.raw_key(member, digest, fmt)
    written = store.put_if_absent(key, data, metadata={"sha256": digest})
    return key, digest, written


def land_resource(
    store: Bucket,
    *,
    member: str,
    dataset: str,
    resource: str,
    remote: RemoteResource,
    policy: FetchPolicy,
    previous: dict | None = None,
    now: datetime | None = None,
    listing_trusted_for: timedelta = LISTING_TRUSTED_FOR,
) -> Landing:
    """Land the resource at `remote.url`, fetching it only when the listing cannot vouch
    for the bytes already landed, and conditionally when there are some."""
    now = now or datetime.now(UTC)
    confirmed = confirmed_by_listing(previous, remote, now, listing_trusted_for)
    if confirmed is not None:
        return confirmed
    declared = declared_facts(remote)
    fetched = fetch(remote.url, policy, **conditional_validators(previous), expected_format=remote.format or None)
    return _settle(store, member, dataset, resource, remote, declared, fetched, previous, now)


def land_drop(
    store: Bucket,
    *,
    member: str,
    dataset: str,
    resource: str,
    remote: RemoteResource,
    previous: dict | None = None,
    now: datetime | None = None,
    listing_trusted_for: timedelta = LISTING_TRUSTED_FOR,
) -> Landing:
    """Land a file a member dropped under `inbox/<member>/`: already in the hub's store,
    read from there. The object's ETag is its declared checksum."""
    now = now or datetime.now(UTC)
    prefix = f"s3://{store.bucket}/{layout.inbox_prefix(member)}"
    if not remote.url.startswith(prefix) or ".." in remote.url:
        raise UnknownDrop(f"{mask_url(remote.url)}: not an object under {prefix}")
    confirmed = confirmed_by_listing(previous, remote, now, listing_trusted_for)
    if confirmed is not None:
        return confirmed
    declared = declared_facts(remote)
    data = store.get_bytes(remote.url.removeprefix(f"s3://{store.bucket}/"))
    if remote.format:
        expect_format(data, remote.format, remote.url)
    fetched = Fetched(
        url=remote.url,
        final_url=remote.url,
        status=200,
        body=data,
        content_type=None,
        etag=remote.checksum,
        last_modified=None,
    )
    return _settle(store, member, dataset, resource, remote, declared, fetched, previous, now)


def confirmed_by_listing(
    previous: dict | None, remote: RemoteResource, now: datetime, trusted_for: timedelta = LISTING_TRUSTED_FOR
) -> Landing | None:
    """The last landing, confirmed by the listing alone (no request, no new object), or
    None when the bytes must be checked."""
    declared = declared_facts(remote)
    if not vouched_by_listing(previous, declared, now, trusted_for):
        return None
    kept = {name: previous.get(name) for name in Landing.__dataclass_fields__}
    return Landing(
        **{
            **kept,
            "http_status": UNCHANGED_BY_LISTING,
            "changed": False,
            "name": remote.name,
            "declared": declared,
            "detected_by": UNCHANGED_BY_LISTING,
            "checked_at": _iso(now),
        }
    )


def _settle(
    store: Bucket,
    member: str,
    dataset: str,
    resource: str,
    remote: RemoteResource,
    declared: dict[str, Any],
    fetched: Fetched,
    previous: dict | None,
    now: datetime,
) -> Landing:
    verdict = detect_change(previous, fetched)
    stamp = _iso(now)
    common = {
        "member": member,
        "dataset": dataset,
        "resource": resource,
        "source_url": mask_url(remote.url),  # provenance records may be shown: no tokens in them
        "fetched_at": stamp,
        "http_status": fetched.status,
        "format": remote.format,
        "name": remote.name,
        "declared": declared,
        "detected_by": verdict.reason,
        "checked_at": stamp,
    }
    if previous and not verdict.changed:
        return Landing(
            **common,
            # A 304 may omit the validators: the ones that matched are still the current ones.
            etag=fetched.etag or previous.get("etag"),
            last_modified=fetched.last_modified or previous.get("last_modified"),
            size=previous["size"],
            sha256=previous["sha256"],
            key=previous["key"],
            changed=False,
        )
    key, digest, _ = land_bytes(store, member, fetched.body, remote.format, verdict.sha256)
    return Landing(
        **common,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        size=len(fetched.body),
        sha256=digest,
        key=key,
        changed=True,
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")
