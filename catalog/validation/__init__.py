"""Validation of tabular data against TableSchema (schema.data.gouv.fr), on polars.

schema = load_schema(path_or_dict_or_json_text)
result = validate(frame, schema)
result.errors     # row, column, value, rule, message (French)
result.summary()  # {"schema", "version", "valid", "errors"} for the catalogue
parts = validate_batches(pl.scan_parquet(path), schema, batch_rows=100_000)  # larger than memory
"""

from catalog.validation.result import ValidationResult
from catalog.validation.schema import CustomCheck, Field, SchemaError, TableSchema, load_schema
from catalog.validation.validator import validate, validate_batches

__all__ = [
    "CustomCheck",
    "Field",
    "SchemaError",
    "TableSchema",
    "ValidationResult",
    "load_schema",
    "validate",
    "validate_batches",
]
