"""Where a declared TableSchema comes from: a file of the project or a URL.

URLs (schema.data.gouv.fr, a member's own) go through the safe fetcher like any other
remote content; paths are relative to the project, as committee files write them.
"""

from __future__ import annotations

import json
from pathlib import Path

from catalog.validation import SchemaError, TableSchema, load_schema
from connectors.http import FetchPolicy, fetch

PROJECT_DIR = Path(__file__).resolve().parents[1]


def load_declared_schema(reference: str, base: Path = PROJECT_DIR, confined: bool = True) -> TableSchema:
    """`confined`: a committee file may only name schemas inside the project (no `..`)."""
    if reference.startswith(("http://", "https://")):
        return load_schema(json.loads(fetch(reference, FetchPolicy(), expected_format="json").body))
    path = (base / reference).resolve()
    if confined and not path.is_relative_to(base.resolve()):
        raise SchemaError(f"{reference}: a declared schema must be a file of the project or an https URL")
    return load_schema(path)
