"""Where a declared TableSchema comes from: a file of the project or a URL.

URLs (schema.data.gouv.fr, a member's own) go through the safe fetcher like any other
remote content; paths are relative to the project, as committee files write them.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from catalog.validation import SchemaError, TableSchema, load_schema

if TYPE_CHECKING:
    from connectors.http import FetchPolicy

PROJECT_DIR = Path(__file__).resolve().parents[1]


def load_declared_schema(reference: str, base: Path = PROJECT_DIR, confined: bool = True) -> TableSchema:
    """`confined`: a committee file may only name schemas inside the project (no `..`)."""
    if reference.startswith(("http://", "https://")):
        # Imported here, as below: the safe fetcher pulls urllib3 in, which `tdh inspect` on
        # a local file with a local schema never needs.
        from connectors.http import FetchPolicy, fetch

        return load_schema(json.loads(fetch(reference, FetchPolicy(), expected_format="json").body))
    path = (base / reference).resolve()
    if confined and not path.is_relative_to(base.resolve()):
        raise SchemaError(f"{reference}: a declared schema must be a file of the project or an https URL")
    return load_schema(path)


def cached_remote_schema(url: str, version: str, cache_dir: Path | None = None,
                         policy: FetchPolicy | None = None) -> TableSchema:
    """A pinned schema.data.gouv.fr schema, fetched once through the safe fetcher.

    The version is pinned, so a cached copy never goes stale; a descriptor whose own
    `version` differs from the pin is refused rather than silently used."""
    cache_dir = cache_dir or Path(os.environ.get("HUB_CACHE_DIR") or Path.home() / ".cache" / "territorial-data-hub")
    cached = cache_dir / "schemas" / (hashlib.sha256(f"{url}@{version}".encode()).hexdigest()[:32] + ".json")
    if cached.is_file():
        return load_schema(json.loads(cached.read_text(encoding="utf-8")))
    from connectors.http import FetchPolicy, fetch

    descriptor = json.loads(fetch(url, policy or FetchPolicy(), expected_format="json").body)
    found = str(descriptor.get("version")) if isinstance(descriptor, dict) else None
    if found != version:
        raise SchemaError(f"{url}: the schema's version is {found!r}, the pack pins {version!r}")
    schema = load_schema(descriptor)
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    return schema
