"""The period a table covers, read from its own columns: the dataset's temporal coverage
(DCAT-AP dct:temporal), computed when the file is staged rather than typed by anyone.

Date and datetime columns give the first and last day; without any, integer columns named
as a year (`annee`, `bgt_annee`, `annee_bilan`, `year`, `exercice`) give 1 January of the
first year to 31 December of the last. Values outside 1900-2100 are left out: a placeholder
such as 9999-12-31 would stretch the period to nothing useful.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import polars as pl

YEAR_NAME = re.compile(r"(^|_)(annee|year|exercice|exer|millesime)(_|$)")
FIRST, LAST = 1900, 2100


def temporal_coverage(table: pl.LazyFrame) -> dict[str, str] | None:
    """{"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}, or None when no column says when."""
    schema = table.collect_schema()
    dated = [name for name, dtype in schema.items() if dtype == pl.Date or isinstance(dtype, pl.Datetime)]
    if dated:
        days = [pl.col(name).cast(pl.Date) for name in dated]
        bounds = (pl.date(FIRST, 1, 1), pl.date(LAST, 12, 31))
        kept = [pl.when(day.is_between(*bounds)).then(day) for day in days]
        found = table.select(start=pl.min_horizontal([k.min() for k in kept]),
                             end=pl.max_horizontal([k.max() for k in kept])).collect().row(0)
        return _period(*found)
    years = [name for name, dtype in schema.items() if dtype.is_integer() and YEAR_NAME.search(_plain(name))]
    if years:
        kept = [pl.when(pl.col(name).is_between(FIRST, LAST)).then(pl.col(name)) for name in years]
        first, last = table.select(start=pl.min_horizontal([k.min() for k in kept]),
                                   end=pl.max_horizontal([k.max() for k in kept])).collect().row(0)
        if first is not None and last is not None:
            return _period(date(first, 1, 1), date(last, 12, 31))
    return None


def _period(start: date | None, end: date | None) -> dict[str, str] | None:
    if start is None or end is None:
        return None
    return {"start": start.isoformat(), "end": end.isoformat()}


def _plain(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
