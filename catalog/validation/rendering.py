"""A dataset's published CSV as its declared schema writes it.

Staging normalises every file (snake_case names, typed columns); a file that declares a
TableSchema is published with the schema's field names, in the schema's order, and its
values written the way the schema reads them (dates in the field's format, numbers with
the field's decimal character, booleans as its first true and false values), so the CSV
the hub publishes conforms as well as the file received did: `xlong` goes out as `Xlong`,
`bgt_natdec` as `BGT_NATDEC`. Columns the schema does not name follow, as normalised;
fields the file lacks stay absent (adding them empty would add errors, not data).
"""

from __future__ import annotations

import polars as pl

from catalog.validation.schema import Field, TableSchema
from catalog.validation.validator import match_columns


def schema_rendering(frame: pl.DataFrame, schema: TableSchema) -> pl.DataFrame:
    """The frame with the schema's names, order and value formats."""
    found = match_columns(schema, frame.columns)
    ordered = [_written(frame[found[f.name]], f).alias(f.name) for f in schema.fields if f.name in found]
    extra = [frame[c] for c in frame.columns if c not in set(found.values())]
    return pl.DataFrame(ordered + extra)


def _written(column: pl.Series, field: Field) -> pl.Series:
    dtype = column.dtype
    if field.type == "date" and dtype == pl.Date:
        pattern = field.format if field.format.startswith("%") else "%Y-%m-%d"
        return column.dt.strftime(pattern)
    if field.type == "datetime" and isinstance(dtype, pl.Datetime):
        pattern = field.format if field.format.startswith("%") else "%Y-%m-%dT%H:%M:%S"
        return column.dt.strftime(pattern) + ("Z" if not field.format.startswith("%") and dtype.time_zone else "")
    if field.type == "boolean" and dtype == pl.Boolean:
        true, false = (field.true_values or ("true",))[0], (field.false_values or ("false",))[0]
        return pl.select(pl.when(column.is_null()).then(pl.lit(None, pl.String)).when(column).then(pl.lit(true))
                         .otherwise(pl.lit(false)).alias(column.name)).to_series()
    if field.type == "number" and dtype.is_float() and field.decimal_char != ".":
        return column.cast(pl.String).str.replace(".", field.decimal_char, literal=True)
    if field.type == "string" and dtype.is_numeric():
        return column.cast(pl.String)
    return column
