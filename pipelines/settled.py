"""What `tdh run` has to do: the members whose sources changed since their last clean run.

A complete run (gathering, staging, publication of every member, then the committee's
pooled tables, warehouse and dashboards) leaves a record, `settled/<committee>.json`: the
digest of its inputs (the committee file, its packs and AI projects, the hub's own code and
settings), a fingerprint of the catalogue, and for each member that went through without a
failure the essence of its manifest (what staging and publication read of it: statuses,
remote records, the sha256 of every landed file; not the times of the checks).

Before starting Dagster, `tdh run` gathers each member again as a question: the same code
as the `raw` step (`pipelines.gathering.gather_member`: listings, conditional requests,
sha256 of what is fetched again), on a bucket whose writes stay in memory. A member whose
manifest would keep the essence its record holds has nothing to stage or publish; when no
member has, and neither the inputs nor the catalogue moved, there is nothing to run. This
is what Dagster's sensors do with a cursor, for the whole committee and from the command
line. Plain Python, no Dagster import: the answer "nothing changed" costs the checks, not
the orchestrator's start.

What the record cannot see: a DataStore table, a warehouse table or a Superset dashboard
changed by hand. `tdh run --full` (and the daemon's daily schedule) reconcile those.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from catalog.committee import Committee, Member
from catalog.packs import PackError, pack_folder
from catalog.projects.library import PROJECTS_FOLDER
from connectors.handoffs import Bucket, Manifest, layout
from connectors.objectstore import MemoryObjectStore, StoredObject
from connectors.outages import redact_url
from pipelines.gathering import gather_member

PROJECT_DIR = Path(__file__).resolve().parents[1]
HUB_CODE = ("pipelines", "connectors", "catalog")
CHARTER = "charte-ethique.yaml"
# Settings that are secrets stay out of the digest (it is kept in the bucket), and so do the
# passwords of URLs: rotating the pseudonymisation key asks for `tdh run --full`.
SECRET_WORDS = ("PASSWORD", "SECRET", "TOKEN", "KEY")
# Members checked side by side, each landing its resources 8 at a time as in the run. Twice
# the run's gathering (pipelines.defs.partitions.MEMBERS_AT_ONCE): the question asks what the
# gathering asks, but an unchanged file answers 304 with no body, and nothing is written.
MEMBERS_AT_ONCE = 8


@dataclass
class Todo:
    """What a run has to do: the members to gather again, and whether the committee run
    (pooling, warehouse, dashboards) follows; `reasons` says why, member by member."""

    members: list[str]
    committee: bool
    reasons: dict[str, str] = field(default_factory=dict)
    everything: bool = False  # every member, the inputs or the catalogue changed

    @property
    def nothing(self) -> bool:
        return not self.members and not self.committee


@dataclass
class Check:
    """What `tdh run` asks before starting Dagster, and records after its run."""

    store: Bucket
    committee: Committee
    inputs: str
    ckan: Any

    @classmethod
    def from_environment(cls, committee_path: Path | str) -> Check:
        from catalog.catalogue_client import CatalogueClient
        from catalog.committee import load_committee
        from connectors.objectstore import ObjectStore

        committee = load_committee(committee_path)
        ckan = CatalogueClient(os.environ["HUB_CKAN_URL"], apikey=os.environ["HUB_CKAN_TOKEN"],
                               user_agent="territorial-data-hub/0.1")
        return cls(ObjectStore.from_environment(), committee, inputs_digest(committee_path, committee), ckan)

    def todo(self, full: bool = False) -> Todo:
        if full:
            return Todo([m.slug for m in self.committee.members], True, {"*": "--full"}, everything=True)
        return what_to_run(self.store, self.committee, self.inputs, catalogue_fingerprint(self.ckan))

    def record(self, todo: Todo, outcome) -> dict:
        """After the run `todo` asked for; `outcome` is the runner's RunOutcome."""
        catalog = outcome.metadata.get("catalog", {})
        return record_run(self.store, self.committee, self.inputs, catalogue_fingerprint(self.ckan),
                          ran=todo.members, clean_members=clean_members(outcome, todo.members),
                          committee_clean=(outcome.success and not catalog.get("failed")) if todo.committee else None,
                          everything=todo.everything)


def clean_members(outcome, ran: Collection[str]) -> list[str]:
    """The members of `ran` whose run went through without a failure or a stop."""
    meta = outcome.metadata
    if not outcome.success or meta.get("catalog", {}).get("failed"):
        return []  # a failed dataset's name does not say its member for sure: none is clean
    failed = {slug for slug, info in meta.get("raw", {}).get("by_member", {}).items() if info["failures"]}
    failed |= {failure["member"] for failure in meta.get("staged", {}).get("failures", [])}
    failed |= set(meta.get("catalog", {}).get("stopped_members", []))
    return [slug for slug in ran if slug not in failed]


def what_to_run(store: Bucket, committee: Committee, inputs: str, catalogue: dict,
                now: datetime | None = None) -> Todo:
    """The members whose gathering would change their manifest's essence, or that have no
    clean run on record; all of them when `inputs` or `catalogue` differ from the record's."""
    record = store.get_json(layout.settled_key(committee.slug))
    slugs = [m.slug for m in committee.members]
    if record is None:
        return Todo(slugs, True, {"*": "no complete run on record"}, everything=True)
    if record.get("inputs") != inputs:
        return Todo(slugs, True, {"*": "the committee file, its packs, the hub or its settings changed"},
                    everything=True)
    if record.get("catalogue") != catalogue:
        return Todo(slugs, True, {"*": "the catalogue changed outside the hub's last run"}, everything=True)
    settled = record.get("members") or {}
    now = now or datetime.now(UTC)

    def reason(member: Member) -> str | None:
        if member.slug not in settled:
            return "no clean run on record"
        overlay = _Unwritten(store)
        gathered = gather_member(overlay, member, now)
        if gathered.failures:
            return f"{len(gathered.failures)} failure(s) while gathering"
        if essence(Manifest.read(overlay, member.slug)) != settled[member.slug]:
            return "a source changed"
        return None

    with ThreadPoolExecutor(MEMBERS_AT_ONCE) as pool:
        found = dict(zip(slugs, pool.map(reason, committee.members), strict=True))
    reasons = {slug: why for slug, why in found.items() if why}
    members = [slug for slug in slugs if slug in reasons]
    committee_due = bool(members) or not record.get("committee_clean", False)
    if not members and committee_due:
        reasons["*"] = "the committee's last run did not finish cleanly"
    return Todo(members, committee_due, reasons)


def record_run(store: Bucket, committee: Committee, inputs: str, catalogue: dict, *, ran: Collection[str],
               clean_members: Collection[str], committee_clean: bool | None, everything: bool) -> dict:
    """Write the record after a run over `ran` (then the committee run when
    `committee_clean` is not None): members clean this time get the essence of the
    manifest their run wrote, members that ran with a failure lose theirs (the next run
    takes them again)."""
    key = layout.settled_key(committee.slug)
    before = {} if everything else (store.get_json(key) or {})
    members = {slug: digest for slug, digest in (before.get("members") or {}).items()
               if slug not in ran and slug in {m.slug for m in committee.members}}
    for slug in clean_members:
        members[slug] = essence(Manifest.read(store, slug))
    record = {
        "committee": committee.slug,
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": inputs,
        "catalogue": catalogue,
        "committee_clean": before.get("committee_clean", False) if committee_clean is None else committee_clean,
        "members": dict(sorted(members.items())),
    }
    store.put_json(key, record)
    return record


def essence(manifest: Manifest) -> str:
    """The digest of what staging and publication read of a manifest: statuses, remote
    records, committee decisions and each landed file's bytes; not when things were checked."""
    datasets = {
        slug: {
            "status": entry.status, "source": entry.source, "remote": entry.remote, "override": entry.override,
            "errors": [failure.why for failure in entry.errors],
            "resources": {name: [landing.key, landing.sha256, landing.size, landing.format, landing.name]
                          for name, landing in sorted(entry.resources.items())},
        }
        for slug, entry in sorted(manifest.datasets.items())
    }
    failures = [failure.why for failure in manifest.failures]
    text = json.dumps({"datasets": datasets, "failures": failures}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def inputs_digest(committee_path: Path | str, committee: Committee, environ: dict[str, str] | None = None) -> str:
    """The digest of everything a run reads besides the members' sources: the committee
    file, its packs' folders, its AI projects and charter, the hub's code and settings."""
    path = Path(committee_path).resolve()
    files = [path, path.parent / CHARTER, *sorted((path.parent / PROJECTS_FOLDER).glob("*"))]
    for reference in committee.packs:
        try:
            files += sorted(pack_folder(reference, path.parent).rglob("*"))
        except PackError:
            continue  # the run says so; the reference is in the committee file's bytes
    for package in HUB_CODE:
        files += sorted((PROJECT_DIR / package).rglob("*"))
    digest = hashlib.sha256()
    for file in files:
        if file.is_file() and "__pycache__" not in file.parts:
            digest.update(f"{file}\0".encode())
            digest.update(file.read_bytes())
    environ = os.environ if environ is None else environ
    for name in sorted(environ):
        if name.startswith("HUB_") and not any(word in name for word in SECRET_WORDS):
            # A database URL's password is a secret too: the URL counts without it.
            digest.update(f"{name}={redact_url(environ[name])}\0".encode())
    return digest.hexdigest()


def catalogue_fingerprint(ckan) -> dict:
    """How many packages CKAN's database holds in each state and when the last one changed
    (`hub_catalogue_fingerprint`, the hub's CKAN plugin): a dataset deleted or edited by
    hand moves it. The database, not the search index, which shows a write a second later."""
    return ckan.action.hub_catalogue_fingerprint()


class _Unwritten:
    """A bucket whose writes stay in this process's memory: reads see them, the store
    never does. Gathering runs on it as a question. The raw bytes it would land are not
    kept (gathering never reads them back): only that they would be."""

    def __init__(self, store: Bucket) -> None:
        self.store = store
        self.bucket = store.bucket
        self.written = MemoryObjectStore(store.bucket)
        self.landed: set[str] = set()

    def _reader(self, key: str) -> Bucket:
        return self.written if self.written.exists(key) else self.store

    def exists(self, key: str) -> bool:
        return key in self.landed or self.written.exists(key) or self.store.exists(key)

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream",
                  metadata: dict[str, str] | None = None) -> StoredObject:
        return self.written.put_bytes(key, data, content_type, metadata)

    def put_if_absent(self, key: str, data: bytes, content_type: str = "application/octet-stream",
                      metadata: dict[str, str] | None = None) -> bool:
        if self.exists(key):
            return False
        self.landed.add(key)
        return True

    def get_bytes(self, key: str) -> bytes:
        return self._reader(key).get_bytes(key)

    def put_file(self, key: str, path: Path | str, content_type: str = "application/octet-stream",
                 metadata: dict[str, str] | None = None) -> StoredObject:
        return self.written.put_file(key, path, content_type, metadata)

    def get_file(self, key: str, path: Path | str) -> int:
        return self._reader(key).get_file(key, path)

    def put_json(self, key: str, value: Any) -> None:
        self.written.put_json(key, value)

    def get_json(self, key: str, default: Any = None) -> Any:
        return self._reader(key).get_json(key, default)

    def remove(self, key: str) -> None:
        raise NotImplementedError(f"{key}: gathering as a question removes nothing")

    def list(self, prefix: str) -> Iterator[StoredObject]:
        # Gathering lists only inboxes, which it never writes.
        return self.store.list(prefix)


