"""Each file format read into a grid of text cells, before the shared normalisation.

Reading every format as text first (spreadsheets and JSON included) lets one set of
French parsing rules type them all: a spreadsheet's INSEE code stored as the number 1001
gets its zero back the same way as a CSV one, a JSON date string is parsed like a CSV one.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

import fastexcel
import polars as pl

from connectors.tabular.bounds import check_columns
from connectors.tabular.dialect import (
    SAMPLE_ROWS,
    Dialect,
    header_index,
    looks_like_header,
    sniff_dialect,
)
from connectors.tabular.encoding import Encoding
from connectors.tabular.errors import UnreadableFile, first_line
from connectors.tabular.normalise import change

SNIFF_CHARACTERS = 1 << 20


@dataclass
class Grid:
    """Text cells named by position, the header cells, and what reading them found."""

    frame: pl.LazyFrame
    originals: list[str | None]
    header_in_grid: bool
    details: dict = field(default_factory=dict)  # report keys of the format
    changes: list[dict] = field(default_factory=list)
    geometry_columns: tuple[int, ...] = ()  # GeoJSON geometries, kept as text
    double_encoding_possible: bool = True


def csv_grid(source: bytes | str, sample: str, encoding: Encoding, filename: str, *, complete: bool) -> Grid:
    """A CSV as UTF-8 bytes (in memory) or a UTF-8 file path (streaming)."""
    dialect = sniff_dialect(sample, complete=complete)
    _check_header_width(sample, dialect, filename)
    options = _csv_options(dialect)
    try:
        if isinstance(source, str):
            frame = pl.scan_csv(source, **options)
            head = frame.head(1).collect()
        else:
            head = pl.read_csv(source, **options)
            frame = head.lazy()
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as error:
        raise UnreadableFile(filename, f"malformed CSV: {first_line(error)}") from None
    originals = list(head.row(0)) if dialect.has_header and head.height else [None] * head.width
    details = {
        "encoding": encoding.name,
        "delimiter": dialect.delimiter,
        "quote": dialect.quote,
        "header_line": dialect.header_line,
    }
    changes = []
    if encoding.bom:
        changes.append(change("bom_removed", "byte order mark removed"))
    if dialect.header_line:
        detail = "lines above the header (title, notes, blank lines) skipped"
        changes.append(change("lines_before_header_skipped", detail, count=dialect.header_line))
    if not dialect.has_header:
        changes.append(change("no_header", "no header row: columns named by position"))
    return Grid(frame, originals, dialect.has_header, details, changes)


def _check_header_width(sample: str, dialect: Dialect, filename: str) -> None:
    """The column count from the header line, before polars allocates for every column."""
    lines = sample.splitlines()
    if len(lines) > dialect.header_line:
        cells = next(csv.reader([lines[dialect.header_line]], delimiter=dialect.delimiter,
                                quotechar=dialect.quote or '"'), [])
        check_columns(len(cells), filename)


def _csv_options(dialect: Dialect) -> dict:
    return {
        "has_header": False,
        "separator": dialect.delimiter,
        "quote_char": dialect.quote,
        "skip_lines": dialect.header_line,
        "infer_schema": False,
        "raise_if_empty": False,
    }


def spreadsheet_grid(data: bytes, filename: str, format_: str) -> Grid:
    """First sheet of an XLSX, XLS or ODS workbook (calamine reads all three)."""
    try:
        sheets = fastexcel.read_excel(data).sheet_names
        frame = pl.read_excel(
            io.BytesIO(data),
            sheet_id=1,
            has_header=False,
            infer_schema_length=0,
            drop_empty_rows=False,  # keep the sheet's row numbers for the report
            raise_if_empty=False,
        )
    except Exception as error:  # calamine raises its own exception types per format
        raise UnreadableFile(filename, f"unreadable {format_.upper()}: {first_line(error)}") from None
    if frame.height == 0:
        raise UnreadableFile(filename, f"the first sheet ({sheets[0]}) is empty")
    check_columns(frame.width, filename)
    rows = frame.head(SAMPLE_ROWS).rows()
    header = header_index(rows)
    has_header = looks_like_header(rows[header])
    frame = frame.slice(header)
    originals = list(frame.row(0)) if has_header else [None] * frame.width
    changes = []
    if header:
        detail = "rows above the header (title, notes) skipped"
        changes.append(change("lines_before_header_skipped", detail, count=header))
    if len(sheets) > 1:
        detail = f"only the first sheet is read; ignored: {', '.join(sheets[1:])}"
        changes.append(change("other_sheets_ignored", detail, count=len(sheets) - 1))
    details = {"encoding": None, "delimiter": None, "sheet": sheets[0], "header_line": header}
    return Grid(frame.lazy(), originals, has_header, details, changes)


def json_grid(text: str, filename: str) -> tuple[Grid, str]:
    """A list of records, `{"results": [...]}` (Opendatasoft) or a GeoJSON FeatureCollection."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise UnreadableFile(filename, f"invalid JSON: {error}") from None
    except RecursionError:
        raise UnreadableFile(filename, "JSON imbriqué sur plus de niveaux que le lecteur n'en suit"
                                       " (environ 1 000)") from None
    if isinstance(document, dict) and document.get("type") == "FeatureCollection":
        return _geojson_grid(document, filename), "geojson"
    records = document
    if isinstance(document, dict):
        records = next((document[key] for key in ("results", "data", "records") if key in document), None)
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise UnreadableFile(filename, "JSON without a list of records")
    return _records_grid(records, filename=filename), "json"


def _geojson_grid(document: dict, filename: str) -> Grid:
    features = document.get("features")
    if not isinstance(features, list) or not all(isinstance(f, dict) for f in features):
        raise UnreadableFile(filename, "GeoJSON FeatureCollection without a list of features")
    records = [dict(feature.get("properties") or {}) for feature in features]
    keys = _keys(records)
    # The geometry is kept whole, as GeoJSON text, in the last column.
    grid = _records_grid(records, keys, filename)
    geometries = [_cell(feature.get("geometry")) for feature in features]
    frame = grid.frame.with_columns(pl.Series(f"c{len(keys)}", geometries, dtype=pl.String))
    return Grid(frame, [*keys, "geometry"], False, grid.details, geometry_columns=(len(keys),))


def _keys(records: list[dict]) -> list[str]:
    return list(dict.fromkeys(key for record in records for key in record))


def _records_grid(records: list[dict], keys: list[str] | None = None, filename: str = "") -> Grid:
    keys = _keys(records) if keys is None else keys
    check_columns(len(keys), filename)
    columns = {
        f"c{index}": pl.Series([_cell(record.get(key)) for record in records], dtype=pl.String)
        for index, key in enumerate(keys)
    }
    return Grid(pl.DataFrame(columns).lazy(), list(keys), False, {"delimiter": None})


def _cell(value: object) -> str | None:
    """JSON value as the text a CSV would hold: strings as they are, the rest as JSON."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
