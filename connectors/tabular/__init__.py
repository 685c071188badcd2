"""Reading and normalising the tabular files members publish (CSV, XLSX, ODS, JSON, GeoJSON,
Parquet) into typed polars frames, with a report of what was detected and changed."""

from connectors.tabular.read import NormalisedTable, UnreadableFile, read_table

__all__ = ["NormalisedTable", "UnreadableFile", "read_table"]
