"""Staging: raw bytes -> normalised Parquet, validated and screened, beside the decision.

For each landed tabular resource of a member: read it as French files need
(connectors.tabular), apply the committee's column decisions (drop, pseudonymise),
validate against the declared TableSchema, screen for personal data, and write
`staged/<member>/<dataset>/<resource>.{parquet,csv,json}` (+ `.errors.csv` with the
per-row diagnostics). The `.json` report carries the source sha256: a resource whose raw
bytes did not change is not staged again.

A CSV larger than the memory budget takes the streaming path: downloaded to a temporary
file, normalised from disk to Parquet, then validated, screened and rendered as CSV from
that file in batches of rows, and uploaded from disk. Its report and files are those the
in-memory path would make.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import polars as pl

from catalog.privacy import Finding, pseudonymise, screen, screen_batches
from catalog.publication import in_parallel
from catalog.temporal import temporal_coverage
from catalog.validation import SchemaError, TableSchema, validate, validate_batches
from catalog.validation.rendering import schema_rendering
from connectors.digesting import DigestingStore
from connectors.handoffs import Failure
from connectors.handoffs.layout import manifest_key, staged_key
from connectors.http import FetchError
from connectors.objectstore import ObjectStore
from connectors.tabular import (
    DEFAULT_MEMORY_BUDGET,
    UnreadableFile,
    detect_format,
    normalise_csv_file,
    read_table,
    safe_csv,
)
from connectors.tabular.table import write_parquet
from pipelines.schemas import load_declared_schema

TABULAR_FORMATS = {"CSV", "TXT", "XLSX", "XLS", "ODS", "JSON", "GEOJSON", "PARQUET"}
# A raw object larger than this is staged from disk, as the tabular reader streams a file
# of that size; tests lower it to stream small files.
MEMORY_BUDGET = DEFAULT_MEMORY_BUDGET
# A streamed table is read back in batches of about 1/BATCH_SHARE of the budget each:
# validation parses every field of a batch into four columns, screening counts its values.
BATCH_SHARE = 16
SAMPLE_ROWS = 1000  # rows weighed to size the batches
HEAD_BYTES = 64 * 1024  # enough to tell a CSV from the other formats


@dataclass
class MemberStaging:
    member: str
    staged: int = 0
    unchanged: int = 0
    blocked: list[str] = field(default_factory=list)  # personal data the committee has not decided on
    withheld: list[str] = field(default_factory=list)  # kept out by the committee (`withhold`)
    invalid: list[str] = field(default_factory=list)  # not conformant to the declared schema
    failures: list[Failure] = field(default_factory=list)


def stage_member(store: ObjectStore, member: str, pseudonymisation_key: bytes,
                 pack_schemas: dict[str, TableSchema] | None = None) -> MemberStaging:
    """`pack_schemas`: the schema of each enabled pack, by name. A dataset the committee
    pools into a pack is validated against the pack's schema unless it declares its own."""
    pack_schemas = pack_schemas or {}
    manifest = store.get_json(manifest_key(member), default={"datasets": {}})
    result = MemberStaging(member=member)
    files: list[_File] = []
    for dataset, entry in manifest["datasets"].items():
        if entry.get("status") != "present":
            continue
        override = entry.get("override") or {}
        try:
            schema = declared_schema(override, pack_schemas)
        except (SchemaError, FetchError, OSError) as exc:  # its files wait; the others go on
            when = max((r["fetched_at"] for r in entry["resources"].values()), default="")
            result.failures.append(Failure("dataset", dataset, str(exc), when))
            continue
        decisions = _decisions_fingerprint(override, schema)
        files += [_File(dataset, resource, landing, override, schema, decisions)
                  for resource, landing in entry["resources"].items()
                  if landing["format"].upper() in TABULAR_FORMATS]
    # Small files a few at a time: each spends much of its time waiting on the object store,
    # and polars releases the GIL. Larger ones one at a time, so the memory budget holds.
    stage = partial(_stage_file, store, member, pseudonymisation_key)
    small = [i for i, file in enumerate(files) if file.landing["size"] <= PARALLEL_BELOW]
    outcomes = dict(zip(small, in_parallel(stage, [files[i] for i in small], STAGING_WORKERS), strict=True))
    for index, file in enumerate(files):
        outcome = outcomes[index] if index in outcomes else stage(file)
        if isinstance(outcome, Failure):
            result.failures.append(outcome)
            continue
        report, changed = outcome
        result.staged += changed
        result.unchanged += not changed
        _tally(result, file.dataset, report)
    return result


# Files staged at once, and the size under which a file joins them (2 cores: 4 keeps both
# busy while others wait on the store; 200 small files: 10.4 s one at a time, see
# docs/benchmarks.md for the figures after).
STAGING_WORKERS = 4
PARALLEL_BELOW = 8 * 1024 * 1024


class _Slots:
    """The process's staging slots, whatever the members staged at once (a run over several
    members stages them side by side): STAGING_WORKERS small files at a time, and a large
    one alone, with no small one beside it, so the memory budget holds. The check that a
    file is unchanged takes no slot: it only reads its report."""

    def __init__(self, small: int):
        self.small, self.count = threading.BoundedSemaphore(small), small
        self.large = threading.Lock()

    @contextmanager
    def hold(self, size: int) -> Iterator[None]:
        if size <= PARALLEL_BELOW:
            with self.small:
                yield
            return
        with self.large:  # one large file at a time takes every small slot
            for _ in range(self.count):
                self.small.acquire()
            try:
                yield
            finally:
                for _ in range(self.count):
                    self.small.release()


SLOTS = _Slots(STAGING_WORKERS)


@dataclass(frozen=True)
class _File:
    dataset: str
    resource: str
    landing: dict
    override: dict
    schema: TableSchema | None
    decisions: str


def _stage_file(store: ObjectStore, member: str, key: bytes, file: _File) -> tuple[dict, bool] | Failure:
    """The file's report and whether it was staged now (False: unchanged), or its failure."""
    report_key = staged_key(member, file.dataset, file.resource, "json")
    previous = store.get_json(report_key)
    # Same bytes and same committee decisions: nothing to redo. A new exemption,
    # dropped column or schema re-stages the file even though its bytes are unchanged.
    if (previous and previous.get("source_sha256") == file.landing["sha256"]
            and previous.get("decisions") == file.decisions):
        return previous, False
    try:
        with SLOTS.hold(file.landing["size"]):
            written = DigestingStore(store)
            report = _stage_resource(written, file.landing, file.override, file.schema, key)
        report["decisions"] = file.decisions
        # Each rendering's sha256 by key: publication compares it with CKAN's, unread.
        report["written_sha256"] = written.sha256
    except (UnreadableFile, SchemaError, FetchError, ValueError, OSError) as exc:
        return Failure("resource", f"{file.dataset}/{file.landing.get('name', file.resource)}", str(exc),
                       file.landing["fetched_at"])
    store.put_json(report_key, report)
    return report, True


def _tally(result: MemberStaging, dataset: str, report: dict) -> None:
    if report["decision"] == "blocked" and dataset not in result.blocked:
        result.blocked.append(dataset)
    if report["decision"] == "withheld" and dataset not in result.withheld:
        result.withheld.append(dataset)
    validation = report.get("validation")
    if validation and not validation["valid"] and dataset not in result.invalid:
        result.invalid.append(dataset)


def declared_schema(override: dict, pack_schemas: dict[str, TableSchema]) -> TableSchema | None:
    """The schema a dataset is validated against and published in: its own (the committee
    file's `schema`), else the schema of the pack it feeds (`pooled_as`)."""
    if override.get("schema"):
        return load_declared_schema(override["schema"])
    return pack_schemas.get(override.get("pooled_as"))


def _stage_resource(store: ObjectStore, landing: dict, override: dict, schema: TableSchema | None,
                    key: bytes) -> dict:
    if landing["size"] <= MEMORY_BUDGET:
        return _stage_in_memory(store, landing, override, schema, key, store.get_bytes(landing["key"]))
    with tempfile.TemporaryDirectory(prefix="tdh-staging-") as work:
        raw = Path(work) / "raw"
        store.get_file(landing["key"], raw)
        if not _streamable(raw, landing.get("name") or landing["key"]):
            # Spreadsheets, JSON and Parquet are read in memory whatever their size, as by
            # connectors.tabular.normalise_file: files that large are not published as such.
            return _stage_in_memory(store, landing, override, schema, key, raw.read_bytes())
        return _stage_streamed(store, landing, override, schema, key, raw)


@dataclass(frozen=True)
class _Columns:
    """The committee's decisions on a file's columns, those of them the file has."""

    dropped: list[str]
    hashed: list[str]  # pseudonymised

    @classmethod
    def decided(cls, columns: list[str], override: dict) -> _Columns:
        dropped = [c for c in override.get("drop_columns", ()) if c in columns]
        return cls(dropped, [c for c in override.get("pseudonymise_columns", ()) if c in columns])


def _stage_in_memory(store: ObjectStore, landing: dict, override: dict, schema: TableSchema | None,
                     key: bytes, data: bytes) -> dict:
    member, dataset, resource = landing["member"], landing["dataset"], landing["resource"]
    table = read_table(data, landing.get("name") or landing["key"],
                       declared_format=landing["format"], keep_text=schema.text_fields if schema else ())
    columns = _Columns.decided(table.frame.columns, override)
    frame = table.frame.drop(columns.dropped)
    if columns.hashed:
        frame = pseudonymise(frame, columns.hashed, key)
    table.frame = frame

    validation = None
    if schema is not None:
        outcome = validate(frame, schema)
        validation = outcome.summary()
        # The diagnostics quote the producer's cells: published, so neutralised like the data.
        store.put_bytes(staged_key(member, dataset, resource, "errors.csv"), safe_csv(outcome.errors), "text/csv")

    findings = screen(frame, ignore_columns=columns.hashed)
    store.put_bytes(staged_key(member, dataset, resource, "parquet"), table.to_parquet(),
                    "application/vnd.apache.parquet")
    # A file that declares a schema goes out in the schema's names, order and formats.
    rendered = schema_rendering(frame, schema) if schema is not None else frame
    store.put_bytes(staged_key(member, dataset, resource, "csv"), safe_csv(rendered), "text/csv")
    return _report(landing, override, table.report, columns, frame.columns, frame.height, validation, findings,
                   temporal_coverage(frame.lazy()))


def _stage_streamed(store: ObjectStore, landing: dict, override: dict, schema: TableSchema | None,
                    key: bytes, raw: Path) -> dict:
    """`_stage_in_memory` for a CSV larger than the memory budget: normalised from disk to
    Parquet, then each step reads that file back in batches of rows, and the files are
    uploaded from disk. The same report and files as the in-memory path."""
    member, dataset, resource = landing["member"], landing["dataset"], landing["resource"]
    work = raw.parent
    normalised, staged, rendering = work / "normalised.parquet", work / "staged.parquet", work / "staged.csv"
    report = normalise_csv_file(raw, normalised, filename=landing.get("name") or landing["key"],
                                keep_text=schema.text_fields if schema else ())
    report["declared_format"] = landing["format"]  # as read_table records it
    raw.unlink()  # the temporary files of a large file take several times its size on disk
    columns = _Columns.decided(pl.scan_parquet(normalised).collect_schema().names(), override)
    write_parquet(_decide(pl.scan_parquet(normalised), columns, key), staged, report)
    normalised.unlink()
    table = pl.scan_parquet(staged)
    rows, batch_rows = table.select(pl.len()).collect().item(), _batch_rows(table)

    validation = None
    if schema is not None:
        validation = _validate_to_file(table, schema, batch_rows, work / "errors.csv")
        store.put_file(staged_key(member, dataset, resource, "errors.csv"), work / "errors.csv", "text/csv")

    findings = screen_batches(_batches(table, rows, batch_rows), ignore_columns=columns.hashed)
    batches = _batches(table, rows, batch_rows)
    _write_csv((schema_rendering(b, schema) for b in batches) if schema is not None else batches, rendering)
    store.put_file(staged_key(member, dataset, resource, "parquet"), staged, "application/vnd.apache.parquet")
    store.put_file(staged_key(member, dataset, resource, "csv"), rendering, "text/csv")
    names = table.collect_schema().names()
    return _report(landing, override, report, columns, names, rows, validation, findings, temporal_coverage(table))


def _streamable(path: Path, filename: str) -> bool:
    with path.open("rb") as file:
        head = file.read(HEAD_BYTES)
    try:
        return detect_format(head, filename) == "csv"
    except UnreadableFile:  # a ZIP container's head alone does not say what it holds
        return False


def _decide(frame: pl.LazyFrame, columns: _Columns, key: bytes) -> pl.LazyFrame:
    """The committee's column decisions on a table scanned from disk."""
    frame = frame.drop(columns.dropped)
    if not columns.hashed:
        return frame
    # A refused key is refused here, with its own error, rather than from inside polars' run.
    pseudonymise(frame.head(0).collect(), columns.hashed, key)
    return frame.with_columns(
        pl.col(column).map_batches(partial(_pseudonyms, key=key), return_dtype=pl.String, is_elementwise=True)
        for column in columns.hashed
    )


def _pseudonyms(values: pl.Series, key: bytes) -> pl.Series:
    return pseudonymise(values.to_frame(), [values.name], key).to_series()


def _batch_rows(table: pl.LazyFrame) -> int:
    """Rows of a batch: about 1/BATCH_SHARE of the budget, as the table's first rows weigh."""
    sample = table.head(SAMPLE_ROWS).collect()
    row_bytes = max(1, sample.estimated_size() // max(1, sample.height))
    return max(1, MEMORY_BUDGET // (BATCH_SHARE * row_bytes))


def _batches(table: pl.LazyFrame, rows: int, batch_rows: int) -> Iterator[pl.DataFrame]:
    # At least one batch, empty for an empty table, so that its CSV still has its header.
    for start in range(0, max(rows, 1), batch_rows):
        yield table.slice(start, batch_rows).collect()


def _write_csv(frames: Iterable[pl.DataFrame], path: Path) -> None:
    """The CSV `safe_csv` makes of the whole table, written batch by batch."""
    with path.open("wb") as file:
        for number, frame in enumerate(frames):
            data = safe_csv(frame)
            # Column names hold no line break: the header is the first line, whatever the cells hold.
            file.write(data if number == 0 else data.split(b"\n", 1)[1])


def _validate_to_file(table: pl.LazyFrame, schema: TableSchema, batch_rows: int, path: Path) -> dict:
    """Validate batch by batch, writing the diagnostics as they come; the summary."""
    parts = validate_batches(table, schema, batch_rows=batch_rows)
    first = next(parts)  # the header's errors, then one part per batch
    errors = first.error_count
    with path.open("wb") as file:
        file.write(safe_csv(first.errors))
        for part in parts:
            errors += part.error_count
            if part.error_count:
                file.write(safe_csv(part.errors).split(b"\n", 1)[1])
    return {**first.summary(), "valid": errors == 0, "errors": errors}


def _report(landing: dict, override: dict, normalisation: dict, columns: _Columns, staged_columns: list[str],
            rows: int, validation: dict | None, findings: list[Finding], temporal: dict | None) -> dict:
    exemption, withhold = override.get("personal_data_exemption"), override.get("withhold")
    return {
        "source_sha256": landing["sha256"],
        "source_key": landing["key"],
        "name": landing.get("name"),
        "normalisation": normalisation,
        "rows": rows,
        "columns": staged_columns,
        "dropped_columns": columns.dropped,
        "pseudonymised_columns": columns.hashed,
        "validation": validation,
        "personal_data": [
            {"column": f.column, "kind": f.kind, "count": f.count, "examples": list(f.examples)}
            for f in findings
        ],
        # withheld: the committee decided to keep it out; blocked: personal data nobody decided on.
        "decision": "withheld" if withhold else "publish" if not findings or exemption else "blocked",
        "exemption": exemption,
        "withhold": withhold,
        "temporal": temporal,
    }


# Bumped when reading, validation or screening change what a staged file holds, so that
# unchanged raw bytes are staged again by the new rules.
# 4: a file declaring a schema is published in the schema's names and formats;
# 5: the period its dates cover, and the schema's IRI in the validation summary.
STAGING_RULES = 5


def _decisions_fingerprint(override: dict, schema: TableSchema | None) -> str:
    # The schema's descriptor too: a pack whose schema changes re-validates its files.
    decisions = {"override": override, "rules": STAGING_RULES, "schema": schema.descriptor if schema else None}
    return hashlib.sha256(json.dumps(decisions, sort_keys=True, default=str).encode()).hexdigest()[:16]


def read_staged(store: ObjectStore, member: str, dataset: str, resource: str) -> pl.DataFrame:
    return pl.read_parquet(io.BytesIO(store.get_bytes(staged_key(member, dataset, resource, "parquet"))))
