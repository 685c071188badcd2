"""An object store that remembers the sha256 of what it writes.

Staging writes each resource's renderings through one and records the digests in its
report, so that publication compares them with CKAN's `hash` without reading the files.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from connectors.objectstore import ObjectStore, StoredObject


class DigestingStore:
    """Another store's methods, with `sha256`: key -> digest of each object written through it."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self.sha256: dict[str, str] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream",
                  metadata: dict[str, str] | None = None) -> StoredObject:
        self.sha256[key] = hashlib.sha256(data).hexdigest()
        return self.store.put_bytes(key, data, content_type, metadata)

    def put_file(self, key: str, path: Path | str, content_type: str = "application/octet-stream",
                 metadata: dict[str, str] | None = None) -> StoredObject:
        with open(path, "rb") as file:
            self.sha256[key] = hashlib.file_digest(file, "sha256").hexdigest()
        return self.store.put_file(key, path, content_type, metadata)
