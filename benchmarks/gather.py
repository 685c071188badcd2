"""Gathering a member with many small datasets: parallel landing against a sequential
baseline, then a second pass with nothing changed.

    set -a; . .stack/env; set +a
    .venv/bin/python benchmarks/gather.py                              # 1,000 datasets, 20 ms
    .venv/bin/python benchmarks/gather.py --datasets 200 --latency-ms 0

A stand-in CKAN portal (tests/standins) lists `--datasets` datasets of one small CSV each,
declaring each file's size and last-modified date as CKAN does; a stand-in file host
serves the files, each answer waiting `--latency-ms` (a real portal's round trip). They
are gathered into the real object store (HUB_S3_* settings) under two throwaway member
slugs, removed afterwards:
1. first pass, `--workers 1`: the sequential baseline;
2. first pass, `--workers N`, on the other slug (so it too lands everything);
3. second pass, `--workers N`, nothing changed: the listing vouches for every file.
Uploads are counted at the store: raw bytes (the files) apart from bookkeeping (the manifest).
"""

from __future__ import annotations

import argparse
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass

from catalog.committee import Member, Source
from connectors.objectstore import ObjectStore, StoredObject
from pipelines.gathering import MemberGathering, gather_member
from tests.standins.ckan import CkanPortal, ckan_package
from tests.standins.files import FileHost


class CountingStore(ObjectStore):
    """The hub's bucket, counting the bytes written: raw files apart from manifests."""

    def __init__(self, store: ObjectStore) -> None:
        super().__init__(store.client, store.bucket)
        self.uploaded: Counter[str] = Counter()
        self._lock = threading.Lock()

    def put_bytes(
        self,
        key: str,
        data: bytes,
        content_type: str = "application/octet-stream",
        metadata: dict[str, str] | None = None,
    ) -> StoredObject:
        with self._lock:
            self.uploaded["manifest" if key.endswith("/manifest.json") else "raw"] += len(data)
        return super().put_bytes(key, data, content_type, metadata)


@dataclass
class Pass:
    name: str
    seconds: float
    report: MemberGathering
    raw_bytes: int
    manifest_bytes: int

    def line(self, datasets: int) -> str:
        return (
            f"{self.name:<34} {self.seconds:8.2f} s {datasets / self.seconds:9.1f} datasets/s  "
            f"landed {self.report.landed:>5}  unchanged {self.report.unchanged:>5}  "
            f"raw bytes up {self.raw_bytes:>9}  manifest bytes up {self.manifest_bytes:>9}"
        )


def timed(name: str, store: CountingStore, member: Member, workers: int) -> Pass:
    store.uploaded.clear()
    started = time.perf_counter()
    report = gather_member(store, member, workers=workers)
    seconds = time.perf_counter() - started
    if report.failures:
        raise SystemExit(f"{name}: {len(report.failures)} failures, first: {report.failures[0]}")
    return Pass(name, seconds, report, store.uploaded["raw"], store.uploaded["manifest"])


def member(slug: str, portal_url: str, files_url: str) -> Member:
    return Member(
        slug=slug,
        name="Benchmark member",
        kind="autre",
        siren="215600461",
        contact="donnees@benchmark.example.fr",
        # The files are on another local origin than the portal: named, as a committee must.
        sources=(Source(type="ckan", url=portal_url, allow_private_network=True, private_origins=(files_url,)),),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()

    files = {
        f"releve-{n:05d}.csv": f"compteur;volume_m3\nC{n:05d};{n * 7 % 1000}\n".encode() for n in range(args.datasets)
    }
    host = FileHost(files, latency=args.latency_ms / 1000).start()
    packages = [
        ckan_package(
            f"releve-{n:05d}",
            f"Relevé {n}",
            resources=(
                {
                    "id": f"r-{n:05d}",
                    "name": name,
                    "format": "CSV",
                    "url": f"{host.url}/{name}",
                    "size": len(body),
                    "last_modified": "2026-01-01T00:00:00",
                },
            ),
        )
        for n, (name, body) in enumerate(files.items())
    ]
    portal = CkanPortal(packages).start()
    store = CountingStore(ObjectStore.from_environment())
    run = uuid.uuid4().hex[:8]
    sequential, parallel = (member(f"bench-{run}-seq", portal.url, host.url),
                            member(f"bench-{run}-par", portal.url, host.url))
    print(f"{args.datasets} datasets, {args.latency_ms:g} ms per file answer, {args.workers} workers")
    try:
        baseline = timed("first pass, sequential (workers=1)", store, sequential, 1)
        print(baseline.line(args.datasets))
        first = timed(f"first pass, parallel (workers={args.workers})", store, parallel, args.workers)
        print(first.line(args.datasets))
        second = timed("second pass, nothing changed", store, parallel, args.workers)
        print(second.line(args.datasets))
    finally:
        for slug in (sequential.slug, parallel.slug):
            for obj in store.list(f"raw/{slug}/"):
                store.client.remove_object(store.bucket, obj.key)
        portal.stop()
        host.stop()
    print(f"parallel / sequential, first pass: {baseline.seconds / first.seconds:.2f}x")
    print(
        f"second pass / first pass (parallel): {first.seconds / second.seconds:.1f}x faster, "
        f"{second.raw_bytes} raw bytes uploaded"
    )
    if second.raw_bytes or second.report.landed:
        raise SystemExit("the second pass wrote raw bytes: nothing had changed")


if __name__ == "__main__":
    main()
