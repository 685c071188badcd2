"""`tdh inspect`: what a data committee runs first on a file a member sends.

Reads one file exactly as the pipeline does (a URL goes through the safe fetcher),
then reports encoding, delimiter, rows, typed columns, normalisation changes, the
validation summary with its first errors, and personal-data findings.
Exit 0 when the file is readable, whatever it contains; 2 when it is not.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from catalog.privacy import screen
from catalog.validation import SchemaError, validate
from connectors.tabular import read_table
from connectors.tabular.bounds import check_size
from connectors.tabular.table import write_parquet
from pipelines.schemas import load_declared_schema

FIRST_ERRORS = 20


def _load(source: str) -> tuple[bytes, str]:
    if source.startswith(("http://", "https://")):
        # Imported for URLs only: the safe fetcher pulls urllib3 in, and most files a
        # committee inspects are local.
        from connectors.http import FetchPolicy, fetch

        fetched = fetch(source, FetchPolicy())
        return fetched.body, source.rsplit("/", 1)[-1] or source
    if "://" in source:
        raise ValueError(f"{source}: only local paths and http(s) URLs are read")
    path = Path(source)
    # A device or a pipe (/dev/zero) never ends: only regular files, and no bigger than
    # the reader reads in memory.
    if not path.is_file():
        raise ValueError(f"{source}: not a regular file")
    check_size(path.stat().st_size, path.name)
    return path.read_bytes(), path.name


def inspect_command(source: str, *, schema: str | None, out: str | None, as_json: bool) -> int:
    if out and not Path(out).resolve().parent.is_dir():
        print(f"tdh inspect: --out {out}: the folder {Path(out).resolve().parent} does not exist", file=sys.stderr)
        return 2
    try:
        loaded = load_declared_schema(schema, Path.cwd(), confined=False) if schema else None
        data, name = _load(source)
        table = read_table(data, name, keep_text=loaded.text_fields if loaded else ())
    except Exception as exc:
        if not _unreadable(exc):
            raise
        print(f"tdh inspect: cannot read {source}: {exc}", file=sys.stderr)
        return 2
    report = table.report
    result = {
        "file": source,
        "format": report.get("format"),
        "encoding": report.get("encoding"),
        "delimiter": report.get("delimiter"),
        "rows": table.frame.height,
        # TableSchema's words (string, integer, number, date...), what schema authors read.
        "columns": [{"name": c["name"], "type": c["type"], "original": c.get("original")}
                    for c in report["columns"]],
        "changes": report.get("changes", []),
        "validation": None,
        "personal_data": [],
    }
    if loaded:
        outcome = validate(table.frame, loaded)
        result["validation"] = {
            **outcome.summary(),
            "errors": outcome.error_count,
            "first_errors": outcome.errors.head(FIRST_ERRORS).to_dicts(),
        }
    result["personal_data"] = [
        {"column": f.column, "kind": f.kind, "count": f.count, "examples": list(f.examples)}
        for f in screen(table.frame)
    ]
    if out:
        write_parquet(table.frame.lazy(), out, table.report)  # the same bytes as to_parquet(), no copy in memory
    if as_json:
        print(json.dumps(result, ensure_ascii=False, default=str))
    else:
        _print_human(result)
    return 0


def _unreadable(error: Exception) -> bool:
    """A file, schema or URL that cannot be read (UnreadableFile is a ValueError), not a bug."""
    from connectors.http import FetchError  # on this error path only: see _load

    return isinstance(error, (OSError, ValueError, SchemaError, FetchError))


def _print_human(result: dict) -> None:
    print(f"{result['file']}: {result['format']}, {result['encoding']}, delimiter "
          f"{result['delimiter']!r}, {result['rows']} rows")
    for column in result["columns"]:
        print(f"  {column['name']:<40} {column['type']}")
    for change in result["changes"]:
        print(f"  change: {change}")
    validation = result["validation"]
    if validation:
        verdict = "valid" if validation["valid"] else f"{validation['errors']} error(s)"
        print(f"validation against {validation.get('schema')} {validation.get('version') or ''}: {verdict}")
        for error in validation["first_errors"]:
            where = f"row {error['row']}" if error['row'] is not None else "header"
            print(f"  {where}, {error['column']}: {error['message']} ({error['value']!r})")
    if result["personal_data"]:
        print("personal data found:")
        for finding in result["personal_data"]:
            print(f"  {finding['column']}: {finding['kind']} x{finding['count']} e.g. {', '.join(finding['examples'])}")
    else:
        print("personal data: none found")
