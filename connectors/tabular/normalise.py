"""From a grid of text cells to a typed table, and the account of what was changed.

Each column's type is decided on a sample (its first rows), by counting how many cells
every French writing reads: integers, decimal comma, dd/mm/yyyy dates... Then one pass
over the whole file checks the decision (every non-null cell parses with the chosen
reader; an integer column has no code with a leading zero further down) and counts what
the report states; a column that fails the check is profiled again on all its rows. A
column gets a type only when every non-null cell parses, so no value is silently lost.

The passes are lazy queries: on a file scan they stream, so a file larger than memory
goes through them the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

from connectors.tabular import values as v
from connectors.tabular.encoding import MOJIBAKE, repair_double_encoding
from connectors.tabular.names import column_names

SAMPLE_ROWS = 10_000
_MOJIBAKE_KEYS = list(MOJIBAKE)
_DROP = "__tdh_drop"


@dataclass(frozen=True)
class ColumnPlan:
    """What one column becomes, and why."""

    name: str
    original: str
    type: str  # TableSchema vocabulary: string, integer, number, boolean, date, datetime
    decimal_comma: bool = False
    formats: tuple[str, ...] = ()  # date or datetime writings met (values.as_date/as_datetime)
    aware: bool = False
    from_datetimes: bool = False  # a date column written as datetimes at midnight
    identifier: str | None = None  # why a column of digits stays text
    zero_width: int | None = None
    repair: bool = False
    keep_text: bool = False
    unseen: bool = False  # no value in the sample: decide on all rows


@dataclass
class Normalisation:
    frame: pl.LazyFrame
    columns: list[dict]
    changes: list[dict]
    rows: int


def change(kind: str, detail: str, column: str | None = None, count: int | None = None) -> dict:
    return {"kind": kind, "column": column, "count": count, "detail": detail}


def normalise_grid(
    grid: pl.LazyFrame,
    originals: Sequence[str | None],
    *,
    header_in_grid: bool,
    text_columns: Sequence[int] = (),
    streaming: bool = False,
) -> Normalisation:
    """Type a frame of String columns named by position; `originals` are the header cells.

    `header_in_grid`: the header row is the grid's first row (CSV and spreadsheets), so
    it and its repetitions further down are dropped. `text_columns` (positions) are kept
    as text whatever they hold (GeoJSON geometry).
    """
    engine = "streaming" if streaming else "auto"
    written = [(original or "").strip() for original in originals]
    repaired = [repair_double_encoding(original) for original in written]
    names = column_names(repaired)
    frame = grid.rename(dict(zip(grid.collect_schema().names(), names, strict=True)))
    is_header = _is_header(names, written) if header_in_grid else pl.lit(False)
    is_empty = pl.all_horizontal(v.present(pl.col(name)).is_null() for name in names)
    frame = frame.with_columns(is_header.alias("__header"), is_empty.alias("__empty"))
    frame = frame.with_columns((pl.col("__header") | pl.col("__empty")).alias(_DROP))
    kept = frame.filter(~pl.col(_DROP))

    sample = kept.head(SAMPLE_ROWS).select(names).collect(engine=engine)
    sample_profile = _collect_measures(sample.lazy(), {name: _profile(name) for name in names}, engine)
    plans = [
        _plan(name, original, _getter(sample_profile, name), keep_text=index in text_columns)
        for index, (name, original) in enumerate(zip(names, repaired, strict=True))
    ]

    # One pass over all rows: check each plan and count what the report states.
    masked = frame.with_columns(pl.when(~pl.col(_DROP)).then(pl.col(name)).alias(name) for name in names)
    wanted = {plan.name: _checks(plan) for plan in plans}
    totals = [pl.len().alias("rows"), pl.col("__header").sum().alias("headers")]
    totals.append((pl.col("__empty") & ~pl.col("__header")).sum().alias("empty"))
    measured = _collect_measures(masked, wanted, engine, totals, plans)
    failed = {p.name for p in plans if not _confirmed(p, _getter(measured, p.name))}
    if failed:
        again = _collect_measures(masked, {name: _profile(name) for name in failed}, engine)
        measured.update(again)
        plans = [
            _plan(p.name, p.original, _getter(again, p.name), keep_text=p.keep_text) if p.name in failed else p
            for p in plans
        ]

    typed = kept.select(_apply(plan) for plan in plans)
    columns = [{"name": p.name, "original": p.original, "type": "geojson" if p.keep_text else p.type} for p in plans]
    changes = _table_changes(measured, header_in_grid, written, repaired, names)
    for plan in plans:
        changes += _column_changes(plan, _getter(measured, plan.name))
    rows = measured["rows"] - measured["headers"] - measured["empty"]
    return Normalisation(typed, columns, changes, rows)


def _is_header(names: list[str], written: list[str]) -> pl.Expr:
    named = [(name, original) for name, original in zip(names, written, strict=True) if original]
    if not named:
        return pl.lit(False)
    return pl.all_horizontal((pl.col(name).str.strip_chars() == original).fill_null(False) for name, original in named)


def _measures(name: str, plan: ColumnPlan | None = None) -> dict[str, Callable[[], pl.Expr]]:
    """Every count the profile and the checks can ask of a column, built on demand."""
    raw = pl.col(name)
    cell = v.present(raw)
    value = v.without_null_tokens(cell)
    digits = pl.when(value.str.contains(v.DIGITS)).then(value)
    width = v.code_width(name)
    measures: dict[str, Callable[[], pl.Expr]] = {
        "values": lambda: value.count(),
        "present": lambda: cell.count(),
        "trimmed": lambda: (cell != raw).sum(),
        "mojibake": lambda: raw.str.contains_any(_MOJIBAKE_KEYS).sum(),
        "leading_zero": lambda: value.str.contains(v.LEADING_ZERO).sum(),
        "corsica": lambda: value.str.contains(v.CORSICA_INSEE).sum(),
        "digits": lambda: digits.count(),
        "digits_min": lambda: digits.str.len_bytes().min(),
        "digits_max": lambda: digits.str.len_bytes().max(),
        "fraction": lambda: value.str.contains(v.FRACTION).sum(),
        "boolean": lambda: v.as_boolean(value).count(),
        "integer": lambda: v.as_integer(value, decimal_comma=False).count(),
        "number": lambda: v.as_number(value, decimal_comma=False).count(),
        "integer_comma": lambda: v.as_integer(value, decimal_comma=True).count(),
        "number_comma": lambda: v.as_number(value, decimal_comma=True).count(),
        "percent": lambda: value.str.ends_with("%").sum(),
        "currency": lambda: value.str.ends_with("€").sum(),
        "thousands": lambda: value.str.contains(v.THOUSANDS).sum(),
        "midnight": lambda: (v.as_datetime(value).dt.time() == pl.time(0)).sum(),
        "aware": lambda: v.as_datetime(value, ("iso_offset",), aware=True).count(),
    }
    if width is not None:
        measures["zeros"] = lambda: (v.restore_zeros(cell, width) != cell).sum()
    for writing in v.DATE_FORMATS:
        measures[f"date_{writing}"] = lambda writing=writing: v.as_date(value, (writing,)).count()
    for writing in ("iso", "french"):
        measures[f"datetime_{writing}"] = lambda writing=writing: v.as_datetime(value, (writing,)).count()
    if plan is not None:
        measures["parsed"] = lambda: _apply(plan).count()
    return measures


def _profile(name: str) -> tuple[str, ...]:
    """All the counts that decide a column's plan."""
    return tuple(_measures(name))


def _collect_measures(
    frame: pl.LazyFrame,
    wanted: dict[str, Sequence[str]],
    engine: str,
    totals: Sequence[pl.Expr] = (),
    plans: Sequence[ColumnPlan] = (),
) -> dict:
    by_name = {plan.name: plan for plan in plans}
    expressions = list(totals)
    for name, keys in wanted.items():
        measures = _measures(name, by_name.get(name))
        expressions += [measures[key]().alias(f"{name}\x00{key}") for key in keys]
    return frame.select(expressions).collect(engine=engine).row(0, named=True)


def _getter(measured: dict, name: str) -> Callable[[str], int]:
    return lambda key: measured.get(f"{name}\x00{key}") or 0


def _plan(name: str, original: str, m: Callable[[str], int], *, keep_text: bool) -> ColumnPlan:
    values = m("values")
    common = {"name": name, "original": original}
    identifier = _identifier_reason(name, m, values)
    if keep_text or values == 0 or identifier:
        width = v.code_width(name) if identifier else None
        return ColumnPlan(
            type="string",
            identifier=identifier,
            zero_width=width,
            repair=m("mojibake") > 0,
            keep_text=keep_text,
            unseen=values == 0,
            **common,
        )
    if m("boolean") == values:
        return ColumnPlan(type="boolean", **common)
    for decimal_comma in (False, True):
        suffix = "_comma" if decimal_comma else ""
        if m("integer" + suffix) == values:
            return ColumnPlan(type="integer", decimal_comma=decimal_comma, **common)
        if m("number" + suffix) == values:
            return ColumnPlan(type="number", decimal_comma=decimal_comma, **common)
    dates = {writing: m(f"date_{writing}") for writing in v.DATE_FORMATS}
    if sum(dates.values()) == values:
        return ColumnPlan(type="date", formats=_met(dates), **common)
    datetimes = {
        "iso": m("datetime_iso"),
        "french": m("datetime_french"),
        "date": sum(dates.values()),
    }
    if sum(datetimes.values()) + m("aware") == values:
        if m("aware"):
            return ColumnPlan(type="datetime", formats=_met(datetimes), aware=True, **common)
        if m("midnight") == values:
            return ColumnPlan(type="date", formats=_met(datetimes), from_datetimes=True, **common)
        return ColumnPlan(type="datetime", formats=_met(datetimes), **common)
    return ColumnPlan(type="string", repair=m("mojibake") > 0, **common)


def _met(counts: dict[str, int]) -> tuple[str, ...]:
    return tuple(writing for writing, count in counts.items() if count)


def _identifier_reason(name: str, m: Callable[[str], int], values: int) -> str | None:
    # A fraction such as 72.9 is never a code, whatever the column's name says.
    if v.identifier_by_name(name) and not m("fraction"):
        return "identifier by its name"
    if m("leading_zero"):
        return "code with leading zeros"
    if m("corsica"):
        return "INSEE code of Corsica (2A/2B)"
    if _fixed_width_digits(m, values):
        return f"code of {m('digits_min')} digits"
    return None


def _fixed_width_digits(m: Callable[[str], int], values: int) -> bool:
    """Every value the same number of digits, 9 or more: SIREN, SIRET, references."""
    same_width = m("digits_min") == m("digits_max") >= 9
    return values >= 2 and m("digits") == values and same_width


def _checks(plan: ColumnPlan) -> tuple[str, ...]:
    """The counts that confirm a plan on all rows and feed the report."""
    keys = ("values", "present", "trimmed")
    if plan.unseen:
        return keys
    if plan.type == "string":
        keys += ("mojibake",)
        if plan.identifier:
            keys += ("fraction", "leading_zero", "corsica", "digits", "digits_min", "digits_max")
        if plan.zero_width:
            keys += ("zeros",)
        return keys
    keys += ("parsed",)
    if plan.type in ("integer", "number"):
        keys += ("leading_zero", "digits", "digits_min", "digits_max")
        keys += ("percent", "currency", "thousands")
    if plan.type == "date":
        keys += ("date_french",)
    if plan.from_datetimes:
        keys += ("midnight",)
    if plan.aware:
        keys += ("aware",)
    return keys


def _confirmed(plan: ColumnPlan, m: Callable[[str], int]) -> bool:
    values = m("values")
    if plan.unseen:
        return values == 0
    if plan.type == "string":
        if plan.identifier is None or plan.keep_text:
            return True
        return _identifier_reason(plan.name, m, values) is not None
    if m("parsed") != values:
        return False
    if plan.type in ("integer", "number") and _identifier_reason(plan.name, m, values):
        return False
    return not plan.from_datetimes or m("midnight") == values


def _apply(plan: ColumnPlan) -> pl.Expr:
    cell = v.present(pl.col(plan.name))
    value = v.without_null_tokens(cell)
    if plan.type == "string":
        text = cell
        if plan.repair:
            text = text.str.replace_many(MOJIBAKE)
        if plan.zero_width is not None:
            text = v.restore_zeros(text, plan.zero_width)
        return text.alias(plan.name)
    if plan.type == "boolean":
        expression = v.as_boolean(value)
    elif plan.type == "integer":
        expression = v.as_integer(value, plan.decimal_comma)
    elif plan.type == "number":
        expression = v.as_number(value, plan.decimal_comma)
    elif plan.from_datetimes:
        expression = v.as_datetime(value, plan.formats).dt.date()
    elif plan.type == "date":
        expression = v.as_date(value, plan.formats)
    else:
        expression = v.as_datetime(value, plan.formats, plan.aware)
    return expression.alias(plan.name)


def _column_changes(plan: ColumnPlan, m: Callable[[str], int]) -> list[dict]:
    name = plan.name
    counted = [
        ("trimmed", "trimmed", "spaces around the value removed"),
        ("tokens", "null_markers", "N/A, -, NC and similar markers read as empty"),
        ("repaired", "double_encoding_repaired", "double-encoded UTF-8 repaired ('Ã©' -> 'é')"),
        ("zeros", "identifier_zeros_restored", f"leading zeros restored to {plan.zero_width}"),
        ("thousands", "thousands_separator", "thousands separators removed"),
        ("percent", "percent", "percentages read as fractions (88,14% -> 0.8814)"),
        ("currency", "currency", "euro sign removed"),
        ("date_french", "french_date", "dates written dd/mm/yyyy"),
        ("aware", "datetime_utc", "times with an offset converted to UTC"),
    ]
    counts = {
        "trimmed": m("trimmed"),
        "tokens": m("present") - m("values") if plan.type != "string" else 0,
        "repaired": m("mojibake") if plan.repair else 0,
        "zeros": m("zeros") if plan.zero_width else 0,
        "thousands": m("thousands") if plan.type in ("integer", "number") else 0,
        "percent": m("percent") if plan.type == "number" else 0,
        "currency": m("currency") if plan.type in ("integer", "number") else 0,
        "date_french": m("date_french") if plan.type == "date" else 0,
        "aware": m("aware") if plan.aware else 0,
    }
    changes = [change(kind, detail, name, counts[key]) for key, kind, detail in counted if counts[key]]
    if plan.decimal_comma:
        changes.append(change("decimal_comma", "decimal comma read as a point", name))
    if plan.from_datetimes:
        changes.append(change("midnight_as_date", "datetimes all at midnight read as dates", name))
    if plan.identifier and m("digits") == m("values") > 0:
        changes.append(change("identifier", f"kept as text ({plan.identifier})", name))
    return changes


def _table_changes(
    measured: dict, header_in_grid: bool, written: list[str], repaired: list[str], names: list[str]
) -> list[dict]:
    changes: list[dict] = []
    repeated = measured["headers"] - (1 if header_in_grid else 0)
    if repeated > 0:
        detail = "header line repeated in the data"
        changes.append(change("repeated_header_dropped", detail, count=repeated))
    if measured["empty"]:
        changes.append(change("empty_rows_dropped", "rows with no value", count=measured["empty"]))
    fixed = sum(1 for before, after in zip(written, repaired, strict=True) if before != after)
    if fixed:
        detail = "double-encoded UTF-8 repaired in the header"
        changes.append(change("double_encoding_repaired", detail, count=fixed))
    renamed = sum(1 for name, original in zip(names, repaired, strict=True) if name != original)
    if renamed:
        changes.append(change("columns_renamed", "column names in snake_case ASCII", count=renamed))
    return changes
