"""A normalised table and the two files the hub makes of it: Parquet to store, CSV to republish."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    import pyarrow as pa

# A spreadsheet opening the republished CSV runs a cell starting with one of these as a
# formula (OWASP ASVS 1.2.10): such text cells get a leading apostrophe.
FORMULA_START = r"^[=+\-@\t\x00]"
ORIGINAL_NAME = "original_name"  # Parquet field metadata key
REPORT_KEY = "tdh.normalisation"  # Parquet file metadata key: the whole report, as JSON
# Arrow's own default level: staged files are rewritten when pooled, so writing fast
# matters more than the 15 % of bytes level 3 would save (for 50 % more CPU).
ZSTD_LEVEL = 1


@dataclass
class NormalisedTable:
    """A member's file as a typed frame, with the report of what was detected and changed.

    `report` keys: format, encoding, delimiter, rows, columns ([{name, original, type}]),
    changes ([{kind, column, count, detail}]), plus format-specific ones (quote,
    header_line, sheet).
    """

    frame: pl.DataFrame
    report: dict

    def to_parquet(self) -> bytes:
        """Parquet (zstd); each field keeps its original name in its metadata."""
        buffer = io.BytesIO()
        write_parquet(self.frame.lazy(), buffer, self.report)
        return buffer.getvalue()

    def to_csv(self) -> bytes:
        """UTF-8 CSV with commas, formula-like text neutralised, numbers left as numbers."""
        return safe_csv(self.frame)


def safe_csv(frame: pl.DataFrame) -> bytes:
    """Every CSV the hub publishes: UTF-8, commas, text cells starting with = + - @, tab or
    NUL prefixed with ' so a spreadsheet never runs them (OWASP ASVS 1.2.10)."""
    # Only the columns that hold such a cell are rewritten; the CSV goes straight to bytes
    # (write_csv() to a str, then encode, would copy a large table twice).
    risky = formula_columns(frame)
    buffer = io.BytesIO()
    (frame.with_columns(neutralise_formulas(risky)) if risky else frame).write_csv(buffer)
    return buffer.getvalue()


def formula_columns(frame: pl.DataFrame) -> list[str]:
    """The text columns holding at least one cell a spreadsheet would run as a formula."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not text or not frame.height:
        return []
    found = frame.select(pl.col(text).str.contains(FORMULA_START).any()).row(0, named=True)
    return [name for name, risky in found.items() if risky]


def neutralise_formulas(columns: list[str]) -> list[pl.Expr]:
    """What `safe_csv` does to those columns, as expressions (for a streamed CSV too)."""
    return [pl.when(pl.col(c).str.contains(FORMULA_START)).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c))
            .alias(c) for c in columns]


def write_parquet(frame: pl.LazyFrame, target: str | Path | IO[bytes], report: dict) -> None:
    """Write (streaming when `frame` is a file scan) with the originals in the metadata."""
    frame.sink_parquet(
        target,
        compression="zstd",
        compression_level=ZSTD_LEVEL,
        metadata={REPORT_KEY: json.dumps(report, ensure_ascii=False)},
        arrow_schema=_schema_with_originals(frame.collect_schema(), report),
    )


def _schema_with_originals(schema: pl.Schema, report: dict) -> pa.Schema:
    # Imported here: pyarrow (and numpy) take longer to import than reading most CSVs, and
    # `tdh inspect` without --out writes nothing.
    import pyarrow as pa

    originals = {column["name"]: column["original"] for column in report["columns"]}
    arrow = pl.DataFrame(schema=schema).to_arrow().schema
    return pa.schema(field.with_metadata({ORIGINAL_NAME: originals.get(field.name) or field.name}) for field in arrow)


def type_name(dtype: pl.DataType) -> str:
    """TableSchema type of a polars dtype, as the report states it."""
    if dtype == pl.String:
        return "string"
    if dtype.is_integer():
        return "integer"
    if dtype.is_float() or dtype.is_decimal():
        return "number"
    if dtype == pl.Boolean:
        return "boolean"
    if dtype == pl.Date:
        return "date"
    if dtype == pl.Datetime:
        return "datetime"
    if dtype == pl.Time:
        return "time"
    if dtype == pl.List or dtype == pl.Array:
        return "array"
    if dtype == pl.Struct:
        return "object"
    return "any"
