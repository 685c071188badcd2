"""Bounds every reader holds, whatever a file's headers claim (SECURITY.md).

A file is read against counts made while reading it, never against what it says of itself:
a spreadsheet's cells and inflated bytes are counted as its XML is inflated (not taken from
the ZIP directory or the sheet's `<dimension>`), a CSV's columns from its header line, its
longest line from the bytes. Each bound is a setting (environment variable, with the
default below); a file past one is refused with a French message naming the file, the count
and the setting, and the other files go on.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, fields

from connectors.tabular.errors import UnreadableFile

_MIB = 1024 * 1024


@dataclass(frozen=True)
class ReaderBounds:
    max_bytes: int = 1024 * _MIB  # a file read in memory (tdh inspect, the in-memory path)
    max_columns: int = 1_000
    max_line_bytes: int = 16 * _MIB  # one physical line of a CSV
    max_sheet_cells: int = 20_000_000  # rows x columns a spreadsheet's cells span
    max_inflated_bytes: int = 512 * _MIB  # a spreadsheet's XML, all parts together
    max_json_bytes: int = 256 * _MIB  # a JSON or GeoJSON document (parsed whole, in memory)

    @classmethod
    def from_environment(cls) -> ReaderBounds:
        """`HUB_READER_MAX_COLUMNS=2000` and so on; the defaults otherwise."""
        values = {}
        for f in fields(cls):
            raw = os.environ.get(setting(f.name))
            if raw:
                values[f.name] = int(raw)
        return cls(**values)


def setting(name: str) -> str:
    return f"HUB_READER_{name.upper()}"


class BoundExceeded(UnreadableFile):
    """A file past one of the reader's bounds; nothing of it was kept."""

    def __init__(self, filename: str, what: str, count: int, bound: str) -> None:
        limit = getattr(current(), bound)
        super().__init__(filename,
                         f"{what} : {_n(count)} au-delà de la limite de {_n(limit)} (réglage {setting(bound)})")
        self.bound = bound


def _n(number: int) -> str:
    return f"{number:,}".replace(",", "\u202f")  # the French thousands separator


def current() -> ReaderBounds:
    return ReaderBounds.from_environment()


def check_size(size: int, filename: str, bound: str = "max_bytes", what: str = "taille du fichier (octets)") -> None:
    if size > getattr(current(), bound):
        raise BoundExceeded(filename, what, size, bound)


def check_columns(count: int, filename: str) -> None:
    if count > current().max_columns:
        raise BoundExceeded(filename, "nombre de colonnes", count, "max_columns")


def check_lines(data: bytes, filename: str, carried: int = 0) -> int:
    """Refuse a line longer than the bound; returns the length of the unfinished last line
    (pass it back as `carried` with the next chunk of a file read in chunks)."""
    bound = current().max_line_bytes
    start, room = 0, bound - carried  # how much longer the current line may grow
    # Jumps to the last newline within reach: a few C-level searches per bound's worth of
    # bytes, however many lines (a Python step per line would cost seconds on big files).
    while len(data) - start > room:
        last = data.rfind(b"\n", start, start + room + 1)
        if last < 0:
            raise BoundExceeded(filename, "longueur d'une ligne (octets, au moins)",
                                (carried if start == 0 else 0) + room + 1, "max_line_bytes")
        start, room = last + 1, bound
    last = data.rfind(b"\n", start)
    return len(data) - last - 1 if last >= 0 else (carried if start == 0 else 0) + len(data) - start


_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')
_ROW = re.compile(rb'<row r="([0-9]{1,7})"')


def check_spreadsheet_zip(data: bytes, filename: str) -> None:
    """Inflate every part of an XLSX or ODS, counting bytes as they come, and find the span
    of the cells each XLSX sheet really uses; refuse past a bound before any reader
    allocates for the sheet."""
    bounds = current()
    inflated = 0
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
            max_row = max_col = 0
            tail = b""
            try:
                with archive.open(info) as handle:
                    while piece := handle.read(_MIB):
                        inflated += len(piece)
                        if inflated > bounds.max_inflated_bytes:
                            raise BoundExceeded(filename, "contenu décompressé du classeur (octets)",
                                                inflated, "max_inflated_bytes")
                        if sheet:
                            window = tail + piece
                            for column, row in _CELL.findall(window):
                                max_col = max(max_col, _column_number(column))
                                max_row = max(max_row, int(row))
                            for row in _ROW.findall(window):
                                max_row = max(max_row, int(row))
                            tail = window[-64:]  # a reference cut between two pieces
            except (zipfile.BadZipFile, zlib.error, EOFError) as error:
                raise UnreadableFile(filename, f"damaged ZIP container: {error}") from None
            if sheet and max_row * max(max_col, 1) > bounds.max_sheet_cells:
                raise BoundExceeded(filename, f"cellules couvertes par la feuille {info.filename.rsplit('/', 1)[-1]}"
                                    f" ({_n(max_row)} lignes x {_n(max_col)} colonnes)", max_row * max_col,
                                    "max_sheet_cells")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number
