"""Landing: fetch one remote resource and keep its raw bytes, once, with provenance.

Change detection follows udata's order: conditional request (ETag, If-Modified-Since),
then size, then sha256. An unchanged resource writes no new raw object, so nothing
downstream has work to do. Raw objects are content-addressed:
`raw/<member>/<sha256>.<ext>`, immutable; the provenance record says where they came from.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from connectors.http import FetchPolicy, fetch, mask_url
from connectors.objectstore import ObjectStore, extension_for, object_key


@dataclass(frozen=True)
class Landing:
    """Provenance of the raw bytes of one resource, as last seen."""

    member: str
    dataset: str  # the hub's dataset slug
    resource: str  # the hub's resource slug
    source_url: str
    fetched_at: str  # ISO 8601, UTC
    http_status: int
    etag: str | None
    last_modified: str | None
    size: int
    sha256: str
    key: str  # raw object key
    format: str
    changed: bool  # False when the bytes are the ones already landed
    name: str | None = None  # the resource's file name or title at the source

    def as_record(self) -> dict:
        return asdict(self)


def land_bytes(store: ObjectStore, member: str, data: bytes, fmt: str) -> tuple[str, str, bool]:
    """Store bytes under their digest; returns (key, sha256, written_now)."""
    digest = hashlib.sha256(data).hexdigest()
    key = object_key("raw", member, f"{digest}.{extension_for(fmt)}")
    written = store.put_if_absent(key, data, metadata={"sha256": digest})
    return key, digest, written


def land_resource(
    store: ObjectStore,
    *,
    member: str,
    dataset: str,
    resource: str,
    url: str,
    fmt: str,
    policy: FetchPolicy,
    previous: dict | None = None,
    name: str | None = None,
) -> Landing:
    """Fetch `url` (conditionally when a previous landing is known) and land it."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    fetched = fetch(
        url,
        policy,
        etag=(previous or {}).get("etag"),
        last_modified=(previous or {}).get("last_modified"),
    )
    if fetched.not_modified and previous:
        kept = {k: previous.get(k) for k in Landing.__dataclass_fields__}
        return Landing(**{**kept, "fetched_at": now, "http_status": 304, "changed": False, "name": name})
    key, digest, _ = land_bytes(store, member, fetched.body, fmt)
    changed = not previous or previous.get("sha256") != digest
    return Landing(
        member=member,
        dataset=dataset,
        resource=resource,
        source_url=mask_url(url),  # provenance records may be shown: no tokens in them
        fetched_at=now,
        http_status=fetched.status,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        size=len(fetched.body),
        sha256=digest,
        key=key,
        format=fmt,
        changed=changed,
        name=name,
    )
