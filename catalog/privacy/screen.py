"""Screen a frame for personal data (RGPD) before it is published openly.

Detectors run on the distinct values of each column with their cell counts,
so a column of a million cells with a few hundred distinct values costs a few
hundred regex matches. When nearly every cell differs (SIRETs, references), every
cell first goes through each check's cheap test, vectorised, and only the cells
that pass are grouped: every cell is still looked at. A finding carries its
evidence: the column, the kind, how many cells, and masked examples.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import polars as pl

from catalog.privacy.detectors import DETECTORS, Detector, names_organisation_identifier
from catalog.privacy.masking import mask_name
from catalog.privacy.names import NameTally, could_be_name, name_tally, weigh_names

MAX_EXAMPLES = 3
# A decimal number with 4+ digits after its separator; phones written with dots
# ('01.23.45.67.89') and dotted NIRs have groups of 2 or 3 digits.
_DECIMAL_FRACTION = r"[0-9]*[.,][0-9]{4,}"
_KINDS = (*(detector.kind for detector in DETECTORS), "name")  # the order findings are listed in
# Up to this many rows, one query first asks which detectors can match at all: it spares a
# query per column and detector, most of the screening of a small file. Above, those
# queries' fixed cost is small beside the data, and the extra pass would cost more (1,000,000
# rows of 7 columns: 0.20 s with it, 0.125 s without).
PREFILTER_ROWS = 10_000
# Rows of the evenly spread sample that tells whether a column's values are mostly distinct.
SAMPLE_ROWS = 10_000


@dataclass(frozen=True)
class Finding:
    column: str
    kind: str  # email | phone | nir | iban | card | name
    count: int  # cells holding at least one such value
    examples: tuple[str, ...]  # masked, e.g. "j***@exemple.fr"


def screen(frame: pl.DataFrame, *, ignore_columns: Iterable[str] = ()) -> list[Finding]:
    return screen_batches([frame], ignore_columns=ignore_columns)


def screen_batches(frames: Iterable[pl.DataFrame], *, ignore_columns: Iterable[str] = ()) -> list[Finding]:
    """The findings of `screen` on the table these batches of rows make up, holding one
    batch at a time: counts add up, examples and shares are those of the whole table."""
    ignored = set(ignore_columns)
    columns: list[str] = []
    tallies: dict[tuple[str, str], _Hits | NameTally] = {}
    for frame in frames:
        columns = columns or frame.columns
        screened = {c: dtype for c, dtype in frame.schema.items() if c not in ignored and _screenable(dtype)}
        possible = (_possible_detectors(frame, screened) if frame.height <= PREFILTER_ROWS
                    else {column: _applicable(column, dtype) for column, dtype in screened.items()})
        for column, dtype in screened.items():
            for kind, tally in _column_tallies(frame, column, dtype, possible[column]):
                earlier = tallies.get((column, kind))
                tallies[(column, kind)] = tally if earlier is None else earlier + tally
    findings = (_finding(column, kind, tallies.get((column, kind))) for column in columns for kind in _KINDS)
    return [finding for finding in findings if finding is not None]


@dataclass(frozen=True)
class _Hits:
    """A detector's hits in some rows of a column; the hits of batches add up (`+`)."""

    count: int  # cells holding at least one such value
    # (token, masked) for the first token, in token order, of each of the first masked
    # forms: enough for the examples of the whole table to be those `screen` shows.
    examples: tuple[tuple[str, str], ...]

    def __add__(self, other: _Hits) -> _Hits:
        return _Hits(self.count + other.count, _first_masks(sorted(self.examples + other.examples)))


def _first_masks(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    kept: dict[str, tuple[str, str]] = {}
    for token, masked in pairs:
        kept.setdefault(masked, (token, masked))
        if len(kept) == MAX_EXAMPLES:
            break
    return tuple(kept.values())


def _applicable(column: str, dtype: pl.DataType) -> list[Detector]:
    textual = _textual(dtype)
    numeric_allowed = not names_organisation_identifier(column)
    return [
        detector
        for detector in DETECTORS
        if (numeric_allowed or not detector.numeric) and (textual or detector.numeric)
    ]


def _textual(dtype: pl.DataType) -> bool:
    return dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum))


def _possible_detectors(frame: pl.DataFrame, screened: dict[str, pl.DataType]) -> dict[str, list[Detector]]:
    """Per column, the detectors whose cheap cell test some cell passes, in one query.

    A detector whose test no cell passes finds nothing there (its hint implies the test):
    asking the whole frame at once spares a query per column and detector, which was most
    of the screening of a small file (a 4-column file: 5 to 20 queries, now 1 and a few)."""
    applicable = {column: _applicable(column, dtype) for column, dtype in screened.items()}
    tests = [
        pl.col(column).cast(pl.String).str.contains(detector.cell_test).any().alias(f"{column}\x00{index}")
        for column, detectors in applicable.items()
        for index, detector in enumerate(detectors)
    ]
    passed = frame.select(tests).row(0, named=True) if tests and frame.height else {}
    return {
        column: [d for index, d in enumerate(detectors) if passed.get(f"{column}\x00{index}")]
        for column, detectors in applicable.items()
    }


def _column_tallies(frame: pl.DataFrame, column: str, dtype: pl.DataType,
                    detectors: list[Detector]) -> Iterator[tuple[str, _Hits | NameTally]]:
    """`detectors`: those that may find something in the column (`_possible_detectors`)."""
    textual = _textual(dtype)
    cells = frame.height - frame.get_column(column).null_count()
    if cells == 0 or not (detectors or textual):
        return
    distinct = _distinct_values(frame, column, detectors, names=textual)
    for detector in detectors:
        hits = _detect(distinct, detector)
        if hits is not None:
            yield detector.kind, hits
    if textual:
        yield "name", name_tally(column, distinct, total=cells)


def _finding(column: str, kind: str, tally: _Hits | NameTally | None) -> Finding | None:
    if isinstance(tally, _Hits):
        return Finding(column, kind, tally.count, tuple(masked for _, masked in tally.examples))
    evidence = weigh_names(column, tally) if tally is not None else None
    if evidence is None:
        return None
    examples = tuple(dict.fromkeys(mask_name(example) for example in evidence.examples))[:MAX_EXAMPLES]
    return Finding(column, "name", evidence.count, examples)


def _screenable(dtype: pl.DataType) -> bool:
    # Integers are screened too: a NIR or a card number read as a number is still one.
    return dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum)) or dtype.is_integer()


def _distinct_values(frame: pl.DataFrame, column: str, detectors: list[Detector], *, names: bool) -> pl.DataFrame:
    """`value` and `cells` (how many cells hold it): every distinct value when values repeat,
    else those of the cells that pass a detector's `cell_test` or `could_be_name`.

    Grouping a million different values costs several times more than testing each cell with
    a few cheap regexes: a column of SIRETs, tested for '@' and for name-like text, groups no
    cell at all. A test depends on the value alone, so a value kept keeps all its cells and
    the checks see the same values with the same counts: only the order of work differs.
    """
    values = frame.lazy().select(pl.col(column).cast(pl.String).alias("value")).drop_nulls()
    if _mostly_distinct(frame.get_column(column)):
        value = pl.col("value")
        tests = [value.str.contains(test) for test in dict.fromkeys(detector.cell_test for detector in detectors)]
        if names:
            tests.append(could_be_name(value))
        values = values.filter(pl.any_horizontal(tests))
    return values.group_by("value").agg(pl.len().alias("cells")).collect()


def _mostly_distinct(column: pl.Series) -> bool:
    """Whether most values differ, on an evenly spread sample: it only chooses the order of work."""
    sample = column.gather_every(max(1, column.len() // SAMPLE_ROWS)).drop_nulls()
    return sample.n_unique() > sample.len() // 10


def _detect(distinct: pl.DataFrame, detector: Detector) -> _Hits | None:
    text = pl.col("value")
    if detector.numeric:
        # Digits after a decimal point ('0.4111111111111111') are no identifier.
        text = text.str.replace_all(_DECIMAL_FRACTION, " ")
    hits = (
        distinct.lazy()
        .filter(pl.col("value").str.contains(detector.hint))
        .with_columns(text.str.extract_all(detector.candidates).alias("token"))
        .explode("token")
        .filter(pl.col("token").is_not_null())
        .filter(detector.is_personal(pl.col("token")).fill_null(False))
        .collect()
    )
    if hits.height == 0:
        return None
    count = int(hits.unique("value")["cells"].sum())
    tokens = hits["token"].unique().sort()
    return _Hits(count, _first_masks((token, detector.mask(token)) for token in tokens))
