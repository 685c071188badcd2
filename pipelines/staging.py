"""Staging: raw bytes -> normalised Parquet, validated and screened, beside the decision.

For each landed tabular resource of a member: read it as French files need
(connectors.tabular), apply the committee's column decisions (drop, pseudonymise),
validate against the declared TableSchema, screen for personal data, and write
`staged/<member>/<dataset>/<resource>.{parquet,csv,json}` (+ `.errors.csv` with the
per-row diagnostics). The `.json` report carries the source sha256: a resource whose raw
bytes did not change is not staged again.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field

import polars as pl

from catalog.privacy import pseudonymise, screen
from catalog.validation import SchemaError, TableSchema, validate
from connectors.http import FetchError
from connectors.objectstore import ObjectStore, object_key
from connectors.tabular import UnreadableFile, read_table, safe_csv
from pipelines.gathering import Failure, manifest_key
from pipelines.schemas import load_declared_schema

TABULAR_FORMATS = {"CSV", "TXT", "XLSX", "XLS", "ODS", "JSON", "GEOJSON", "PARQUET"}


@dataclass
class MemberStaging:
    member: str
    staged: int = 0
    unchanged: int = 0
    blocked: list[str] = field(default_factory=list)  # personal data without exemption
    invalid: list[str] = field(default_factory=list)  # not conformant to the declared schema
    failures: list[Failure] = field(default_factory=list)


def staged_key(member: str, dataset: str, resource: str, suffix: str) -> str:
    return object_key("staged", member, dataset, f"{resource}.{suffix}")


def stage_member(store: ObjectStore, member: str, pseudonymisation_key: bytes,
                 pack_schemas: dict[str, TableSchema] | None = None) -> MemberStaging:
    """`pack_schemas`: the schema of each enabled pack, by name. A dataset the committee
    pools into a pack is validated against the pack's schema unless it declares its own."""
    pack_schemas = pack_schemas or {}
    manifest = store.get_json(manifest_key(member), default={"datasets": {}})
    result = MemberStaging(member=member)
    for dataset, entry in manifest["datasets"].items():
        if entry.get("status") != "present":
            continue
        override = entry.get("override") or {}
        try:
            schema = _schema_of(override, pack_schemas)
        except (SchemaError, FetchError, OSError) as exc:  # its files wait; the others go on
            when = max((r["fetched_at"] for r in entry["resources"].values()), default="")
            result.failures.append(Failure("dataset", dataset, str(exc), when))
            continue
        decisions = _decisions_fingerprint(override, schema)
        for resource, landing in entry["resources"].items():
            if landing["format"].upper() not in TABULAR_FORMATS:
                continue
            report_key = staged_key(member, dataset, resource, "json")
            previous = store.get_json(report_key)
            # Same bytes and same committee decisions: nothing to redo. A new exemption,
            # dropped column or schema re-stages the file even though its bytes are unchanged.
            if (previous and previous.get("source_sha256") == landing["sha256"]
                    and previous.get("decisions") == decisions):
                result.unchanged += 1
                _tally(result, dataset, previous)
                continue
            try:
                report = _stage_resource(store, landing, override, schema, pseudonymisation_key)
                report["decisions"] = decisions
            except (UnreadableFile, SchemaError, FetchError, ValueError, OSError) as exc:
                result.failures.append(
                    Failure("resource", f"{dataset}/{landing.get('name', resource)}", str(exc),
                            landing["fetched_at"])
                )
                continue
            store.put_json(report_key, report)
            result.staged += 1
            _tally(result, dataset, report)
    return result


def _tally(result: MemberStaging, dataset: str, report: dict) -> None:
    if report["decision"] == "blocked" and dataset not in result.blocked:
        result.blocked.append(dataset)
    validation = report.get("validation")
    if validation and not validation["valid"] and dataset not in result.invalid:
        result.invalid.append(dataset)


def _schema_of(override: dict, pack_schemas: dict[str, TableSchema]) -> TableSchema | None:
    if override.get("schema"):
        return load_declared_schema(override["schema"])
    return pack_schemas.get(override.get("pooled_as"))


def _stage_resource(store: ObjectStore, landing: dict, override: dict, schema: TableSchema | None,
                    key: bytes) -> dict:
    member, dataset, resource = landing["member"], landing["dataset"], landing["resource"]
    table = read_table(store.get_bytes(landing["key"]), landing.get("name") or landing["key"],
                       declared_format=landing["format"], keep_text=schema.text_fields if schema else ())
    frame = table.frame
    dropped = [c for c in override.get("drop_columns", ()) if c in frame.columns]
    frame = frame.drop(dropped)
    hashed = [c for c in override.get("pseudonymise_columns", ()) if c in frame.columns]
    if hashed:
        frame = pseudonymise(frame, hashed, key)
    table.frame = frame

    validation = None
    if schema is not None:
        outcome = validate(frame, schema)
        validation = outcome.summary()
        # The diagnostics quote the producer's cells: published, so neutralised like the data.
        store.put_bytes(staged_key(member, dataset, resource, "errors.csv"), safe_csv(outcome.errors), "text/csv")

    findings = screen(frame, ignore_columns=hashed)
    exemption = override.get("personal_data_exemption")
    decision = "publish" if not findings or exemption else "blocked"

    store.put_bytes(staged_key(member, dataset, resource, "parquet"), table.to_parquet(),
                    "application/vnd.apache.parquet")
    store.put_bytes(staged_key(member, dataset, resource, "csv"), table.to_csv(), "text/csv")
    return {
        "source_sha256": landing["sha256"],
        "source_key": landing["key"],
        "name": landing.get("name"),
        "normalisation": table.report,
        "rows": frame.height,
        "columns": frame.columns,
        "dropped_columns": dropped,
        "pseudonymised_columns": hashed,
        "validation": validation,
        "personal_data": [
            {"column": f.column, "kind": f.kind, "count": f.count, "examples": list(f.examples)}
            for f in findings
        ],
        "decision": decision,
        "exemption": exemption,
    }


# Bumped when reading, validation or screening change what a staged file holds, so that
# unchanged raw bytes are staged again by the new rules.
STAGING_RULES = 3


def _decisions_fingerprint(override: dict, schema: TableSchema | None) -> str:
    # The schema's descriptor too: a pack whose schema changes re-validates its files.
    decisions = {"override": override, "rules": STAGING_RULES, "schema": schema.descriptor if schema else None}
    return hashlib.sha256(json.dumps(decisions, sort_keys=True, default=str).encode()).hexdigest()[:16]


def read_staged(store: ObjectStore, member: str, dataset: str, resource: str) -> pl.DataFrame:
    return pl.read_parquet(io.BytesIO(store.get_bytes(staged_key(member, dataset, resource, "parquet"))))
