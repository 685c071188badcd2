"""Delimiter, quote character and header row of a CSV file, sniffed from its first lines.

Members export with `;` (French Excel, because `,` is the decimal mark), `,`, tab or `|`.
The delimiter is the one that splits the sample into rows of the most regular width; the
parse is quote-aware, so cells holding the delimiter or line breaks do not mislead it.
Files often open with a title or a blank line before the real header: the header is the
first row filled like the data rows.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice

DELIMITERS = (";", ",", "\t", "|")
QUOTES = ('"', "'")
SAMPLE_ROWS = 200
# A header cell is a name; a data cell is often a number, a date or a code.
_DATA_LIKE = re.compile(r"^[-+]?[\d\s.,/:%€]+$")


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    quote: str
    header_line: int  # physical lines before the header row (title, blank lines)
    has_header: bool


def sniff_dialect(sample: str, *, complete: bool = True) -> Dialect:
    """Sniff from decoded text; `complete` when the sample is the whole file.

    Each delimiter and quote pair is scored by: does it split rows at all, how regular
    are the row widths (a decimal comma splits rows, but not the header), how many
    columns, does its header row look like names.
    """
    if not complete:
        # The last line of a partial sample is cut anywhere.
        sample = sample[: sample.rfind("\n") + 1] or sample
    candidates = [_candidate(sample, delimiter, quote) for quote in QUOTES for delimiter in DELIMITERS]
    return max(candidates, key=lambda candidate: candidate[0])[1]


def _candidate(sample: str, delimiter: str, quote: str) -> tuple[tuple, Dialect]:
    rows = _rows(sample, delimiter, quote)
    if not rows:
        return (False, 0.0, 0, False), Dialect(delimiter, quote, 0, False)
    widths = Counter(len(cells) for _, cells in rows)
    width, count = widths.most_common(1)[0]
    header = header_index([cells for _, cells in rows])
    has_header = looks_like_header(rows[header][1])
    score = (width > 1, count / len(rows), width, has_header)
    return score, Dialect(delimiter, quote, rows[header][0], has_header)


def _rows(sample: str, delimiter: str, quote: str) -> list[tuple[int, list[str]]]:
    """Rows with the number of physical lines before each."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, quotechar=quote)
    rows: list[tuple[int, list[str]]] = []
    line = 0
    try:
        for cells in islice(reader, SAMPLE_ROWS):
            if any(cell.strip() for cell in cells):
                rows.append((line, cells))
            line = reader.line_num
    except csv.Error:
        pass
    return rows


def header_index(rows: Sequence[Sequence[str | None]]) -> int:
    """Index of the first row filled like most rows: a title or a note above fills one cell.

    Measured against the usual row, not the widest, so that one overlong row further down
    does not turn the header and the first rows into "titles".
    """
    filled = [sum(1 for cell in row if cell is not None and cell.strip()) for row in rows]
    if not any(filled):
        return 0
    usual = Counter(count for count in filled if count).most_common(1)[0][0]
    needed = max(1, min(2, usual), (usual + 1) // 2)
    return next(index for index, count in enumerate(filled) if count >= needed)


def looks_like_header(cells: Sequence[str | None]) -> bool:
    """A header holds at least one name; a row of numbers, dates and codes is data.

    Years as column names ("Commune;2019;2020") are a header: one name is enough.
    """
    values = [cell.strip() for cell in cells if cell is not None and cell.strip()]
    return not values or not all(_DATA_LIKE.match(value) for value in values)
