"""Normalising files too large for memory: CSV straight from disk to Parquet.

The text is transcoded to UTF-8 in chunks (polars reads only UTF-8) into a temporary
file beside the output, then polars scans it lazily: the first rows decide the column
types, one pass checks them on all rows, one more writes the Parquet file with the
streaming engine. Memory stays bounded by the chunk size and polars' batches, whatever
the file size (about 0.5 GB measured for 0.3 to 1.2 GB files, docs/benchmarks.md).
"""

from __future__ import annotations

import codecs
import tempfile
from collections.abc import Collection
from pathlib import Path

import polars as pl

from connectors.tabular.bounds import check_lines
from connectors.tabular.encoding import (
    Encoding,
    check_text,
    detect_encoding,
    might_be_double_encoded,
)
from connectors.tabular.errors import UnreadableFile, first_line
from connectors.tabular.grids import SNIFF_CHARACTERS, csv_grid
from connectors.tabular.normalise import normalise_grid
from connectors.tabular.read import detect_format, read_table
from connectors.tabular.table import write_parquet

DEFAULT_MEMORY_BUDGET = 256 * 1024 * 1024
CHUNK_BYTES = 16 * 1024 * 1024
SAMPLE_BYTES = 4 * SNIFF_CHARACTERS
_UTF8_CODECS = ("utf-8", "utf-8-sig")


def normalise_file(
    path_in: Path | str,
    path_out_parquet: Path | str,
    *,
    declared_format: str | None = None,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    keep_text: Collection[str] = (),
) -> dict:
    """Normalise any supported file to Parquet, streaming a CSV larger than the budget.

    Returns the normalisation report. Other formats are read in memory whatever their
    size: spreadsheets, JSON and Parquet files that large are not published as such.
    """
    path_in, path_out = Path(path_in), Path(path_out_parquet)
    with path_in.open("rb") as file:
        head = file.read(SAMPLE_BYTES)
    if path_in.stat().st_size > memory_budget and detect_format(head, path_in.name) == "csv":
        return normalise_csv_file(path_in, path_out, keep_text=keep_text)
    data = path_in.read_bytes()
    table = read_table(data, path_in.name, declared_format=declared_format, keep_text=keep_text)
    write_parquet(table.frame.lazy(), path_out, table.report)
    return table.report


def normalise_csv_file(
    path_in: Path | str,
    path_out_parquet: Path | str,
    *,
    filename: str | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    keep_text: Collection[str] = (),
) -> dict:
    """Normalise a CSV file of any size to Parquet (zstd) and return the report."""
    path_in, path_out = Path(path_in), Path(path_out_parquet)
    filename = filename or path_in.name
    size = path_in.stat().st_size
    with path_in.open("rb") as file:
        head = file.read(SAMPLE_BYTES)
    if not head or head.isspace():
        raise UnreadableFile(filename, "empty file")
    complete = len(head) == size
    encoding = detect_encoding(head, filename, complete=complete)
    sample = codecs.getincrementaldecoder(encoding.codec)(errors="replace").decode(head, complete)
    check_text(sample, filename)
    with tempfile.TemporaryDirectory(dir=path_out.parent, prefix=".normalise-") as work:
        utf8, encoding, suspect = _as_utf8(path_in, Path(work) / "utf8.csv", encoding, filename, chunk_bytes)
        grid = csv_grid(str(utf8), sample[:SNIFF_CHARACTERS], encoding, filename, complete=complete)
        try:
            normalisation = normalise_grid(
                grid.frame,
                grid.originals,
                header_in_grid=grid.header_in_grid,
                keep_text=keep_text,
                streaming=True,
                double_encoding_possible=suspect,
            )
            report = {
                "format": "csv",
                **grid.details,
                "rows": normalisation.rows,
                "columns": normalisation.columns,
                "changes": grid.changes + normalisation.changes,
                "streamed": True,
            }
            write_parquet(normalisation.frame, path_out, report)
        except pl.exceptions.ComputeError as error:
            raise UnreadableFile(filename, f"malformed CSV: {first_line(error)}") from None
    return report


def _as_utf8(
    path_in: Path, path_utf8: Path, encoding: Encoding, filename: str, chunk_bytes: int
) -> tuple[Path, Encoding, bool]:
    """The file itself when it is UTF-8 throughout, else a UTF-8 copy; and whether its
    text might hold double-encoded UTF-8.

    The encoding was guessed from the head of the file; a Windows-1252 byte further down
    means the whole file is Windows-1252 (UTF-8 files are not that mixed), so the copy is
    made again from the start.
    """
    if encoding.codec in _UTF8_CODECS:
        suspect = _utf8_suspect(path_in, chunk_bytes)
        if suspect is not None:
            return path_in, encoding, suspect
        encoding = Encoding("windows-1252", "cp1252")
    suspect = _transcode(path_in, path_utf8, encoding, filename, chunk_bytes)
    return path_utf8, encoding, suspect


def _utf8_suspect(path: Path, chunk_bytes: int) -> bool | None:
    """None when the file is not valid UTF-8, else whether it might be double-encoded."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    suspect, carried = False, 0
    with path.open("rb") as file:
        try:
            while chunk := file.read(chunk_bytes):
                decoder.decode(chunk)
                carried = check_lines(chunk, path.name, carried)
                suspect = suspect or might_be_double_encoded(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return None
    return suspect


def _transcode(path_in: Path, path_out: Path, encoding: Encoding, filename: str, chunk_bytes: int) -> bool:
    decoder = codecs.getincrementaldecoder(encoding.codec)()
    offset, suspect, carried = 0, False, 0
    with path_in.open("rb") as source, path_out.open("wb") as target:
        try:
            while chunk := source.read(chunk_bytes):
                utf8 = decoder.decode(chunk).encode("utf-8")
                carried = check_lines(utf8, filename, carried)
                suspect = suspect or might_be_double_encoded(utf8)
                target.write(utf8)
                offset += len(chunk)
            target.write(decoder.decode(b"", final=True).encode("utf-8"))
        except UnicodeDecodeError as error:
            position = offset + error.start
            raise UnreadableFile(filename, f"not valid {encoding.name} at byte {position}") from None
    return suspect
