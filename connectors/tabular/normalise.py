"""From a grid of text cells to a typed table, and the account of what was changed.

Two passes over the same lazy query, so that a file larger than memory streams through
both: a profile (one row of counts per column: how many cells read as integers, numbers
with a decimal comma, dates...) decides each column's type; then the chosen parsers are
applied. A column gets a type only when every non-null cell parses, so no value is
silently lost; identifiers stay text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from connectors.tabular import values as v
from connectors.tabular.encoding import MOJIBAKE, repair_double_encoding
from connectors.tabular.names import column_names

_MOJIBAKE_KEYS = list(MOJIBAKE)


@dataclass(frozen=True)
class ColumnPlan:
    """What one column becomes."""

    name: str
    original: str
    type: str  # TableSchema vocabulary: string, integer, number, boolean, date, datetime
    decimal_comma: bool = False
    aware: bool = False
    zero_width: int | None = None
    repair: bool = False
    changes: list[dict] = field(default_factory=list)


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
    repaired = [repair_double_encoding(original or "").strip() for original in originals]
    names = column_names(repaired)
    frame = grid.rename(dict(zip(grid.collect_schema().names(), names, strict=True)))
    written = [(original or "").strip() for original in originals]
    is_header = _is_header(names, written) if header_in_grid else pl.lit(False)
    is_empty = pl.all_horizontal(v.present(pl.col(name)).is_null() for name in names)
    frame = frame.with_columns(_drop=is_header | is_empty)
    masked = frame.select(
        pl.when(~pl.col("_drop")).then(pl.col(name)).alias(name) for name in names
    )
    counts = [
        pl.len().alias("rows"),
        is_header.sum().alias("headers"),
        (is_empty & ~is_header).sum().alias("empty"),
    ]
    profile_query = pl.concat(
        [frame.select(counts), masked.select(_profile_expressions(names))], how="horizontal"
    )
    profile = profile_query.collect(engine="streaming" if streaming else "auto").row(0, named=True)

    kept_text = {names[position] for position in text_columns}
    plans = [
        _plan(index, name, original, profile, keep_text=name in kept_text)
        for index, (name, original) in enumerate(zip(names, repaired, strict=True))
    ]
    table_changes = _table_changes(profile, header_in_grid, written, repaired, names)
    typed = frame.filter(~pl.col("_drop")).select(_apply(plan) for plan in plans)
    columns = [
        {
            "name": plan.name,
            "original": plan.original,
            "type": "geojson" if plan.name in kept_text else plan.type,
        }
        for plan in plans
    ]
    rows = profile["rows"] - profile["headers"] - profile["empty"]
    changes = table_changes + [entry for plan in plans for entry in plan.changes]
    return Normalisation(typed, columns, changes, rows)


def _is_header(names: list[str], originals: list[str]) -> pl.Expr:
    named = [(name, original) for name, original in zip(names, originals, strict=True) if original]
    if not named:
        return pl.lit(False)
    return pl.all_horizontal(
        (pl.col(name).str.strip_chars() == original).fill_null(False) for name, original in named
    )


def _profile_expressions(names: list[str]) -> list[pl.Expr]:
    expressions: list[pl.Expr] = []
    for index, name in enumerate(names):
        raw = pl.col(name)
        cell = v.present(raw)
        value = v.without_null_tokens(cell)
        digits = pl.when(value.str.contains(v.DIGITS)).then(value)
        measures = {
            "values": value.count(),
            "tokens": (cell.is_not_null() & value.is_null()).sum(),
            "trimmed": (cell.is_not_null() & (cell != raw)).sum(),
            "mojibake": raw.str.contains_any(_MOJIBAKE_KEYS).sum(),
            "leading_zero": value.str.contains(v.LEADING_ZERO).any(),
            "corsica": value.str.contains(v.CORSICA_INSEE).any(),
            "digits": digits.count(),
            "fraction": value.str.contains(v.FRACTION).sum(),
            "digits_min": digits.str.len_chars().min(),
            "digits_max": digits.str.len_chars().max(),
            "boolean": v.as_boolean(value).count(),
            "integer": v.as_integer(value, decimal_comma=False).count(),
            "number": v.as_number(value, decimal_comma=False).count(),
            "integer_comma": v.as_integer(value, decimal_comma=True).count(),
            "number_comma": v.as_number(value, decimal_comma=True).count(),
            "percent": value.str.ends_with("%").sum(),
            "currency": value.str.ends_with("€").sum(),
            "thousands": value.str.contains(v.THOUSANDS).sum(),
            "date": v.as_date(value).count(),
            "french_date": value.str.contains(v.FRENCH_DATE).sum(),
            "datetime": v.as_datetime(value, aware=True).count(),
            "aware": v.has_offset(value).sum(),
            "midnight": (v.as_datetime(value, aware=False).dt.time() == pl.time(0)).sum(),
        }
        width = v.code_width(name)
        if width is not None:
            measures["zeros"] = (v.restore_zeros(cell, width) != cell).sum()
        expressions += [measure.alias(f"{index}:{key}") for key, measure in measures.items()]
    return expressions


def _plan(index: int, name: str, original: str, profile: dict, *, keep_text: bool) -> ColumnPlan:
    def measure(key: str) -> int:
        return profile.get(f"{index}:{key}") or 0

    values = measure("values")
    changes: list[dict] = []
    if measure("trimmed"):
        changes.append(
            change("trimmed", "spaces around the value removed", name, measure("trimmed"))
        )
    common = {"name": name, "original": original, "changes": changes}

    identifier = _identifier_reason(name, measure, values)
    if keep_text or values == 0 or identifier:
        repair = measure("mojibake") > 0
        if repair:
            changes.append(
                change(
                    "double_encoding_repaired",
                    "double-encoded UTF-8 repaired ('Ã©' -> 'é')",
                    name,
                    measure("mojibake"),
                )
            )
        width = v.code_width(name) if identifier else None
        if measure("zeros") and width is not None:
            changes.append(
                change(
                    "identifier_zeros_restored",
                    f"code read as a number: leading zeros restored to {width} characters",
                    name,
                    measure("zeros"),
                )
            )
        if identifier and values in (measure("integer"), measure("number")):
            changes.append(change("identifier", f"kept as text ({identifier})", name))
        return ColumnPlan(type="string", repair=repair, zero_width=width, **common)

    def typed(type_: str, **options: bool) -> ColumnPlan:
        if measure("tokens"):
            detail = "N/A, -, NC and similar markers read as empty"
            changes.append(change("null_markers", detail, name, measure("tokens")))
        return ColumnPlan(type=type_, **options, **common)

    if measure("boolean") == values:
        return typed("boolean")
    for decimal_comma in (False, True):
        suffix = "_comma" if decimal_comma else ""
        kind = "integer" if measure("integer" + suffix) == values else None
        if kind is None and measure("number" + suffix) == values:
            kind = "number"
        if kind is not None:
            _number_changes(changes, name, measure, decimal_comma)
            return typed(kind, decimal_comma=decimal_comma)
    if measure("date") == values:
        if measure("french_date"):
            detail = "dates written dd/mm/yyyy"
            changes.append(change("french_date", detail, name, measure("french_date")))
        return typed("date")
    if measure("datetime") == values:
        aware = measure("aware") > 0
        if aware:
            detail = "times with an offset converted to UTC"
            changes.append(change("datetime_utc", detail, name, measure("aware")))
        elif measure("midnight") == values:
            changes.append(
                change("midnight_as_date", "datetimes all at midnight read as dates", name)
            )
            return typed("date")
        return typed("datetime", aware=aware)
    repair = measure("mojibake") > 0
    if repair:
        detail = "double-encoded UTF-8 repaired ('Ã©' -> 'é')"
        changes.append(change("double_encoding_repaired", detail, name, measure("mojibake")))
    return ColumnPlan(type="string", repair=repair, **common)


def _identifier_reason(name: str, measure, values: int) -> str | None:
    # A fraction such as 72.9 is never a code, whatever the column's name says.
    if v.identifier_by_name(name) and not measure("fraction"):
        return "identifier by its name"
    if measure("leading_zero"):
        return "code with leading zeros"
    if measure("corsica"):
        return "INSEE code of Corsica (2A/2B)"
    fixed_width = measure("digits_min") == measure("digits_max") and measure("digits_min") >= 9
    if values >= 2 and measure("digits") == values and fixed_width:
        return f"code of {measure('digits_min')} digits"
    return None


def _number_changes(changes: list[dict], name: str, measure, decimal_comma: bool) -> None:
    if decimal_comma:
        changes.append(change("decimal_comma", "decimal comma read as a point", name))
    if measure("thousands"):
        detail = "thousands separators removed"
        changes.append(change("thousands_separator", detail, name, measure("thousands")))
    if measure("percent"):
        detail = "percentages read as fractions (88,14% -> 0.8814)"
        changes.append(change("percent", detail, name, measure("percent")))
    if measure("currency"):
        changes.append(change("currency", "euro sign removed", name, measure("currency")))


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
    elif plan.type == "date":
        expression = v.as_date(value)
        expression = pl.coalesce(expression, v.as_datetime(value, aware=False).dt.date())
    else:
        expression = v.as_datetime(value, plan.aware)
    return expression.alias(plan.name)


def _table_changes(
    profile: dict, header_in_grid: bool, written: list[str], repaired: list[str], names: list[str]
) -> list[dict]:
    changes: list[dict] = []
    repeated = profile["headers"] - (1 if header_in_grid else 0)
    if repeated > 0:
        changes.append(
            change("repeated_header_dropped", "header line repeated in the data", count=repeated)
        )
    if profile["empty"]:
        changes.append(change("empty_rows_dropped", "rows with no value", count=profile["empty"]))
    fixed = sum(1 for before, after in zip(written, repaired, strict=True) if before != after)
    if fixed:
        changes.append(
            change(
                "double_encoding_repaired",
                "double-encoded UTF-8 repaired in the header",
                count=fixed,
            )
        )
    renamed = sum(1 for name, original in zip(names, repaired, strict=True) if name != original)
    if renamed:
        changes.append(change("columns_renamed", "column names in snake_case ASCII", count=renamed))
    return changes
