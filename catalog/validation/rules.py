"""The checks of one field: type, required, pattern, enum, bounds, length, unique.

Each check is a boolean expression over the whole frame (true on failing
rows) plus the message to show on those rows. Constraints only look at
cells that hold a value of the right type, as frictionless does, so a cell
is reported once for its type and not again for its bounds.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from catalog.validation import messages
from catalog.validation.cells import Cells, parse_constant
from catalog.validation.schema import Field, SchemaError

ROW = "__row"  # 1-based data row number, header excluded

_ORDERED_TYPES = frozenset({"integer", "number", "year", "date", "datetime", "time"})
_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


@dataclass(frozen=True)
class Check:
    """One rule on one column: where it fails and what to tell the producer."""

    column: str
    rule: str
    failed: pl.Expr  # true on failing rows, over the whole frame
    message: pl.Expr  # evaluated on failing rows only
    value: pl.Expr  # the offending cell as text
    context: tuple[tuple[str, pl.Expr], ...] = ()  # whole-frame columns the message reads
    # For a check comparing rows (unique, primary key): the value compared, null where
    # nothing is. A table validated in batches finds its repeats over the whole table.
    key: pl.Expr | None = None


@dataclass(frozen=True)
class HeaderIssue:
    """A problem with the file's columns rather than with a row."""

    column: str
    rule: str
    message: str


def field_checks(field: Field, cells: Cells, *, required: bool) -> list[Check]:
    checks = [Check(field.name, "type", cells.type_error, pl.lit(messages.type_error(field)), cells.text)]
    if required:
        checks.append(Check(field.name, "required", cells.missing, pl.lit(messages.required(field)), cells.text))
    checks.extend(_constraint_checks(field, cells))
    if field.unique:
        first = f"__first_{field.name}"
        checks.append(
            Check(
                field.name,
                "unique",
                cells.present & ~cells.value.is_first_distinct(),
                pl.format(messages.unique(field) + "{}", pl.col(first)),
                cells.text,
                context=((first, pl.col(ROW).min().over(cells.value)),),
                key=cells.value,
            )
        )
    return checks


def _constraint_checks(field: Field, cells: Cells) -> list[Check]:
    checks: list[Check] = []

    def add(rule: str, violation: pl.Expr, message: str) -> None:
        failed = cells.present & violation.fill_null(False)
        checks.append(Check(field.name, rule, failed, pl.lit(message), cells.text))

    if field.pattern is not None and field.type == "string":
        add("pattern", ~cells.text.str.contains(f"^(?:{field.pattern})$"), messages.pattern(field))
    if field.enum is not None:
        if field.type == "string":
            add("enum", ~cells.text.is_in([str(v) for v in field.enum]), messages.enum(field))
        else:
            # As frictionless: a member that is no value of the type can match nothing.
            members = [m for m in (parse_constant(field, v) for v in field.enum) if m is not None]
            add("enum", ~cells.value.is_in(members), messages.enum(field))
    if field.type in _ORDERED_TYPES:
        limits = {
            "minimum": field.minimum,
            "maximum": field.maximum,
            "exclusiveMinimum": field.exclusive_minimum,
            "exclusiveMaximum": field.exclusive_maximum,
        }
        for rule in _BOUNDS:
            limit = limits[rule]
            if limit is None:
                continue
            typed_limit = parse_constant(field, limit)
            if typed_limit is None:
                raise SchemaError(f"field {field.name!r}: {rule} {limit!r} is not of type {field.type}")
            bound = pl.lit(typed_limit)
            violation = {
                "minimum": cells.value < bound,
                "maximum": cells.value > bound,
                "exclusiveMinimum": cells.value <= bound,
                "exclusiveMaximum": cells.value >= bound,
            }[rule]
            if field.type == "number":
                # NaN compares with nothing: it is outside any bound (as in frictionless).
                violation = violation | cells.value.is_nan()
            add(rule, violation, messages.bound(field, rule, limit))
    if field.type == "string":
        if field.min_length is not None:
            add(
                "minLength",
                cells.text.str.len_chars() < field.min_length,
                messages.length(field, "minLength", field.min_length),
            )
        if field.max_length is not None:
            add(
                "maxLength",
                cells.text.str.len_chars() > field.max_length,
                messages.length(field, "maxLength", field.max_length),
            )
    return checks
