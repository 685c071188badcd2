"""Staging a CSV above the memory budget through the pipeline: wall time and peak RSS.

    set -a; . .stack/env; set +a
    .venv/bin/python benchmarks/stage_large.py              # 1.2 GB, validated, primary key
    .venv/bin/python benchmarks/stage_large.py --gb 0.3 --no-primary-key

Generates a French CSV (benchmarks/normalise.py's generator: Windows-1252, `;`, decimal
commas, dd/mm/yyyy dates, INSEE codes and SIRETs with leading zeros), lands it in the
stack's object store as the raw object of a throw-away member `bench-<uuid>` (manifest
included), then runs `pipelines.staging.stage_member` in a fresh interpreter, which
reports its wall time, processor time and peak RSS (getrusage). The dataset is validated
against a schema of the generated columns, by default with the SIRET as primary key (the
check that compares rows across the whole table). Everything written under the member's
prefixes is deleted at the end. Goal: peak RSS under 1 GiB.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from connectors.objectstore import ObjectStore, object_key

PROJECT_DIR = Path(__file__).resolve().parents[1]
KEY = b"benchmark-pseudonymisation-key!!"
SCHEMA = {
    "name": "mandats-generes",
    "fields": [
        {"name": "code_insee", "type": "string",
         "constraints": {"required": True, "pattern": "(?:[0-9]{2}|2[AB])[0-9]{3}"}},
        {"name": "commune", "type": "string", "constraints": {"required": True}},
        {"name": "date_du_mandat", "type": "date", "constraints": {"required": True}},
        {"name": "montant", "type": "number", "constraints": {"minimum": 0}},
        {"name": "taux", "type": "number", "constraints": {"minimum": 0, "maximum": 100}},
        {"name": "population", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "siret", "type": "string", "constraints": {"required": True, "pattern": "[0-9]{14}"}},
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=1.2, help="size of the generated CSV (GB)")
    parser.add_argument("--no-primary-key", action="store_true", help="validate without the SIRET primary key")
    parser.add_argument("--workdir", type=Path, help="where to generate the file (default: temp)")
    parser.add_argument("--generate", nargs=2, metavar=("PATH", "GB"), help=argparse.SUPPRESS)
    parser.add_argument("--run", nargs=2, metavar=("MEMBER", "SCHEMA_JSON"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.generate:
        _generate(Path(arguments.generate[0]), float(arguments.generate[1]))
    elif arguments.run:
        _child(*arguments.run)
    else:
        schema = SCHEMA if arguments.no_primary_key else {**SCHEMA, "primaryKey": ["siret"]}
        with tempfile.TemporaryDirectory(dir=arguments.workdir) as work:
            bench(arguments.gb, schema, Path(work))


def bench(gigabytes: float, schema: dict, workdir: Path) -> None:
    # The child's peak RSS starts from this process's (fork copies its high-water mark):
    # this one imports no polars and generates the file in another interpreter.
    source = workdir / "mandats.csv"
    started = time.perf_counter()
    rows = int(_python("--generate", str(source), str(gigabytes)).strip())
    size = source.stat().st_size
    print(f"generated {rows:,} rows, {size / 1e9:.2f} GB in {time.perf_counter() - started:.0f} s")
    store = ObjectStore.from_environment()
    member = f"bench-{uuid.uuid4().hex[:12]}"
    try:
        _land(store, member, source)
        print(f"landed as raw/{member}/ (own peak RSS, a floor for the figures: {_peak_rss() / 2**20:.0f} MiB)")
        figures = json.loads(_python("--run", member, json.dumps(schema)).strip().splitlines()[-1])
    finally:
        for prefix in (f"raw/{member}/", f"staged/{member}/"):
            for obj in list(store.list(prefix)):
                store.remove(obj.key)
    assert figures["rows"] == rows, (figures["rows"], rows)
    peak = figures["peak_rss"]
    print(
        f"staged {figures['rows']:,} rows in {figures['seconds']:.1f} s ({rows / figures['seconds']:,.0f} rows/s),"
        f" processor {figures['cpu']:.1f} s, peak RSS {peak / 2**20:.0f} MiB ({peak / size:.2f} x the file);"
        f" goal < 1 GiB: {'met' if peak < 2**30 else 'NOT met'}"
    )
    print(f"  streamed: {figures['streamed']}, validation: {figures['validation']},"
          f" personal data: {figures['personal_data']}, decision: {figures['decision']}")
    print(f"  staged objects: {figures['objects']}")


def _land(store: ObjectStore, member: str, source: Path) -> None:
    """The raw object and the manifest entry `raw` would have written (streamed upload)."""
    with source.open("rb") as file:
        digest = hashlib.file_digest(file, "sha256").hexdigest()
    key = object_key("raw", member, f"{digest}.csv")
    store.put_file(key, source, "text/csv", metadata={"sha256": digest})
    landing = {"member": member, "dataset": "mandats", "resource": "mandats", "key": key, "sha256": digest,
               "size": source.stat().st_size, "format": "CSV", "name": "mandats.csv",
               "fetched_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())}
    store.put_json(object_key("raw", member, "manifest.json"), {"datasets": {"mandats": {
        "status": "present", "override": {"pooled_as": "mandats"}, "resources": {"mandats": landing}}}})


def _child(member: str, schema_json: str) -> None:
    """Stage the member in this fresh interpreter; print the figures as JSON."""
    from catalog.validation import load_schema
    from connectors.handoffs.layout import manifest_key, staged_key
    from pipelines.staging import stage_member

    store = ObjectStore.from_environment()
    assert store.exists(manifest_key(member))  # the layout `raw` writes, as the staging reads it
    schemas = {"mandats": load_schema(json.loads(schema_json))}
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    result = stage_member(store, member, KEY, schemas)
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    peak = _peak_rss()
    if result.failures or result.staged != 1:
        raise SystemExit(f"staging failed: {result}")
    report = store.get_json(staged_key(member, "mandats", "mandats", "json"))
    objects = {obj.key.rsplit("/", 1)[1]: f"{obj.size / 1e6:.0f} MB" for obj in store.list(f"staged/{member}/")}
    print(json.dumps({
        "seconds": seconds, "cpu": cpu, "peak_rss": peak, "rows": report["rows"],
        "streamed": report["normalisation"].get("streamed", False), "validation": report["validation"],
        "personal_data": report["personal_data"], "decision": report["decision"], "objects": objects,
    }))


def _generate(path: Path, gigabytes: float) -> None:
    from normalise import generate  # benchmarks/normalise.py, beside this script

    probe = path.with_name("probe.csv")
    generate(probe, 100_000)
    rows = int(gigabytes * 1e9 / (probe.stat().st_size / 100_000)) + 1
    probe.unlink()
    generate(path, rows)
    print(rows)


def _python(*arguments: str) -> str:
    command = [sys.executable, __file__, *arguments]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=PROJECT_DIR)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments[:1])} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
