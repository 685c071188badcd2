"""Publishing a committee's catalogue: the first run, then the same run with nothing changed.

    set -a; . .stack/env; set +a
    .venv/bin/python benchmarks/publish.py                     # 20 members x 10 datasets
    .venv/bin/python benchmarks/publish.py --workers 1         # one dataset at a time
    .venv/bin/python benchmarks/publish.py --members 5 --keep  # leave it all in CKAN to look at

A synthetic committee of `--members` members (`bench-<run>-NN`, committee `bench-<run>`),
each publishing `--datasets` plain file URLs (one small French CSV each: `;`, decimal
comma, dd/mm/yyyy) served by a local file host (tests/standins/files.py, with ETags). The
hub's real code runs on the real stack (HUB_* settings): `gather_member` and
`stage_member` for every member, then `pipelines.publishing.publish` (organizations, plan,
apply) into CKAN. Twice: a first run that publishes everything, then a run with nothing
changed. Each run is timed end to end and its publication step apart, and within it the
steps of `publish`; CKAN actions are timed by name at the client (their sum exceeds the
wall time when calls overlap); the object store's reads and writes are counted; and the
processor time that CKAN, PostgreSQL, Solr, SeaweedFS and this process used during
publication is read from /proc, beside the whole machine's: on a shared machine it says
what a dataset costs, whatever else runs.

At the end everything the run made is purged: CKAN datasets and organizations
(`dataset_purge`, `organization_purge`) and the S3 objects under inbox/, raw/ and staged/
of its members (unless `--keep`).
"""

from __future__ import annotations

import argparse
import os
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import psutil
from ckanapi import NotFound, RemoteCKAN

from catalog.committee import Committee
from catalog.identifiers import luhn_complete
from connectors.handoffs.layout import manifest_key
from connectors.objectstore import ObjectStore, StoredObject
from pipelines import publishing
from pipelines.gathering import gather_member
from pipelines.publishing import DEFAULT_WORKERS, Publication, publish
from pipelines.staging import stage_member
from tests.ckan_cleanup import purge_dataset
from tests.standins.files import FileHost

ROWS = 40  # rows per file: a small member file, like most of what communes publish
# The steps of `publish`, timed by wrapping the names it calls.
STEPS = ("ensure_organizations", "desired_datasets", "plan_against_catalogue", "apply")


# The stack's processes, by what their command lines hold; their processor time during the
# publication step says what a dataset costs whatever else the shared machine runs.
SERVICES = {"CKAN": ("gunicorn", "127.0.0.1:25000"), "PostgreSQL": ("postgres:",), "Solr": ("SolrLauncher",),
            "SeaweedFS": ("weed",)}


def processor_seconds() -> dict[str, float]:
    """Processor time (user + system) so far: per stack service, this process ("hub"), and
    the whole machine ("machine", all processes, for comparison)."""
    seconds: dict[str, float] = defaultdict(float)
    for process in psutil.process_iter(["cmdline", "cpu_times"]):
        command, times = " ".join(process.info["cmdline"] or ()), process.info["cpu_times"]
        for service, marks in SERVICES.items():
            if times and all(mark in command for mark in marks):
                seconds[service] += times.user + times.system
    own = psutil.Process().cpu_times()
    machine = psutil.cpu_times()
    seconds["hub"] = own.user + own.system
    seconds["machine"] = machine.user + machine.system + machine.nice + machine.irq + machine.softirq
    return seconds


class StepTimer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._lock = threading.Lock()
        for step in STEPS:
            setattr(publishing, step, self._timed(step, getattr(publishing, step)))

    def _timed(self, step: str, function):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds[step] += time.perf_counter() - started
        return timed


class TimedCKAN(RemoteCKAN):
    """The hub's CKAN client, timing each action by name (thread-safe)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def call_action(self, action, data_dict=None, context=None, apikey=None, files=None, requests_kwargs=None):
        started = time.perf_counter()
        try:
            return super().call_action(action, data_dict, context, apikey, files, requests_kwargs)
        finally:
            with self._lock:
                self.seconds[action] += time.perf_counter() - started
                self.calls[action] += 1

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()


class CountingStore(ObjectStore):
    """The hub's bucket, counting what is read and written, by top-level prefix."""

    def __init__(self, store: ObjectStore) -> None:
        super().__init__(store.client, store.bucket)
        self.read: Counter[str] = Counter()  # "staged": bytes read under staged/, "staged .json": reports
        self.reads: Counter[str] = Counter()  # objects read
        self.written: Counter[str] = Counter()  # objects written
        self._lock = threading.Lock()

    def get_bytes(self, key: str) -> bytes:
        data = super().get_bytes(key)
        kind = key.split("/", 1)[0] + (" .json" if key.endswith(".json") else "")
        with self._lock:
            self.read[kind] += len(data)
            self.reads[kind] += 1
        return data

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream",
                  metadata: dict[str, str] | None = None) -> StoredObject:
        with self._lock:
            self.written[key.split("/", 1)[0]] += 1
        return super().put_bytes(key, data, content_type, metadata)

    def reset(self) -> None:
        self.read.clear()
        self.reads.clear()
        self.written.clear()


@dataclass
class Run:
    name: str
    gather: float = 0.0
    stage: float = 0.0
    publish: float = 0.0
    publication: Publication | None = None
    actions: dict[str, tuple[int, float]] = field(default_factory=dict)  # action -> (calls, seconds)
    steps: dict[str, float] = field(default_factory=dict)  # step of `publish` -> seconds
    processor: dict[str, float] = field(default_factory=dict)  # processor seconds during publication
    staged_bytes_read: int = 0
    objects_read: dict[str, int] = field(default_factory=dict)
    objects_written: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return self.gather + self.stage + self.publish

    def writes(self) -> int:
        plan = self.publication.plan
        return sum(len(plan[k]) for k in ("create", "update", "upload", "relabel", "remove", "archive"))


def member_file(member: int, dataset: int) -> bytes:
    lines = ["code_compteur;date_releve;volume_m3;commentaire"]
    for row in range(ROWS):
        volume = f"{(member * 131 + dataset * 17 + row * 7) % 5000},{row % 100:02d}"
        lines.append(f"C{member:02d}{dataset:02d}{row:03d};{row % 28 + 1:02d}/{dataset % 12 + 1:02d}/2025;"
                     f"{volume};relevé {row}")
    return ("\n".join(lines) + "\n").encode("cp1252")


def committee_data(slug: str, members: int, datasets: int, host_url: str, width: int = 2) -> dict:
    """A committee file's content: `members` members (`<slug>-NN`, numbers `width` digits
    wide), each with `datasets` plain file URLs `<host_url>/mNN/releves-DD.csv`."""
    return {
        "slug": slug, "name": f"Comité de benchmark {slug}",
        "members": [{
            "slug": f"{slug}-{m:0{width}d}", "name": f"Membre {m:0{width}d} ({slug})", "kind": "autre",
            "siren": luhn_complete(f"2{m:07d}"), "contact": f"donnees-{m:0{width}d}@benchmark.example.fr",
            "sources": [{"type": "files", "allow_private_network": True, "files": [
                {"id": f"releves-{d:02d}", "title": f"Relevés de compteurs {d:02d}",
                 "description": "Relevés mensuels des compteurs d'eau (données synthétiques de benchmark).",
                 "url": f"{host_url}/m{m:0{width}d}/releves-{d:02d}.csv"}
                for d in range(datasets)]}],
        } for m in range(members)],
    }


def synthetic_committee(run: str, members: int, datasets: int, host_url: str) -> Committee:
    return Committee.model_validate(committee_data(f"bench-{run}", members, datasets, host_url))


def timed_run(name: str, store: CountingStore, ckan: TimedCKAN, committee: Committee, key: bytes,
              workers: int, steps: StepTimer) -> Run:
    run = Run(name)
    started = time.perf_counter()
    for member in committee.members:
        gathering = gather_member(store, member)
        if gathering.failures:
            raise SystemExit(f"{name}: gathering {member.slug}: {gathering.failures[0]}")
    run.gather = time.perf_counter() - started
    started = time.perf_counter()
    for member in committee.members:
        staging = stage_member(store, member.slug, key)
        if staging.failures:
            raise SystemExit(f"{name}: staging {member.slug}: {staging.failures[0]}")
    run.stage = time.perf_counter() - started
    store.reset()
    ckan.reset()
    started = time.perf_counter()
    steps.seconds.clear()
    before = processor_seconds()
    run.publication = publish(store, committee, ckan, packs=[], workers=workers)
    run.publish = time.perf_counter() - started
    after = processor_seconds()
    run.processor = {k: after[k] - before.get(k, 0.0) for k in after}
    run.actions = {a: (ckan.calls[a], ckan.seconds[a]) for a in ckan.calls}
    run.steps = dict(steps.seconds)
    run.staged_bytes_read = store.read["staged"]
    run.objects_read, run.objects_written = dict(store.reads), dict(store.written)
    if run.publication.plan["failed"]:
        raise SystemExit(f"{name}: failed: {run.publication.plan['failed'][:3]}")
    return run


def report(run: Run, datasets: int) -> None:
    plan = run.publication.plan
    print(f"\n{run.name}: {run.total:.2f} s end to end ({datasets / run.total:.1f} datasets/s): "
          f"gather {run.gather:.2f} s, stage {run.stage:.2f} s, publish {run.publish:.2f} s "
          f"({datasets / run.publish:.1f} datasets/s, {1000 * run.publish / datasets:.0f} ms per dataset)")
    print(f"  plan: {len(plan['create'])} created, {len(plan['update'])} updated, {len(plan['upload'])} uploads, "
          f"{len(plan['unchanged'])} unchanged, {len(plan['failed'])} failed")
    used = {k: v for k, v in run.processor.items() if k != "machine"}
    print("  processor time during publication: " + ", ".join(f"{k} {v:.1f} s" for k, v in used.items())
          + f"; {sum(used.values()):.1f} s in all, {1000 * sum(used.values()) / datasets:.0f} ms per dataset "
          f"(the machine's 2 cores gave {run.processor['machine']:.1f} s to all processes, "
          f"of {2 * run.publish:.1f} s)")
    print("  publication steps: " + ", ".join(f"{step} {run.steps.get(step, 0):.2f} s" for step in STEPS))
    print(f"  store during publication: objects read {run.objects_read}, bytes of staged files (CSV, Parquet, "
          f"errors) read {run.staged_bytes_read}, objects written {run.objects_written}")
    total_calls = sum(calls for calls, _ in run.actions.values())
    summed = sum(seconds for _, seconds in run.actions.values())
    print(f"  CKAN actions: {total_calls} calls ({total_calls / datasets:.1f} per dataset), "
          f"{summed:.2f} s summed over calls ({summed / run.publish:.2f}x the publication's wall time)")
    for action, (calls, seconds) in sorted(run.actions.items(), key=lambda item: -item[1][1]):
        print(f"    {action:<40} {calls:>5} calls {seconds:8.2f} s  {1000 * seconds / calls:7.1f} ms/call  "
              f"{100 * seconds / summed:5.1f} %")


def purge(store: ObjectStore, ckan: RemoteCKAN, committee: Committee) -> None:
    for member in committee.members:
        manifest = store.get_json(manifest_key(member.slug), default={"datasets": {}})
        for name in manifest["datasets"]:
            purge_dataset(ckan, name)
    for org in [committee.slug, *(m.slug for m in committee.members)]:
        try:
            ckan.action.organization_purge(id=org)
        except NotFound:
            pass
    for member in committee.members:
        for prefix in ("inbox", "raw", "staged"):
            for obj in list(store.list(f"{prefix}/{member.slug}/")):
                store.remove(obj.key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--datasets", type=int, default=10, help="datasets per member")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                        help="datasets published at once (CKAN requests in flight)")
    parser.add_argument("--keep", action="store_true", help="do not purge what the run made")
    args = parser.parse_args()

    files = {f"m{m:02d}/releves-{d:02d}.csv": member_file(m, d)
             for m in range(args.members) for d in range(args.datasets)}
    host = FileHost(files).start()
    run_id = uuid.uuid4().hex[:8]
    committee = synthetic_committee(run_id, args.members, args.datasets, host.url)
    store = CountingStore(ObjectStore.from_environment())
    ckan = TimedCKAN(os.environ["HUB_CKAN_URL"], apikey=os.environ["HUB_CKAN_TOKEN"],
                     user_agent="territorial-data-hub/benchmark")
    key = os.environ.get("HUB_PSEUDONYMISATION_KEY", "benchmark").encode()
    datasets = args.members * args.datasets
    print(f"committee bench-{run_id}: {args.members} members x {args.datasets} datasets = {datasets} datasets, "
          f"{ROWS} rows each; CKAN {ckan.address}, {args.workers} workers; load average {os.getloadavg()[0]:.1f}")
    try:
        steps = StepTimer()
        first = timed_run("first run", store, ckan, committee, key, args.workers, steps)
        report(first, datasets)
        noop = timed_run("no-op run (nothing changed)", store, ckan, committee, key, args.workers, steps)
        report(noop, datasets)
    finally:
        host.stop()
        if not args.keep:
            purge(store, ckan, committee)
    print(f"\nload average {os.getloadavg()[0]:.1f} (2 cores shared with the stack and other work)")
    print(f"first run: {datasets / first.total:.1f} datasets/s end to end, "
          f"{datasets / first.publish:.1f} datasets/s publication")
    print(f"no-op / first: {first.total / noop.total:.1f}x faster end to end, "
          f"{first.publish / noop.publish:.1f}x faster publication; no-op writes {noop.writes()}, "
          f"bytes of staged files read {noop.staged_bytes_read}")
    if len(first.publication.plan["create"]) != datasets or noop.writes() or noop.staged_bytes_read:
        raise SystemExit("the first run did not create every dataset, or the no-op run read or wrote files")


if __name__ == "__main__":
    main()
