"""Read one member file, whatever its format, into a normalised table.

The format is taken from the content first (magic bytes, then the first character of
the text), the declared format and the file name only break ties: portals often label an
XLSX "csv" or serve an HTML error page under a .csv link.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Collection

import polars as pl

from connectors.tabular.bounds import check_lines, check_size, check_spreadsheet_zip
from connectors.tabular.encoding import decode, might_be_double_encoded
from connectors.tabular.errors import UnreadableFile, first_line
from connectors.tabular.grids import SNIFF_CHARACTERS, Grid, csv_grid, json_grid, spreadsheet_grid
from connectors.tabular.names import column_names
from connectors.tabular.normalise import change, normalise_grid
from connectors.tabular.table import ORIGINAL_NAME, NormalisedTable, type_name

__all__ = ["NormalisedTable", "UnreadableFile", "read_table", "detect_format"]

_NOT_TABLES = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x1f\x8b", "a gzip-compressed file (decompress it first)"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
)
_DECLARED = {
    "csv": "csv", "text/csv": "csv", "tsv": "csv", "txt": "csv", "text/plain": "csv",
    "xlsx": "xlsx", "xls": "xls", "ods": "ods", "json": "json", "application/json": "json",
    "geojson": "geojson", "application/geo+json": "geojson", "parquet": "parquet",
}  # fmt: skip


def read_table(
    data: bytes, filename: str, *, declared_format: str | None = None, keep_text: Collection[str] = ()
) -> NormalisedTable:
    """Read and normalise a file held in memory; raise UnreadableFile naming the cause.

    `keep_text`: columns (names as written or in snake_case) kept as text whatever they
    hold, typically the string fields of the TableSchema the file is validated against:
    in a field declared `^(\\d+|N/A)$`, "N/A" is a value, not a missing number.
    """
    check_size(len(data), filename)
    format_ = detect_format(data, filename)
    if format_ == "parquet":
        table = _parquet(data, filename)
    elif format_ in ("xlsx", "xls", "ods"):
        table = _from_grid(spreadsheet_grid(data, filename, format_), format_, filename, keep_text)
    else:
        text, encoding = decode(data, filename)
        if not text or text.isspace():
            raise UnreadableFile(filename, "empty file")
        utf8 = data if encoding.codec == "utf-8" else text.encode("utf-8")
        if format_ == "json":
            check_size(len(utf8), filename, "max_json_bytes", "taille du document JSON (octets)")
            grid, format_ = json_grid(text, filename)
        else:
            check_lines(utf8, filename)
            sample = text[:SNIFF_CHARACTERS]
            complete = len(sample) == len(text)
            grid = csv_grid(utf8, sample, encoding, filename, complete=complete)
        grid.details["encoding"] = encoding.name
        grid.double_encoding_possible = might_be_double_encoded(utf8)
        table = _from_grid(grid, format_, filename, keep_text)
    declared = _DECLARED.get((declared_format or "").strip().lower())
    table.report["declared_format"] = declared_format
    if declared and declared != format_ and {declared, format_} != {"json", "geojson"}:
        detail = f"declared {declared_format}, the content is {format_}"
        table.report["changes"].insert(0, change("format_mismatch", detail))
    return table


def detect_format(data: bytes, filename: str) -> str:
    """csv, json, xlsx, xls, ods or parquet, from the content; UnreadableFile for the rest."""
    if not data or data.isspace():
        raise UnreadableFile(filename, "empty file")
    if data.startswith(b"PAR1"):
        return "parquet"
    if data.startswith(b"PK\x03\x04"):
        return _zip_format(data, filename)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    for magic, what in _NOT_TABLES:
        if data.startswith(magic):
            raise UnreadableFile(filename, f"{what}, not a table")
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return "json" if start in (b"{", b"[") else "csv"


def _zip_format(data: bytes, filename: str) -> str:
    # XLSX and ODS are ZIP containers: the same size, ratio and name checks as any archive
    # before a spreadsheet reader inflates them. Imported here: the archive checks raise the
    # safe fetcher's errors, and loading the fetcher (urllib3) would slow every CSV read.
    from connectors.archives import UnsafeArchive, check_zip

    try:
        check_zip(data, filename)
    except UnsafeArchive as error:
        raise UnreadableFile(filename, str(error)) from None
    check_spreadsheet_zip(data, filename)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        mimetype = archive.read("mimetype") if "mimetype" in names else b""
    except (zipfile.BadZipFile, KeyError) as error:
        raise UnreadableFile(filename, f"damaged ZIP container: {error}") from None
    if b"opendocument.spreadsheet" in mimetype:
        return "ods"
    if "xl/workbook.xml" in names:
        return "xlsx"
    raise UnreadableFile(filename, "a ZIP archive, not a table (its files must be read one by one)")


def _from_grid(grid: Grid, format_: str, filename: str, keep_text: Collection[str]) -> NormalisedTable:
    if not grid.originals:
        raise UnreadableFile(filename, "no columns")
    try:
        normalisation = normalise_grid(
            grid.frame,
            grid.originals,
            header_in_grid=grid.header_in_grid,
            keep_text=keep_text,
            geometry_columns=grid.geometry_columns,
            double_encoding_possible=grid.double_encoding_possible,
        )
        frame = normalisation.frame.collect()
    except pl.exceptions.ComputeError as error:
        raise UnreadableFile(filename, f"malformed {format_.upper()}: {first_line(error)}") from None
    report = {
        "format": format_,
        **grid.details,
        "rows": normalisation.rows,
        "columns": normalisation.columns,
        "changes": grid.changes + normalisation.changes,
    }
    return NormalisedTable(frame, report)


def _parquet(data: bytes, filename: str) -> NormalisedTable:
    """Parquet is already typed: only the column names are normalised."""
    # Imported here: pyarrow (and numpy) take longer to import than reading most CSVs.
    import pyarrow.parquet as pq

    try:
        frame = pl.read_parquet(io.BytesIO(data))
        schema = pq.read_schema(io.BytesIO(data))
    except Exception as error:  # the Parquet readers raise several exception types
        raise UnreadableFile(filename, f"unreadable Parquet: {first_line(error)}") from None
    # A file the hub wrote keeps each column's original name in its field metadata.
    originals = [(field.metadata or {}).get(ORIGINAL_NAME.encode(), field.name.encode()).decode() for field in schema]
    frame.columns = column_names(frame.columns)
    columns = [
        {"name": name, "original": original, "type": type_name(dtype)}
        for (name, dtype), original in zip(frame.schema.items(), originals, strict=True)
    ]
    renamed = sum(1 for name, written in zip(frame.columns, schema.names, strict=True) if name != written)
    changes = [change("columns_renamed", "column names in snake_case ASCII", count=renamed)]
    report = {
        "format": "parquet",
        "encoding": None,
        "delimiter": None,
        "rows": frame.height,
        "columns": columns,
        "changes": changes if renamed else [],
    }
    return NormalisedTable(frame, report)
