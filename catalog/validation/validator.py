"""Validate a polars frame against a TableSchema, vectorised.

Two passes: the first evaluates every check as a boolean column over the
whole frame and keeps the rows where one fails; the second builds values and
messages on those rows only. A million-row file with a few bad rows costs
little more than its parsing. `validate_batches` gives the same errors for a
table larger than memory, read in batches of rows.

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
from collections.abc import Iterator
from dataclasses import dataclass, replace

import polars as pl

from catalog.validation import messages
from catalog.validation.cells import Cells, read_cells
from catalog.validation.french_checks import checks_for
from catalog.validation.result import ERRORS_SCHEMA, ValidationResult
from catalog.validation.rules import ROW, Check, HeaderIssue, field_checks
from catalog.validation.schema import TableSchema
from catalog.vocabularies import schema_iri

_ORDER = "__order"
_POSITION = "__position"


def validate(frame: pl.DataFrame, schema: TableSchema) -> ValidationResult:
    plan = _plan(schema, frame.schema)
    prepared = _prepare(frame.lazy(), plan, first_row=1).collect()
    row_errors = _row_errors(prepared, plan.checks, plan, first_row=1)
    return _result(schema, plan, pl.concat([_header_errors(plan.issues), row_errors], how="vertical"))


def validate_batches(frame: pl.LazyFrame, schema: TableSchema, *, batch_rows: int) -> Iterator[ValidationResult]:
    """`validate` for a table larger than memory (a Parquet scan), `batch_rows` rows at a time.

    One result per batch, the header's errors in the first and rows numbered from the
    table's first row: together, the errors `validate` gives on the whole table, in its
    order. The checks comparing rows (unique, primary key) run first over the whole
    table: what they hold in memory is a hash of each row's key and the rows whose hash
    repeats, not the table.
    """
    plan = _plan(schema, frame.collect_schema())
    across = _across_rows(frame, plan)
    yield _result(schema, plan, _header_errors(plan.issues))
    rows = frame.select(pl.len()).collect().item()
    for start in range(0, rows, batch_rows):
        first, last = start + 1, start + batch_rows
        checks = [
            _looked_up(check, across[index].filter(pl.col(ROW).is_between(first, last))) if index in across else check
            for index, check in enumerate(plan.checks)
        ]
        prepared = _prepare(frame.slice(start, batch_rows), plan, first_row=first).collect()
        yield _result(schema, plan, _row_errors(prepared, checks, plan, first_row=first))


@dataclass(frozen=True)
class _Plan:
    """What validating a table with these columns takes, before reading a row."""

    issues: list[HeaderIssue]
    notes: list[str]
    expressions: list[pl.Expr]  # every field parsed once, as columns
    cells: dict[str, Cells]  # field name -> the parsed columns
    checks: list[Check]  # in the order a row's errors are listed
    positions: dict[str, int]  # field name -> position in the schema


def _plan(schema: TableSchema, frame_schema: pl.Schema) -> _Plan:
    columns = match_columns(schema, list(frame_schema.names()))
    issues, notes = _header_issues(schema, columns, list(frame_schema.names()))
    parsed = {
        name: read_cells(
            schema.get_field(name),
            column,
            frame_schema[column],
            schema.get_field(name).missing_values or schema.missing_values,
        )
        for name, column in columns.items()
    }
    expressions, cells = _cell_columns(parsed)
    primary_key = set(schema.primary_key)
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
    return _Plan(issues, notes, expressions, cells, _with_blank_rows(checks, cells), positions)


def _header_issues(
    schema: TableSchema, columns: dict[str, str], frame_columns: list[str]
) -> tuple[list[HeaderIssue], list[str]]:
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
    for column in frame_columns:
        if column not in matched:
            message = messages.extra_column(column, schema.name)
            issues.append(HeaderIssue(column, "extra-column", message))
    return issues, notes


def _result(schema: TableSchema, plan: _Plan, errors: pl.DataFrame) -> ValidationResult:
    return ValidationResult(
        schema_name=schema.name,
        schema_version=schema.version,
        valid=errors.height == 0,
        error_count=errors.height,
        errors=errors,
        notes=tuple(plan.notes),
        schema_iri=schema_iri(schema.descriptor, schema.name, schema.version),
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
            key=pl.when(~all_blank).then(key),
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


def _cell_columns(parsed: dict[str, Cells]) -> tuple[list[pl.Expr], dict[str, Cells]]:
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
    return expressions, cells


def _prepare(frame: pl.LazyFrame, plan: _Plan, *, first_row: int) -> pl.LazyFrame:
    return frame.with_row_index(ROW, offset=first_row).select(ROW, *plan.expressions)


def _with_blank_rows(checks: list[Check], cells: dict[str, Cells]) -> list[Check]:
    """A blank row is one error, not one per required field (as frictionless)."""
    if not cells:
        return checks
    blank = pl.all_horizontal(cell.missing for cell in cells.values())
    # A blank row has no key: the checks comparing keys are left as they are, so that
    # they read the key columns only.
    checks = [check if check.key is not None else replace(check, failed=check.failed & ~blank) for check in checks]
    checks.append(Check("", "blank-row", blank, pl.lit(messages.blank_row()), pl.lit(None, dtype=pl.String)))
    return checks


def _failing(prepared: pl.LazyFrame, checks: list[Check]) -> pl.LazyFrame:
    """The rows where a check fails: their number, one mask per check, the messages' context."""
    masks = [f"__failed_{index}" for index in range(len(checks))]
    context = {name: expr for check in checks for name, expr in check.context}
    return (
        prepared.select(
            ROW,
            *(check.failed.fill_null(False).alias(mask) for check, mask in zip(checks, masks, strict=True)),
            *(expr.alias(name) for name, expr in context.items()),
        )
        .filter(pl.any_horizontal(masks))
    )


def _across_rows(frame: pl.LazyFrame, plan: _Plan) -> dict[int, pl.DataFrame]:
    """For each check comparing rows (by its index), the rows of the whole table where it
    fails, with the context its message reads.

    A first streaming pass hashes each row's key (8 bytes a row in memory), a second
    keeps the rows whose hash repeats; the check itself then runs on those rows only.
    A key seen once cannot fail, and every row of a repeated key is among them.
    """
    prepared = _prepare(frame, plan, first_row=1)
    found: dict[int, pl.DataFrame] = {}
    for index, check in enumerate(plan.checks):
        if check.key is None:
            continue
        hashes = prepared.filter(check.key.is_not_null()).select(check.key.hash().alias("h"))
        hashes = hashes.collect(engine="streaming")["h"].sort()
        # Sorted, a repeated hash equals the one before it (slices are views: no copy).
        later = hashes.slice(1)
        repeated = later.filter(later == hashes.slice(0, later.len())).unique()
        del hashes, later
        read = {name for expr in (check.failed, *(e for _, e in check.context)) for name in expr.meta.root_names()}
        candidates = (
            prepared.filter(check.key.is_not_null() & check.key.hash().is_in(repeated.implode()))
            .select(ROW, *sorted(read - {ROW}))
            .collect(engine="streaming")
        )
        failing = _failing(candidates.lazy(), [check]).collect()
        found[index] = failing.select(ROW, *(name for name, _ in check.context))
    return found


def _looked_up(check: Check, failing: pl.DataFrame) -> Check:
    """A check comparing rows, for one batch: failing on the rows the whole table's pass found."""
    rows = failing[ROW]
    context = tuple(
        (name, pl.col(ROW).replace_strict(rows, failing[name], default=None)) for name, _ in check.context
    )
    return replace(check, failed=pl.col(ROW).is_in(rows.implode()), context=context, key=None)


def _row_errors(prepared: pl.DataFrame, checks: list[Check], plan: _Plan, *, first_row: int) -> pl.DataFrame:
    if not plan.cells or prepared.height == 0:
        return pl.DataFrame(schema=ERRORS_SCHEMA)
    masks = [f"__failed_{index}" for index in range(len(checks))]
    failing = _failing(prepared.lazy(), checks).collect()
    if failing.height == 0:
        return pl.DataFrame(schema=ERRORS_SCHEMA)
    rows = prepared[failing[ROW].cast(pl.Int64) - first_row].drop(ROW).hstack(failing).lazy()
    parts = [
        rows.filter(pl.col(mask)).select(
            pl.col(ROW).cast(pl.Int64).alias("row"),
            pl.lit(check.column or None, dtype=pl.String).alias("column"),
            check.value.cast(pl.String).alias("value"),
            pl.lit(check.rule).alias("rule"),
            check.message.cast(pl.String).alias("message"),
            pl.lit(plan.positions.get(check.column, len(plan.positions))).alias(_POSITION),
            pl.lit(order).alias(_ORDER),
        )
        for order, (check, mask) in enumerate(zip(checks, masks, strict=True))
    ]
    # Within a row, errors read in the order of the schema's fields.
    return pl.concat(parts).sort("row", _POSITION, _ORDER).drop(_POSITION, _ORDER).collect()
