"""Reading and normalising the tabular files members publish.

CSV (any French encoding and dialect), XLSX, XLS, ODS, JSON, GeoJSON and Parquet become a
typed polars frame with snake_case columns, identifiers kept as text, plus a report of
what was detected and changed. `read_table` works on bytes in memory; `normalise_file`
and `normalise_csv_file` write Parquet from a path, streaming CSV files larger than the
memory budget.
"""

from connectors.tabular.read import NormalisedTable, UnreadableFile, detect_format, read_table
from connectors.tabular.streaming import DEFAULT_MEMORY_BUDGET, normalise_csv_file, normalise_file
from connectors.tabular.table import formula_columns, neutralise_formulas, safe_csv

__all__ = [
    "DEFAULT_MEMORY_BUDGET",
    "NormalisedTable",
    "UnreadableFile",
    "detect_format",
    "normalise_csv_file",
    "normalise_file",
    "read_table",
    "formula_columns",
    "neutralise_formulas",
    "safe_csv",
]
