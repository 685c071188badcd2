"""First cut: CSV only, UTF-8 or Windows-1252, sniffed delimiter, simple typing."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass

import polars as pl

IDENTIFIER_NAMES = re.compile(
    r"(^|_)(siren|siret|insee|code_commune|code_postal|cp|epci|cog|id|code)(_|$)"
)


class UnreadableFile(ValueError):
    """The file cannot be read as a table; the message names the file and the cause."""

    def __init__(self, filename: str, cause: str) -> None:
        super().__init__(f"{filename}: {cause}")
        self.filename = filename
        self.cause = cause


@dataclass
class NormalisedTable:
    frame: pl.DataFrame
    report: dict

    def to_parquet(self) -> bytes:
        buffer = io.BytesIO()
        self.frame.write_parquet(buffer, compression="zstd")
        return buffer.getvalue()

    def to_csv(self) -> bytes:
        frame = self.frame.with_columns(
            pl.when(pl.col(pl.String).str.contains(r"^[=+\-@\t\x00]"))
            .then("'" + pl.col(pl.String))
            .otherwise(pl.col(pl.String))
            .name.keep()
        )
        return frame.write_csv().encode("utf-8")


def snake_case(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_") or "column"


def read_table(data: bytes, filename: str, *, declared_format: str | None = None) -> NormalisedTable:
    if not data.strip():
        raise UnreadableFile(filename, "empty file")
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = data.decode("cp1252", errors="replace"), "windows-1252"
    try:
        delimiter = csv.Sniffer().sniff(text[:20000], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    frame = pl.read_csv(io.StringIO(text).read().encode(), separator=delimiter, infer_schema=False)
    originals = frame.columns
    frame.columns = [snake_case(c) for c in originals]
    columns = []
    for name in frame.columns:
        series = frame[name]
        if not IDENTIFIER_NAMES.search(name):
            cleaned = series.str.strip_chars().str.replace(",", ".", literal=True)
            cleaned = pl.when(cleaned.is_in(["", "N/A", "-"])).then(None).otherwise(cleaned)
            cast = frame.select(cleaned.alias(name).cast(pl.Float64, strict=False)).to_series()
            if cast.null_count() == frame.select(cleaned.is_null().sum()).item():
                frame = frame.with_columns(cast)
        columns.append(name)
    report = {
        "format": "csv",
        "encoding": encoding,
        "delimiter": delimiter,
        "rows": frame.height,
        "columns": [
            {"name": n, "original": o, "type": str(frame[n].dtype)}
            for n, o in zip(frame.columns, originals, strict=True)
        ],
        "changes": [],
    }
    return NormalisedTable(frame, report)
