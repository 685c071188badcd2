"""The hub's S3 bucket, through plain S3 calls of the `minio` client.

Keys are built only from validated parts (slugs, sha256 digests, known extensions), so no
remote value can write outside its prefix (CKAN CVE-2023-32321 came from crafted ids).
Raw bytes are content-addressed and written once: nothing later can lose what was fetched.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from minio import Minio
from minio.error import S3Error

from connectors.outages import reaching

SAFE_PART = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,127}$")
DOWNLOAD_CHUNK = 1024 * 1024
EXTENSIONS = {"csv", "json", "geojson", "xlsx", "ods", "parquet", "zip", "xml", "txt", "bin"}


class UnsafeKey(ValueError):
    """A key part that could escape its prefix or is not a known shape."""


def object_key(*parts: str) -> str:
    """Join validated parts into a key; refuse anything that is not a plain slug."""
    for part in parts:
        if not SAFE_PART.match(part) or ".." in part:
            raise UnsafeKey(f"unsafe object key part {part!r}")
    return "/".join(parts)


def extension_for(format_or_name: str) -> str:
    guess = format_or_name.lower().rsplit(".", 1)[-1].strip()
    return guess if guess in EXTENSIONS else "bin"


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    etag: str
    last_modified: str = ""  # ISO 8601; changes on every upload, even of identical bytes


class ObjectStore:
    """One bucket of an S3-compatible store."""

    def __init__(self, client: Minio, bucket: str, endpoint: str = ""):
        self.client = client
        self.bucket = bucket
        self.endpoint = endpoint  # host:port, named when the store does not answer

    def _reaching(self):
        """A dead store is reported as one, with its address and bucket (connectors.outages)."""
        return reaching("S3", f"{self.endpoint or 'endpoint ?'}, bucket {self.bucket}")

    @classmethod
    def connect(
        cls, endpoint: str, access_key: str, secret_key: str, bucket: str, secure: bool = False
    ) -> ObjectStore:
        store = cls(Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure), bucket,
                    f"{'https' if secure else 'http'}://{endpoint}")
        with store._reaching():
            if not store.client.bucket_exists(bucket):
                store.client.make_bucket(bucket)
        return store

    @classmethod
    def from_environment(cls) -> ObjectStore:
        """The hub's bucket from HUB_S3_* (command-line tools; Dagster uses its resource)."""
        env = os.environ
        return cls.connect(env["HUB_S3_ENDPOINT"], env["HUB_S3_ACCESS_KEY"], env["HUB_S3_SECRET_KEY"],
                           env["HUB_S3_BUCKET"])

    def exists(self, key: str) -> bool:
        try:
            with self._reaching():
                self.client.stat_object(self.bucket, key)
        except S3Error as exc:
            if exc.code in {"NoSuchKey", "NoSuchObject", "NotFound"}:
                return False
            raise
        return True

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream",
                  metadata: dict[str, str] | None = None) -> StoredObject:
        with self._reaching():
            result = self.client.put_object(
                self.bucket, key, io.BytesIO(data), len(data), content_type=content_type,
                metadata=metadata,
            )
        return StoredObject(key=key, size=len(data), etag=result.etag)

    def put_if_absent(self, key: str, data: bytes, content_type: str = "application/octet-stream",
                      metadata: dict[str, str] | None = None) -> bool:
        """Write an immutable object once; True when it was written now."""
        if self.exists(key):
            return False
        self.put_bytes(key, data, content_type, metadata)
        return True

    def get_bytes(self, key: str) -> bytes:
        with self._reaching():
            response = self.client.get_object(self.bucket, key)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

    def put_file(self, key: str, path: Path | str, content_type: str = "application/octet-stream",
                 metadata: dict[str, str] | None = None) -> StoredObject:
        """Upload a file from disk: minio sends it in parts, so memory holds a few parts
        whatever the file's size."""
        size = os.path.getsize(path)
        with open(path, "rb") as file, self._reaching():
            result = self.client.put_object(self.bucket, key, file, size, content_type=content_type,
                                            metadata=metadata)
        return StoredObject(key=key, size=size, etag=result.etag)

    def get_file(self, key: str, path: Path | str) -> int:
        """Download an object to a file, chunk by chunk; its size in bytes."""
        with self._reaching():
            response = self.client.get_object(self.bucket, key)
            size = 0
            try:
                with open(path, "wb") as file:
                    for chunk in response.stream(DOWNLOAD_CHUNK):
                        file.write(chunk)
                        size += len(chunk)
            finally:
                response.close()
                response.release_conn()
        return size

    def put_json(self, key: str, value: Any) -> None:
        data = json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, default=str).encode()
        self.put_bytes(key, data, "application/json")

    def get_json(self, key: str, default: Any = None) -> Any:
        if not self.exists(key):
            return default
        return json.loads(self.get_bytes(key))

    def remove(self, key: str) -> None:
        """Delete one object; deleting what is not there is not an error (S3 semantics)."""
        with self._reaching():
            self.client.remove_object(self.bucket, key)

    def list(self, prefix: str) -> Iterator[StoredObject]:
        # Lazy, page by page as minio fetches them; each page's request may find the store gone.
        listing = iter(self.client.list_objects(self.bucket, prefix=prefix, recursive=True))
        while True:
            with self._reaching():
                obj = next(listing, None)
            if obj is None:
                return
            yield StoredObject(key=obj.object_name, size=obj.size or 0, etag=(obj.etag or "").strip('"'),
                               last_modified=obj.last_modified.isoformat() if obj.last_modified else "")


class MemoryObjectStore(ObjectStore):
    """A bucket held in this process's memory, for unit tests and benchmarks.

    Same public methods, signatures and return values as `ObjectStore`, with S3's
    semantics: `put_bytes` overwrites, `remove` of an absent key is not an error, `list`
    is recursive and in key order, `get_json` gives `default` for an absent key, and
    `put_json` writes the very bytes the real store writes. ETags are the MD5 of the bytes
    (as S3 gives for a single PUT); `last_modified` is the time of the upload (UTC).

    Where the real store differs: `get_bytes` of an absent key raises `KeyError` (naming
    the key) where minio raises `S3Error` with code `NoSuchKey`; nothing in the hub catches
    that error, both mean a caller asked for what it should have checked. Writes are
    serialised by a lock, so `put_if_absent` is atomic (on S3 it is check-then-write).
    Content types and metadata are kept (`content_type(key)`, `metadata(key)`) for tests.
    There is no client: `connect` and `from_environment` are refused.
    """

    def __init__(self, bucket: str = "memory") -> None:
        self.client = None
        self.bucket = bucket
        # key -> (data, etag, last_modified, content_type, metadata)
        self._objects: dict[str, tuple[bytes, str, str, str, dict[str, str]]] = {}
        self._lock = threading.Lock()

    @classmethod
    def connect(cls, endpoint: str, access_key: str, secret_key: str, bucket: str,
                secure: bool = False) -> ObjectStore:
        raise TypeError("MemoryObjectStore has no server to connect to: use MemoryObjectStore(bucket)")

    @classmethod
    def from_environment(cls) -> ObjectStore:
        raise TypeError("MemoryObjectStore has no server to connect to: use MemoryObjectStore(bucket)")

    def exists(self, key: str) -> bool:
        return key in self._objects

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream",
                  metadata: dict[str, str] | None = None) -> StoredObject:
        data = bytes(data)
        etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
        with self._lock:
            self._objects[key] = (data, etag, datetime.now(UTC).isoformat(), content_type, dict(metadata or {}))
        return StoredObject(key=key, size=len(data), etag=etag)

    def put_if_absent(self, key: str, data: bytes, content_type: str = "application/octet-stream",
                      metadata: dict[str, str] | None = None) -> bool:
        """Write an immutable object once; True when it was written now."""
        with self._lock:
            if key in self._objects:
                return False
            data = bytes(data)
            self._objects[key] = (data, hashlib.md5(data, usedforsecurity=False).hexdigest(),
                                  datetime.now(UTC).isoformat(), content_type, dict(metadata or {}))
        return True

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._objects[key][0]
        except KeyError:
            raise KeyError(f"no object {key!r} in memory bucket {self.bucket!r}") from None

    def put_json(self, key: str, value: Any) -> None:
        super().put_json(key, value)

    def get_json(self, key: str, default: Any = None) -> Any:
        found = self._objects.get(key)
        return default if found is None else json.loads(found[0])

    def remove(self, key: str) -> None:
        """Delete one object; deleting what is not there is not an error (S3 semantics)."""
        with self._lock:
            self._objects.pop(key, None)

    def list(self, prefix: str) -> Iterator[StoredObject]:
        """The objects under `prefix`, in key order, as they were when the listing began."""
        with self._lock:
            found = sorted((key, entry) for key, entry in self._objects.items() if key.startswith(prefix))
        for key, (data, etag, last_modified, _, _) in found:
            yield StoredObject(key=key, size=len(data), etag=etag, last_modified=last_modified)

    def content_type(self, key: str) -> str:
        return self._objects[key][3]

    def metadata(self, key: str) -> dict[str, str]:
        return dict(self._objects[key][4])

    def put_file(self, key: str, path: Path | str, content_type: str = "application/octet-stream",
                 metadata: dict[str, str] | None = None) -> StoredObject:
        with open(path, "rb") as file:
            return self.put_bytes(key, file.read(), content_type, metadata)

    def get_file(self, key: str, path: Path | str) -> int:
        data = self.get_bytes(key)
        with open(path, "wb") as file:
            file.write(data)
        return len(data)
