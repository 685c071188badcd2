"""The hub's S3 bucket, through plain S3 calls of the `minio` client.

Keys are built only from validated parts (slugs, sha256 digests, known extensions), so no
remote value can write outside its prefix (CKAN CVE-2023-32321 came from crafted ids).
Raw bytes are content-addressed and written once: nothing later can lose what was fetched.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from minio import Minio
from minio.error import S3Error

SAFE_PART = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,127}$")
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

    def __init__(self, client: Minio, bucket: str):
        self.client = client
        self.bucket = bucket

    @classmethod
    def connect(
        cls, endpoint: str, access_key: str, secret_key: str, bucket: str, secure: bool = False
    ) -> ObjectStore:
        store = cls(Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure), bucket)
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
            self.client.stat_object(self.bucket, key)
        except S3Error as exc:
            if exc.code in {"NoSuchKey", "NoSuchObject", "NotFound"}:
                return False
            raise
        return True

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream",
                  metadata: dict[str, str] | None = None) -> StoredObject:
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
        response = self.client.get_object(self.bucket, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def put_json(self, key: str, value: Any) -> None:
        data = json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, default=str).encode()
        self.put_bytes(key, data, "application/json")

    def get_json(self, key: str, default: Any = None) -> Any:
        if not self.exists(key):
            return default
        return json.loads(self.get_bytes(key))

    def remove(self, key: str) -> None:
        """Delete one object; deleting what is not there is not an error (S3 semantics)."""
        self.client.remove_object(self.bucket, key)

    def list(self, prefix: str) -> Iterator[StoredObject]:
        for obj in self.client.list_objects(self.bucket, prefix=prefix, recursive=True):
            yield StoredObject(key=obj.object_name, size=obj.size or 0, etag=(obj.etag or "").strip('"'),
                               last_modified=obj.last_modified.isoformat() if obj.last_modified else "")
