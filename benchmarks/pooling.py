"""Pooling a pack: the hub (full, and with one member changed) against pandas, in the same run.

    .venv/bin/python benchmarks/pooling.py                              # 1,000 members x 10,000 rows
    .venv/bin/python benchmarks/pooling.py --members 100 --rows 10000 --repeat 3
    .venv/bin/python benchmarks/pooling.py --members 100 --profile hub-full   # cProfile, in-process

The pack is the built-in `eau_potable` (primary key code_insee + mois, tenancy by INSEE
code). A synthetic committee of `--members` communes (distinct INSEE codes, valid SIRENs)
each offers one staged file of `--rows` rows, as staging leaves them: Parquet (zstd level
1) with the schema's types, a report saying "publish" and valid, and a manifest entry
declaring the dataset `pooled_as: eau_potable`. So that 10,000 rows per commune have
distinct keys, `mois` runs over consecutive days from 1990-01-01 (the schema only asks
for a date). `--duplicates` (1 % by default) of each file's rows repeat the previous
row's key with other volumes, so deduplication has work to do (the last row wins).

The staged Parquet files are generated once, into a temporary directory. Each contender
runs in its own interpreter, which reports its wall time and its peak RSS:
- hub-full: what the pooled asset does from an empty state (`pool_pack`: every member's
  staged file conformed and deduplicated into its part of the pooled table, a Parquet
  object per member, then the sources list and the state), then what the downloads asset
  does (`write_downloads`: the single Parquet and CSV streamed from the parts), timed apart;
- hub-one: the same full pooling first (not timed), then one member's file changes (new
  bytes, new sha256 in its manifest) and both steps are timed again;
- pandas: the same files read with pandas (pyarrow engine) from their bytes, `concat`,
  `drop_duplicates(subset=primary key, keep="last")`, Parquet (zstd) written to bytes.
The hub runs unchanged on a `MemoryObjectStore` whose staged Parquet objects are read
from the temporary files when asked for (as from S3), so the peak RSS is pooling's, not
the store's. The pooled CSV the hub also writes is timed but its bytes are not kept (an
upload lets them go); everything else stays in the store's memory. The peak RSS is
measured over the timed part (the kernel's high-water mark is reset when the clock
starts, /proc/self/clear_refs), so hub-one's does not count its untimed full pooling.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import importlib
import io
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import polars as pl

from catalog.identifiers import luhn_complete
from connectors.objectstore import MemoryObjectStore, StoredObject

PROJECT_DIR = Path(__file__).resolve().parents[1]

PACK = "eau_potable"
DATASET, RESOURCE = "volumes-eau-potable", "volumes"
PRIMARY_KEY = ["code_insee", "mois"]
LANDED = "2026-01-{day:02d}T{hour:02d}:{minute:02d}:00+00:00"
DEPARTMENTS = [d for d in range(1, 96) if d != 20]  # 2A/2B aside, every metropolitan one


def synthetic_members(count: int) -> list[dict]:
    members = []
    for i in range(count):
        department, number = DEPARTMENTS[i // 900], i % 900 + 1
        slug = f"commune-{i:04d}"
        members.append({
            "slug": slug, "name": f"Commune {i:04d}", "kind": "commune",
            "insee": f"{department:02d}{number:03d}", "siren": luhn_complete(f"2{i:07d}"),
            "contact": f"donnees@{slug}.example.fr",
        })
    return members


def member_frame(index: int, member: dict, rows: int, duplicates: float, bump: float = 1.0) -> pl.DataFrame:
    """One member's staged file. Every `1/duplicates`-th row repeats the previous key."""
    k = pl.int_range(0, rows, eager=True, dtype=pl.Int64)
    step = round(1 / duplicates) if duplicates else rows + 1
    offset = k - (k + 1) // step  # rows before k that repeated a key: the day stays
    distributed = (1000 + (k * 37 + index * 11) % 5000).cast(pl.Float64) + 0.5
    return pl.DataFrame({
        "code_insee": pl.repeat(member["insee"], rows, eager=True),
        "commune": pl.repeat(member["name"], rows, eager=True),
        "mois": pl.select(pl.lit(date(1990, 1, 1)) + pl.duration(days=offset)).to_series(),
        "volume_distribue_m3": distributed * bump,
        "volume_facture_m3": distributed * 0.8,
        "longueur_reseau_km": (pl.repeat(None, rows, eager=True, dtype=pl.Float64) if index % 5 == 0
                               else pl.repeat(10.0 + index % 90, rows, eager=True)),
    })


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd", compression_level=1)  # as staging writes
    return buffer.getvalue()


def generate(workdir: Path, members: int, rows: int, duplicates: float) -> dict:
    """The staged files, and a spec every contender rebuilds the same committee from."""
    (workdir / "staged").mkdir()
    spec = {"rows": rows, "duplicates": duplicates, "members": synthetic_members(members)}
    for index, member in enumerate(spec["members"]):
        data = parquet_bytes(member_frame(index, member, rows, duplicates))
        (workdir / "staged" / f"{member['slug']}.parquet").write_bytes(data)
        minute = index % 1440
        member["sha256"] = hashlib.sha256(data).hexdigest()
        member["fetched_at"] = LANDED.format(day=1, hour=minute // 60, minute=minute % 60)
    (workdir / "spec.json").write_text(json.dumps(spec))
    return spec


# --- The contenders ----------------------------------------------------------------------


class StagedFilesStore(MemoryObjectStore):
    """A memory bucket whose staged Parquet objects are files, read when asked for, and
    whose pooled CSV is not kept (an upload lets its bytes go)."""

    def __init__(self, files: dict[str, Path]) -> None:
        super().__init__("bench")
        self.files = files
        self.dropped: dict[str, int] = {}

    def exists(self, key: str) -> bool:
        return super().exists(key) or key in self.files or key in self.dropped

    def get_bytes(self, key: str) -> bytes:
        if not super().exists(key) and key in self.files:
            return self.files[key].read_bytes()
        return super().get_bytes(key)

    def put_file(self, key, path, content_type="application/octet-stream", metadata=None) -> StoredObject:
        if key == f"pooled/{PACK}/{PACK}.csv":
            self.dropped[key] = os.path.getsize(path)
            return StoredObject(key=key, size=self.dropped[key], etag="")
        return super().put_file(key, path, content_type, metadata)


def manifest(member: dict) -> dict:
    return {"datasets": {DATASET: {
        "status": "present", "override": {"pooled_as": PACK},
        "resources": {RESOURCE: {"sha256": member["sha256"], "fetched_at": member["fetched_at"],
                                 "name": "volumes.csv", "format": "CSV", "member": member["slug"],
                                 "dataset": DATASET, "resource": RESOURCE,
                                 "key": f"raw/{member['slug']}/{member['sha256']}.csv"}},
    }}}


def hub_setup(workdir: Path):
    from catalog.committee import Committee
    from catalog.packs import BUILTIN, load_pack
    from connectors.handoffs.layout import manifest_key, staged_key
    from pipelines.packs import EnabledPack, pack_schema

    spec = json.loads((workdir / "spec.json").read_text())
    fields = ("slug", "name", "kind", "insee", "siren", "contact")
    committee = Committee.model_validate({
        "slug": "banc-essai", "name": "Comité de banc d'essai", "packs": [PACK],
        "members": [{k: m[k] for k in fields} for m in spec["members"]],
    })
    pack = load_pack(BUILTIN / PACK)
    enabled = EnabledPack(pack, pack_schema(pack))
    files = {staged_key(m["slug"], DATASET, RESOURCE, "parquet"): workdir / "staged" / f"{m['slug']}.parquet"
             for m in spec["members"]}
    store = StagedFilesStore(files)
    for member in spec["members"]:
        store.put_json(manifest_key(member["slug"]), manifest(member))
        store.put_json(staged_key(member["slug"], DATASET, RESOURCE, "json"), report(member, spec["rows"]))
    return spec, committee, enabled, store


def report(member: dict, rows: int) -> dict:
    """The staged report as staging writes it for these bytes: publishable and valid."""
    return {"decision": "publish", "name": "volumes.csv", "rows": rows, "source_sha256": member["sha256"],
            "validation": {"valid": True, "errors": 0, "schema": "eau-potable-volumes-mensuels",
                           "version": "1.0.0"}}


def hub_pooling(store, committee, enabled, clock) -> dict:
    """What the pooled asset does (`pool_pack`: consolidate the members' parts, record the
    sources and state), then what the downloads asset does (`write_downloads`: the single
    Parquet and CSV streamed from the parts), timed apart."""
    from pipelines.pooling import pool_pack, write_downloads

    clock.start()
    result = pool_pack(store, committee, enabled)
    pooled = time.perf_counter()
    done = write_downloads(store, enabled)
    written = time.perf_counter()
    return {"table": pooled - clock.started, "downloads": written - pooled, "seconds": written - clock.started,
            "rows": result.rows, "reread": len(result.reread), "download_rows": done.rows,
            "csv_bytes": sum(store.dropped.values())}


def run_hub_full(workdir: Path, out: Path, clock) -> dict:
    _, committee, enabled, store = hub_setup(workdir)
    figures = hub_pooling(store, committee, enabled, clock)
    clock.stop()
    out.write_bytes(store.get_bytes(f"pooled/{PACK}/{PACK}.parquet"))
    return figures


def run_hub_one(workdir: Path, out: Path, clock) -> dict:
    from connectors.handoffs.layout import manifest_key, staged_key
    from pipelines.pooling import pool_pack, write_downloads

    spec, committee, enabled, store = hub_setup(workdir)
    full = pool_pack(store, committee, enabled)  # the state a run finds: not timed
    write_downloads(store, enabled)
    index = len(spec["members"]) // 2
    member = spec["members"][index]
    data = parquet_bytes(member_frame(index, member, spec["rows"], spec["duplicates"], bump=1.1))
    member = {**member, "sha256": hashlib.sha256(data).hexdigest(),
              "fetched_at": LANDED.format(day=2, hour=0, minute=0)}  # landed after all the others
    store.put_bytes(staged_key(member["slug"], DATASET, RESOURCE, "parquet"), data)
    store.put_json(manifest_key(member["slug"]), manifest(member))
    store.put_json(staged_key(member["slug"], DATASET, RESOURCE, "json"), report(member, spec["rows"]))
    figures = hub_pooling(store, committee, enabled, clock)
    clock.stop()
    assert figures["reread"] == 1 and figures["rows"] == full.rows, (figures, full.rows)
    out.write_bytes(store.get_bytes(f"pooled/{PACK}/{PACK}.parquet"))
    return figures


def run_pandas(workdir: Path, out: Path, clock) -> dict:
    import pandas as pd

    paths = sorted((workdir / "staged").glob("*.parquet"))
    clock.start()
    frames = [pd.read_parquet(io.BytesIO(path.read_bytes()), engine="pyarrow") for path in paths]
    merged = pd.concat(frames, ignore_index=True)
    del frames
    table = merged.drop_duplicates(subset=PRIMARY_KEY, keep="last")
    del merged
    buffer = io.BytesIO()
    table.to_parquet(buffer, engine="pyarrow", compression="zstd", index=False)
    data = buffer.getvalue()
    seconds = time.perf_counter() - clock.started
    clock.stop()
    out.write_bytes(data)
    return {"seconds": seconds, "rows": len(table)}


CONTENDERS = {"hub-full": run_hub_full, "hub-one": run_hub_one, "pandas": run_pandas}
# Imported before the clock starts: the figures are the work, not the interpreter's start.
LIBRARIES = {
    "hub-full": ("pipelines.pooling", "catalog.committee", "catalog.packs", "pipelines.packs"),
    "hub-one": ("pipelines.pooling", "catalog.committee", "catalog.packs", "pipelines.packs"),
    "pandas": ("pandas", "pyarrow.parquet"),
}


class Clock:
    """Starts the timed part: collects garbage, then resets the kernel's RSS high-water mark."""

    started = 0.0
    peak = None
    reset = False

    def start(self) -> None:
        gc.collect()
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self.reset = True
        except OSError:
            self.reset = False
        self.started = time.perf_counter()

    def stop(self) -> None:
        status = Path("/proc/self/status").read_text() if Path("/proc/self/status").exists() else ""
        hwm = [line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")]
        self.peak = int(hwm[0]) * 1024 if hwm and self.reset else None


def child(contender: str, workdir: Path, out: Path) -> None:
    for library in LIBRARIES[contender]:
        importlib.import_module(library)
    clock = Clock()
    figures = CONTENDERS[contender](workdir, out, clock)
    process_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    print(json.dumps({**figures, "peak_rss": clock.peak or process_peak, "process_peak_rss": process_peak,
                      "peak_reset": clock.peak is not None}))


def measure(contender: str, workdir: Path) -> dict:
    """Run one contender in a fresh interpreter; it prints its own figures as JSON."""
    out = workdir / f"{contender}.parquet"
    command = [sys.executable, __file__, "--run", contender, str(workdir), str(out)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=PROJECT_DIR)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"{contender} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def same_table(workdir: Path) -> bool:
    """The hub's pooled rows, on the schema's columns, equal pandas' once both are sorted."""
    hub = pl.read_parquet(workdir / "hub-full.parquet")
    pandas = pl.read_parquet(workdir / "pandas.parquet")
    pandas = pandas.select(pl.col(c).cast(hub.schema[c]) for c in pandas.columns)
    return hub.select(pandas.columns).sort(PRIMARY_KEY).equals(pandas.sort(PRIMARY_KEY))


def compare(members: int, rows: int, duplicates: float, workdir: Path, repeat: int) -> None:
    started = time.perf_counter()
    generate(workdir, members, rows, duplicates)
    size = sum(path.stat().st_size for path in (workdir / "staged").iterdir())
    print(f"generated {members:,} staged files of {rows:,} rows ({members * rows:,} rows, {size / 1e6:.0f} MB"
          f" of Parquet) in {time.perf_counter() - started:.0f} s")
    # Alternated runs, the fastest of each kept: the machine is shared.
    runs: dict[str, list[dict]] = {name: [] for name in CONTENDERS}
    for _ in range(repeat):
        for name in runs:
            runs[name].append(measure(name, workdir))
    full, one, pandas = (min(runs[name], key=lambda figures: figures["seconds"]) for name in runs)
    assert full["rows"] == pandas["rows"], (full["rows"], pandas["rows"])
    same = same_table(workdir)
    total = members * rows

    def line(name: str, seconds: float, figures: dict, detail: str = "") -> str:
        return (f"{name:>24}: {seconds:7.2f} s  {total / seconds:>12,.0f} rows/s"
                f"  peak RSS {figures['peak_rss'] / 2**20:6.0f} MiB{detail}")

    print(line("hub, full", full["seconds"], full,
               f"  (pooled table {full['table']:.2f} s, downloads {full['downloads']:.2f} s)"))
    print(line("hub, one member changed", one["seconds"], one,
               f"  (pooled table {one['table']:.3f} s, downloads {one['downloads']:.2f} s)"))
    print(line("pandas", pandas["seconds"], pandas))
    lower = full["peak_rss"] < pandas["peak_rss"]
    print(f"  peak RSS hub full / pandas: {full['peak_rss'] / pandas['peak_rss']:.2f}x (goal: lower:"
          f" {'met' if lower else 'NOT met'})")
    for what, seconds in (("pooled table", full["table"]), ("pooled table + downloads", full["seconds"])):
        speed = pandas["seconds"] / seconds
        print(f"  hub full vs pandas, {what}: {speed:.2f}x faster (goal >= 3x: {'met' if speed >= 3 else 'NOT met'})")
    for what, key in (("pooled table", "table"), ("pooled table + downloads", "seconds")):
        ratio = full[key] / one[key]
        print(f"  full / one member changed, {what}: {ratio:.1f}x (goal >= 20x: {'met' if ratio >= 20 else 'NOT met'})")
    print(f"  rows in the pooled table: {full['rows']:,} of {total:,}; same rows as pandas: {same};"
          f" pooled CSV {full['csv_bytes'] / 1e6:.0f} MB (written, not kept)")
    reset = all(f["peak_reset"] for f in (full, one, pandas))
    print(f"  peak RSS over the timed part only: {reset}; whole processes: hub full"
          f" {full['process_peak_rss'] / 2**20:.0f}, hub one {one['process_peak_rss'] / 2**20:.0f},"
          f" pandas {pandas['process_peak_rss'] / 2**20:.0f} MiB")
    print(f"  fastest of {repeat} alternated runs each; load average {os.getloadavg()[0]:.1f}"
          f" on {os.cpu_count()} cores")
    if not same:
        sys.exit(1)


def profile(contender: str, members: int, rows: int, duplicates: float, workdir: Path) -> None:
    """One contender in this process under cProfile: where the time goes, by function."""
    generate(workdir, members, rows, duplicates)
    for library in LIBRARIES[contender]:
        importlib.import_module(library)
    profiler = cProfile.Profile()

    class ProfiledClock(Clock):
        def start(self) -> None:
            super().start()
            profiler.enable()

        def stop(self) -> None:
            profiler.disable()
            super().stop()

    figures = CONTENDERS[contender](workdir, workdir / "out.parquet", ProfiledClock())
    print(json.dumps(figures))
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=10_000, help="rows per member's file")
    parser.add_argument("--duplicates", type=float, default=0.01, help="share of rows repeating a key")
    parser.add_argument("--repeat", type=int, default=1, help="runs per contender (fastest kept)")
    parser.add_argument("--profile", choices=list(CONTENDERS), help="profile one contender in-process")
    parser.add_argument("--workdir", type=Path, help="where to write the files (default: temp)")
    parser.add_argument("--run", nargs=3, metavar=("CONTENDER", "WORKDIR", "OUT"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.run:
        contender, workdir, out = arguments.run
        child(contender, Path(workdir), Path(out))
        return
    if arguments.members > len(DEPARTMENTS) * 900:
        parser.error(f"--members: at most {len(DEPARTMENTS) * 900}")
    with tempfile.TemporaryDirectory(dir=arguments.workdir) as work:
        if arguments.profile:
            profile(arguments.profile, arguments.members, arguments.rows, arguments.duplicates, Path(work))
        else:
            compare(arguments.members, arguments.rows, arguments.duplicates, Path(work), arguments.repeat)


if __name__ == "__main__":
    main()
