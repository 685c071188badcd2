"""What a validation says: a per-row diagnostic table and a summary for the catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

ERRORS_SCHEMA = {
    "row": pl.Int64,  # 1-based data row as in the file, header excluded; null for the header
    "column": pl.String,
    "value": pl.String,
    "rule": pl.String,
    "message": pl.String,  # French, for the producer
}


@dataclass(frozen=True)
class ValidationResult:
    schema_name: str
    schema_version: str | None
    valid: bool
    error_count: int
    errors: pl.DataFrame  # columns of ERRORS_SCHEMA, ordered by row then field
    notes: tuple[str, ...] = ()  # what was not checked and why (unknown custom checks...)
    schema_iri: str | None = None  # what the dataset then conforms to (dct:conformsTo)

    def summary(self) -> dict[str, Any]:
        """The part that travels into the catalogue metadata."""
        return {
            "schema": self.schema_name,
            "version": self.schema_version,
            "valid": self.valid,
            "errors": self.error_count,
            "conforms_to": self.schema_iri,
        }
