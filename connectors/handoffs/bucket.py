"""What the stages need of an object store, as a protocol.

Both the minio-backed `connectors.objectstore.ObjectStore` and `MemoryObjectStore` satisfy
it (so does `DigestingStore`, which forwards to another store): stages annotate with
`Bucket`, so gathering -> staging -> publication runs on the in-memory one in unit tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from connectors.objectstore import StoredObject


@runtime_checkable
class Bucket(Protocol):
    """One bucket: bytes, files and JSON documents by key, with S3's semantics (a put
    overwrites, removing an absent key is not an error, listing is recursive)."""

    bucket: str  # its name: inbox drops are addressed as s3://<bucket>/inbox/...

    def exists(self, key: str) -> bool: ...

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream",
                  metadata: dict[str, str] | None = None) -> StoredObject: ...

    def put_if_absent(self, key: str, data: bytes, content_type: str = "application/octet-stream",
                      metadata: dict[str, str] | None = None) -> bool: ...

    def get_bytes(self, key: str) -> bytes: ...

    def put_file(self, key: str, path: Path | str, content_type: str = "application/octet-stream",
                 metadata: dict[str, str] | None = None) -> StoredObject: ...

    def get_file(self, key: str, path: Path | str) -> int: ...

    def put_json(self, key: str, value: Any) -> None: ...

    def get_json(self, key: str, default: Any = None) -> Any: ...

    def remove(self, key: str) -> None: ...

    def list(self, prefix: str) -> Iterator[StoredObject]: ...
