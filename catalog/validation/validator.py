"""Validate a polars frame against a TableSchema, vectorised.

Two passes: the first evaluates every check as a boolean column over the
whole frame and keeps the rows where one fails; the second builds values and
messages on those rows only. A million-row file with a few bad rows costs
little more than its parsing.

Header matching follows frictionless' `fieldsMatch: "superset"` (what
Validata does with its missing-required-header check): columns are matched
by name in any order; a missing required column is an error, a missing
optional one a note; a column the schema does not know is an error. Names
are also matched without case, accents and separators, so a frame whose
columns the normaliser turned to snake_case still validates.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

from catalog.validation import messages
from catalog.validation.cells import Cells, read_cells
from catalog.validation.french_checks import checks_for
from catalog.validation.result import ERRORS_SCHEMA, ValidationResult
from catalog.validation.rules import ROW, Check, HeaderIssue, field_checks
from catalog.validation.schema import TableSchema

_ORDER = "__order"
_POSITION = "__position"


def validate(frame: pl.DataFrame, schema: TableSchema) -> ValidationResult:
    columns = match_columns(schema, frame.columns)
    issues: list[HeaderIssue] = []
    notes: list[str] = []
    primary_key = set(schema.primary_key)
    for field in schema.fields:
        if field.name in columns:
            continue
        if field.required or field.name in primary_key:
            message = messages.missing_column(field, schema.name)
            issues.append(HeaderIssue(field.name, "missing-column", message))
        else:
            notes.append(f"Colonne facultative {messages.quoted(field.name)} absente du fichier")
    matched = set(columns.values())
    for column in frame.columns:
        if column not in matched:
            message = messages.extra_column(column, schema.name)
            issues.append(HeaderIssue(column, "extra-column", message))

    parsed = {
        name: read_cells(
            schema.get_field(name),
            column,
            frame.schema[column],
            schema.get_field(name).missing_values or schema.missing_values,
        )
        for name, column in columns.items()
    }
    prepared, cells = _materialise(frame, parsed)
    checks: list[Check] = []
    for field in schema.fields:
        if field.name in cells:
            required = field.required or field.name in primary_key
            checks.extend(field_checks(field, cells[field.name], required=required))
    checks.extend(_primary_key_checks(schema, cells))
    for custom in schema.custom_checks:
        outcome = checks_for(custom, cells, schema)
        if outcome is None:
            notes.append(f"Contrôle {messages.quoted(custom.name)} non pris en charge : non vérifié")
            continue
        for item in outcome:
            (issues if isinstance(item, HeaderIssue) else checks).append(item)

    positions = {name: index for index, name in enumerate(schema.field_names)}
    row_errors = _row_errors(prepared, checks, cells, positions)
    errors = pl.concat([_header_errors(issues), row_errors], how="vertical")
    return ValidationResult(
        schema_name=schema.name,
        schema_version=schema.version,
        valid=errors.height == 0,
        error_count=errors.height,
        errors=errors,
        notes=tuple(notes),
    )


def match_columns(schema: TableSchema, frame_columns: list[str]) -> dict[str, str]:
    """Schema field name -> frame column: exact name first, then the loose key."""
    exact = set(frame_columns)
    by_key: dict[str, str] = {}
    for column in frame_columns:
        by_key.setdefault(_key(column), column)
    taken: set[str] = set()
    columns: dict[str, str] = {}
    for name in schema.field_names:
        if name in exact:
            columns[name] = name
            taken.add(name)
    for name in schema.field_names:
        if name in columns:
            continue
        candidate = by_key.get(_key(name))
        if candidate is not None and candidate not in taken and candidate not in schema.field_names:
            columns[name] = candidate
            taken.add(candidate)
    return columns


def _key(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def _primary_key_checks(schema: TableSchema, cells: dict[str, Cells]) -> list[Check]:
    names = schema.primary_key
    if not names or any(name not in cells for name in names):
        return []
    values = [cells[name].value for name in names]
    key = pl.struct(*(value.alias(name) for name, value in zip(names, values, strict=True)))
    all_blank = pl.all_horizontal(value.is_null() for value in values)
    first = "__first_primary_key"
    label = ", ".join(names)
    shown = pl.concat_str([cells[name].text for name in names], separator=", ", ignore_nulls=True)
    return [
        Check(label, "primary-key", all_blank, pl.lit(messages.primary_key_blank(names)), shown),
        Check(
            label,
            "primary-key",
            ~all_blank & ~key.is_first_distinct(),
            pl.format(messages.primary_key(names) + "{}", pl.col(first)),
            shown,
            context=((first, pl.col(ROW).min().over(key)),),
        ),
    ]


def _header_errors(issues: list[HeaderIssue]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "row": [None] * len(issues),
            "column": [issue.column for issue in issues],
            "value": [None] * len(issues),
            "rule": [issue.rule for issue in issues],
            "message": [issue.message for issue in issues],
        },
        schema=ERRORS_SCHEMA,
    )


def _materialise(frame: pl.DataFrame, parsed: dict[str, Cells]) -> tuple[pl.DataFrame, dict[str, Cells]]:
    """Parse every field once into columns, and give the checks cells that read them.

    Checks share the parsed cells (a number's value serves its type, bounds and
    custom checks); polars would otherwise parse the text again in each check.
    """
    expressions: list[pl.Expr] = []
    cells: dict[str, Cells] = {}
    for index, (name, cell) in enumerate(parsed.items()):
        parts = {"text": cell.text, "missing": cell.missing, "type_ok": cell.type_ok, "value": cell.value}
        columns = {part: f"__{part}_{index}" for part in parts}
        expressions.extend(expr.alias(columns[part]) for part, expr in parts.items())
        cells[name] = Cells(**{part: pl.col(column) for part, column in columns.items()})
    prepared = frame.lazy().with_row_index(ROW, offset=1).select(ROW, *expressions).collect()
    return prepared, cells


def _row_errors(
    prepared: pl.DataFrame, checks: list[Check], cells: dict[str, Cells], positions: dict[str, int]
) -> pl.DataFrame:
    if not cells or prepared.height == 0:
        return pl.DataFrame(schema=ERRORS_SCHEMA)
    # A blank row is one error, not one per required field (as frictionless).
    blank = pl.all_horizontal(cell.missing for cell in cells.values())
    checks = [Check(c.column, c.rule, c.failed & ~blank, c.message, c.value, c.context) for c in checks]
    checks.append(Check("", "blank-row", blank, pl.lit(messages.blank_row()), pl.lit(None, dtype=pl.String)))
    masks = [f"__failed_{index}" for index in range(len(checks))]
    context = {name: expr for check in checks for name, expr in check.context}
    failing = (
        prepared.lazy()
        .select(
            ROW,
            *(check.failed.fill_null(False).alias(mask) for check, mask in zip(checks, masks, strict=True)),
            *(expr.alias(name) for name, expr in context.items()),
        )
        .filter(pl.any_horizontal(masks))
        .collect()
    )
    if failing.height == 0:
        return pl.DataFrame(schema=ERRORS_SCHEMA)
    rows = prepared[failing[ROW].cast(pl.Int64) - 1].drop(ROW).hstack(failing).lazy()
    parts = [
        rows.filter(pl.col(mask)).select(
            pl.col(ROW).cast(pl.Int64).alias("row"),
            pl.lit(check.column or None, dtype=pl.String).alias("column"),
            check.value.cast(pl.String).alias("value"),
            pl.lit(check.rule).alias("rule"),
            check.message.cast(pl.String).alias("message"),
            pl.lit(positions.get(check.column, len(positions))).alias(_POSITION),
            pl.lit(order).alias(_ORDER),
        )
        for order, (check, mask) in enumerate(zip(checks, masks, strict=True))
    ]
    # Within a row, errors read in the order of the schema's fields.
    return pl.concat(parts).sort("row", _POSITION, _ORDER).drop(_POSITION, _ORDER).collect()
