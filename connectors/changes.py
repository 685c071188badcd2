"""Has a resource changed since it was last landed? udata's order, cheapest proof first.

1. the conditional request: a 304 answer to If-None-Match / If-Modified-Since;
2. the size: a different byte count is a change, no hashing needed;
3. the sha256 of the bytes, against the digest of the last landing.
An unchanged resource must create no new raw object and trigger no downstream work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from connectors.http import Fetched

Reason = Literal["new", "not-modified", "size", "sha256", "same-sha256"]


class ChangeDetectionError(ValueError):
    """The fetch and the previous landing cannot be compared."""


@dataclass(frozen=True)
class ChangeVerdict:
    changed: bool
    reason: Reason  # which step decided
    size: int | None  # bytes received, None on a 304
    sha256: str | None  # hex digest, when the decision needed it (None after 304 or size)


def conditional_validators(previous: Mapping[str, Any] | None) -> dict[str, str | None]:
    """The keyword arguments of `connectors.http.fetch` that make the request conditional."""
    previous = previous or {}
    return {"etag": previous.get("etag"), "last_modified": previous.get("last_modified")}


def detect_change(previous: Mapping[str, Any] | None, fetched: Fetched) -> ChangeVerdict:
    """Compare a fetch with the provenance record of the last landing (`etag`,
    `last_modified`, `size`, `sha256`); `previous` is None for a first landing."""
    if fetched.not_modified:
        if not previous:
            raise ChangeDetectionError(f"{fetched.url}: 304 Not Modified but nothing was landed before")
        return ChangeVerdict(changed=False, reason="not-modified", size=None, sha256=None)
    size = len(fetched.body)
    if not previous:
        return ChangeVerdict(changed=True, reason="new", size=size, sha256=None)
    if previous.get("size") is not None and previous["size"] != size:
        return ChangeVerdict(changed=True, reason="size", size=size, sha256=None)
    digest = hashlib.sha256(fetched.body).hexdigest()
    if previous.get("sha256") != digest:
        return ChangeVerdict(changed=True, reason="sha256", size=size, sha256=digest)
    return ChangeVerdict(changed=False, reason="same-sha256", size=size, sha256=digest)
