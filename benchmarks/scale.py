"""A committee of N members x 10 datasets through `tdh run`, against a naive harvester.

    set -a; . .stack/env; set +a
    .venv/bin/python benchmarks/scale.py                        # 100 members x 10 datasets
    .venv/bin/python benchmarks/scale.py --members 20           # the 20 x 10 committee of issue 7
    .venv/bin/python benchmarks/scale.py --members 1000 --baseline-members 20

A committee file of N members (`scale-<run>-NNNN`) is generated, each member publishing 10
plain file URLs (one small French CSV each: `;`, decimal comma, dd/mm/yyyy) on a local
stand-in file host that waits `--latency-ms` before each answer (a member's web server).
Then, on the real stack:

- the definitions' load time (a fresh interpreter importing and building them);
- `tdh run` as a whole process, twice: the first run (gathering, staging, publication into
  CKAN, one Dagster run per member, then the committee's), then the run with nothing
  changed; wall time, datasets/s end to end, and the process's peak RSS (`wait4`);
- in the same run, the baseline a catalogue without the hub would use, the way
  ckanext-harvest's CKAN harvester works: for each dataset one after the other, fetch the
  file, `package_create`, then `resource_create` with the file uploaded (ckanapi), into an
  organization of its own per member; no normalisation, no checks, no DataStore preview.

The Dagster instance of the runs is the stack's PostgreSQL in a database of its own,
`bench_<run>` (created and dropped here), so the demo's partitions and run history are
untouched; everything else made (CKAN datasets and organizations, objects under inbox/,
raw/ and staged/ of the members) is purged at the end unless `--keep`.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import requests
import yaml
from ckanapi import NotFound, RemoteCKAN

from benchmarks.publish import committee_data, member_file
from connectors.handoffs.layout import settled_key
from connectors.objectstore import ObjectStore
from tests.ckan_cleanup import purge_dataset
from tests.standins.files import FileHost

PROJECT = Path(__file__).resolve().parents[1]
DATASETS = 10



def admin_url(database: str) -> str:
    """The Dagster instance's server, as its superuser, in `database`."""
    url = urlsplit(os.environ["HUB_DAGSTER_PG_URL"].replace("postgresql+psycopg2", "postgresql"))
    password = os.environ["STACK_PG_SUPERUSER_PASSWORD"]
    return urlunsplit(url._replace(netloc=f"postgres:{password}@{url.hostname}:{url.port}", path=f"/{database}"))


def dagster_database(name: str, create: bool) -> None:
    connection = psycopg2.connect(admin_url("postgres"))
    connection.autocommit = True
    with connection.cursor() as cursor:
        if create:
            cursor.execute(f'CREATE DATABASE "{name}" OWNER hub_dagster')
        else:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    connection.close()


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all the machine's cores since boot (/proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return sum(fields) - idle, sum(fields)


def timed_process(command: list[str], env: dict[str, str], log: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MiB and exit status of a whole process (and its children);
    prints the processor time it took and how busy the machine's cores were meanwhile (the
    stack's services included), which says whether waiting or computing bounds it."""
    started, (busy, total) = time.perf_counter(), cpu_ticks()
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=PROJECT)
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    busy_after, total_after = cpu_ticks()
    print(f"  ({' '.join(command[-2:])}: processor {usage.ru_utime + usage.ru_stime:.1f} s of its own; "
          f"cores busy {100 * (busy_after - busy) / max(total_after - total, 1):.0f} % meanwhile)")
    return wall, usage.ru_maxrss / 1024, process.returncode


STEP_TIMES = """
import sys
from collections import Counter
import dagster as dg
since = float(sys.argv[1])
with dg.DagsterInstance.get() as instance:
    for job in ("member_job", "committee_job"):
        records = [r for r in instance.get_run_records(dg.RunsFilter(job_name=job)) if r.start_time >= since]
        steps = Counter()
        for record in records:
            for step in instance.get_run_step_stats(record.dagster_run.run_id):
                steps[step.step_key] += step.end_time - step.start_time
        wall = sum(r.end_time - r.start_time for r in records)
        print(f"    {job}: {len(records)} run(s), {wall:.2f} s in all; steps " +
              ", ".join(f"{key} {seconds:.2f}" for key, seconds in steps.items()))
"""


def step_times(env: dict[str, str], since: float) -> str:
    """The member and committee runs started since `since` (epoch seconds): how many, their
    time in all and each step's, from the benchmark's own instance."""
    return subprocess.run([sys.executable, "-W", "ignore", "-c", STEP_TIMES, str(since)], env=env,  # noqa: S603
                          cwd=PROJECT, capture_output=True, text=True, check=True).stdout.rstrip()


def naive_harvest(ckan: RemoteCKAN, run: str, members: int, host_url: str) -> tuple[float, int]:
    """Sequential fetch + package_create + resource_create with the upload, per dataset."""
    session = requests.Session()
    started, made = time.perf_counter(), 0
    for m in range(members):
        org = ckan.action.organization_create(name=f"naive-{run}-{m:04d}", title=f"Moissonnage naïf {m:04d}")
        for d in range(DATASETS):
            body = session.get(f"{host_url}/m{m:04d}/releves-{d:02d}.csv", timeout=30).content
            package = ckan.action.package_create(
                name=f"naive-{run}-{m:04d}-releves-{d:02d}", title=f"Relevés de compteurs {d:02d}",
                owner_org=org["id"], notes="Relevés mensuels (moissonnage naïf).", license_id="etalab-2.0")
            upload = io.BytesIO(body)
            upload.name = f"releves-{d:02d}.csv"  # ckanapi sends a file-like value as a multipart upload
            ckan.action.resource_create(package_id=package["id"], name=upload.name, format="CSV", upload=upload)
            made += 1
    return time.perf_counter() - started, made


def purge(ckan: RemoteCKAN, store: ObjectStore, run: str, slugs: list[str], naive_members: int) -> None:
    # The naive datasets by name: just made, the search may not see them yet.
    for m in range(naive_members):
        for d in range(DATASETS):
            _purge_dataset(ckan, f"naive-{run}-{m:04d}-releves-{d:02d}")
    for org in [*slugs, f"scale-{run}", *(f"naive-{run}-{m:04d}" for m in range(naive_members))]:
        try:
            found = ckan.action.package_search(fq=f"organization:{org}", rows=1000, include_private=True)
        except NotFound:
            continue
        for package in found["results"]:
            _purge_dataset(ckan, package["id"])  # the index may still list one purged above
        try:
            ckan.action.organization_purge(id=org)
        except NotFound:
            pass
    for slug in slugs:
        for prefix in ("inbox", "raw", "staged"):
            for obj in list(store.list(f"{prefix}/{slug}/")):
                store.remove(obj.key)
    store.remove(settled_key(f"scale-{run}"))


def _purge_dataset(ckan: RemoteCKAN, name: str) -> None:
    purge_dataset(ckan, name)  # DataStore tables included


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--baseline-members", type=int, help="members the naive harvester publishes "
                        "(default: all; its rate is constant, a fraction measures it)")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--keep", action="store_true", help="do not purge what the run made")
    args = parser.parse_args()
    baseline_members = args.members if args.baseline_members is None else args.baseline_members

    run = uuid.uuid4().hex[:6]
    files = {f"m{m:04d}/releves-{d:02d}.csv": member_file(m % 100, d)
             for m in range(args.members) for d in range(DATASETS)}
    host = FileHost(files, latency=args.latency_ms / 1000).start()
    work = Path(tempfile.mkdtemp(prefix="tdh-scale-"))
    committee = committee_data(f"scale-{run}", args.members, DATASETS, host.url, width=4)
    (work / "committee.yaml").write_text(yaml.safe_dump(committee, allow_unicode=True, sort_keys=False))
    database = f"bench_{run}"
    dagster_home = work / "dagster"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text((PROJECT / "deploy/local/dagster/dagster.yaml").read_text())
    url = urlsplit(os.environ["HUB_DAGSTER_PG_URL"])
    env = {**os.environ, "HUB_COMMITTEE_FILE": str(work / "committee.yaml"), "DAGSTER_HOME": str(dagster_home),
           "HUB_DAGSTER_PG_URL": urlunsplit(url._replace(path=f"/{database}"))}
    datasets = args.members * DATASETS
    ckan = RemoteCKAN(os.environ["HUB_CKAN_URL"], apikey=os.environ["HUB_CKAN_TOKEN"],
                      user_agent="territorial-data-hub/benchmark")
    store = ObjectStore.from_environment()
    slugs = [m["slug"] for m in committee["members"]]
    print(f"committee scale-{run}: {args.members} members x {DATASETS} datasets = {datasets} datasets, "
          f"{args.latency_ms:g} ms per file answer; load average {os.getloadavg()[0]:.1f}")
    dagster_database(database, create=True)
    tdh = [str(PROJECT / ".venv/bin/tdh"), "run"]
    try:
        load, load_rss, status = timed_process(
            [sys.executable, "-c", "from pipelines.definitions import defs; defs()"], env, work / "defs.log")
        print(f"definitions: loaded in {load:.2f} s as a whole process, peak RSS {load_rss:.0f} MiB")
        started = time.time()
        first, first_rss, status = timed_process(tdh, env, work / "first.log")
        if status:
            raise SystemExit(f"first tdh run failed ({status}); log {work / 'first.log'}")
        print(f"first tdh run: {first:.1f} s, {datasets / first:.1f} datasets/s end to end, "
              f"peak RSS {first_rss:.0f} MiB")
        print(step_times(env, started))
        started = time.time()
        noop, noop_rss, status = timed_process(tdh, env, work / "noop.log")
        if status:
            raise SystemExit(f"no-op tdh run failed ({status}); log {work / 'noop.log'}")
        print(f"no-op tdh run: {noop:.1f} s ({first / noop:.1f}x faster than the first), peak RSS {noop_rss:.0f} MiB")
        print(step_times(env, started))
        said = (work / "noop.log").read_text().strip().splitlines()
        print(f"  {said[0] if said else 'nothing said by the no-op run'}")
        started = time.time()
        full, full_rss, status = timed_process([*tdh, "--full"], env, work / "full.log")
        if status:
            raise SystemExit(f"tdh run --full failed ({status}); log {work / 'full.log'}")
        print(f"no-op tdh run --full (every step, nothing to write): {full:.1f} s ({first / full:.1f}x faster "
              f"than the first), peak RSS {full_rss:.0f} MiB")
        print(step_times(env, started))
        summary = [line for line in (work / "full.log").read_text().splitlines() if line.startswith("catalogue:")]
        print(f"  {summary[0] if summary else 'no catalogue line in the --full log'}")
        changed = "m0000/releves-00.csv"
        host.files[changed] = host.files[changed].replace(b"\n", b"\r\n", 1)  # one member edits one file
        one, _, status = timed_process(tdh, env, work / "one.log")
        if status:
            raise SystemExit(f"tdh run after one change failed ({status}); log {work / 'one.log'}")
        said = (work / "one.log").read_text().splitlines()
        print(f"one member's file changed, tdh run: {one:.1f} s ({said[0] if said else ''})")
        naive, made = naive_harvest(ckan, run, baseline_members, host.url)
        print(f"naive harvester (sequential fetch + package_create + resource_create upload, {made} datasets): "
              f"{naive:.1f} s, {made / naive:.1f} datasets/s")
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\nload average {os.getloadavg()[0]:.1f}; peak RSS of this script {own:.0f} MiB")
        print(f"tdh run / naive harvester: {(datasets / first) / (made / naive):.2f}x the datasets/s "
              f"(first run, with normalisation, checks, previews); no-op {first / noop:.1f}x faster than the first")
    finally:
        host.stop()
        if not args.keep:
            purge(ckan, store, run, slugs, baseline_members)
            dagster_database(database, create=False)
        print(f"logs in {work}")


if __name__ == "__main__":
    main()
