"""Deterministic names: the same remote dataset always gets the same hub name.

CKAN's only hard guarantee is a unique `name`, so names come from the member and the
remote identity, never from titles (titles change; duplicates follow). Resource ids are
uuid5 of the dataset name and the resource role, so re-publishing updates in place
instead of piling up deleted resources (ckan #7119).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid

HUB_NAMESPACE = uuid.UUID("7b3f7c52-51b2-4d0e-9b8e-2f6a8a0c1d10")


def slugify(text: str, max_length: int = 60) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].strip("-")


def dataset_slug(member: str, remote_id: str) -> str:
    """`<member>-<remote id>` when the remote id is already a short slug, else a digest."""
    candidate = slugify(remote_id, max_length=200)
    if candidate != remote_id.lower() or len(candidate) > 48:
        candidate = hashlib.sha256(remote_id.encode()).hexdigest()[:12]
    return f"{member}-{candidate}"


def resource_slug(key: str) -> str:
    """A resource's slug inside its dataset, from its remote id or URL."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def resource_id(dataset_name: str, role: str) -> str:
    return str(uuid.uuid5(HUB_NAMESPACE, f"{dataset_name}/{role}"))
