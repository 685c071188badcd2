"""Gathering -> staging -> pooling -> publication plan, end to end on the in-memory bucket:
the stages meet only through the hand-offs (connectors.handoffs), so no stack is needed.
Member files are served by a stand-in file host, and one is dropped in a member's inbox."""

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from catalog.committee import Committee
from catalog.packs import BUILTIN, load_pack
from catalog.publication import plan
from connectors.handoffs import Manifest, PooledState, StagedReport, layout
from connectors.objectstore import MemoryObjectStore, StoredObject
from pipelines.gathering import gather_member
from pipelines.packs import EnabledPack, pack_schema
from pipelines.pooling import pool_pack, write_downloads
from pipelines.publishing import desired_datasets
from pipelines.staging import stage_member
from tests.standins.files import FileHost

DEMO = Path(__file__).resolve().parents[2] / "demo"
PACK = load_pack(BUILTIN / "eau_potable")
WATER = EnabledPack(PACK, pack_schema(PACK))
FIRST_RUN = datetime(2026, 12, 1, 6, tzinfo=UTC)
FILES = {"crach/volumes_eau.csv": (DEMO / "files" / "crach" / "volumes_eau.csv").read_bytes(),
         "pluvigner/volumes_eau.csv": (DEMO / "files" / "pluvigner" / "volumes_eau.csv").read_bytes(),
         "pluvigner/contacts.csv": (DEMO / "files" / "pluvigner" / "cantines_diagnostic_contacts.csv").read_bytes()}
DROPPED = (DEMO / "inbox" / "quiberon" / "volumes_eau.csv").read_bytes()


class WriteCountingStore(MemoryObjectStore):
    """The in-memory bucket, keeping the keys each run writes or removes."""

    def __init__(self) -> None:
        super().__init__("handoffs-test")
        self.written: list[str] = []

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream",
                  metadata: dict[str, str] | None = None) -> StoredObject:
        self.written.append(key)
        return super().put_bytes(key, data, content_type, metadata)

    def put_if_absent(self, key: str, data: bytes, content_type: str = "application/octet-stream",
                      metadata: dict[str, str] | None = None) -> bool:
        written = super().put_if_absent(key, data, content_type, metadata)
        self.written += [key] if written else []
        return written

    def remove(self, key: str) -> None:
        self.written.append(key)
        super().remove(key)


def _member(slug: str, name: str, insee: str, siren: str, sources: list[dict]) -> dict:
    return {"slug": slug, "name": name, "kind": "commune", "insee": insee, "siren": siren,
            "contact": f"donnees@{slug}.example.fr", "sources": sources}


def _files(host: FileHost, member: str, *files: tuple[str, str, str], water: str | None = None) -> dict:
    """A `files` source on the stand-in host; `water`: the file id pooled as eau_potable."""
    return {"type": "files", "allow_private_network": True,
            "files": [{"id": fid, "url": f"{host.url}/{member}/{name}", "title": title} for fid, name, title in files],
            "datasets": {water: {"pooled_as": "eau_potable"}} if water else {}}


def _committee(host: FileHost) -> Committee:
    return Committee.model_validate({"slug": "ctd-test", "name": "Comité de test", "members": [
        _member("crach", "Crach", "56046", "215600461", [
            _files(host, "crach", ("volumes-eau", "volumes_eau.csv", "Volumes d'eau"), water="volumes-eau")]),
        _member("pluvigner", "Pluvigner", "56177", "215601774", [
            _files(host, "pluvigner", ("volumes-eau", "volumes_eau.csv", "Volumes d'eau"),
                   ("contacts", "contacts.csv", "Cantines et contacts"), water="volumes-eau")]),
        _member("quiberon", "Quiberon", "56186", "215601865", [{"type": "inbox"}]),
    ]})


def _run(store: WriteCountingStore, committee: Committee, now: datetime):
    """Every stage of one run in order, as `tdh run` chains them; what each reported."""
    gathered = [gather_member(store, member, now, workers=2) for member in committee.members]
    staged = [stage_member(store, member.slug, b"test-key", {"eau_potable": WATER.schema})
              for member in committee.members]
    pooled = pool_pack(store, committee, WATER)
    downloads = write_downloads(store, WATER)
    return gathered, staged, pooled, downloads, desired_datasets(store, committee, [WATER], "http://superset.test")


@pytest.fixture(scope="module")
def runs():
    store = WriteCountingStore()
    store.put_bytes(layout.inbox_key("quiberon", "volumes_eau.csv"), DROPPED, "text/csv")
    with FileHost({name: data for name, data in FILES.items()}) as host:
        committee = _committee(host)
        first = _run(store, committee, FIRST_RUN)
        first_writes, store.written = store.written, []
        second = _run(store, committee, FIRST_RUN + timedelta(days=1))
    return store, committee, first, first_writes, second


def test_each_stage_hands_the_next_what_it_needs(runs):
    store, _, (gathered, staged, pooled, downloads, _), *_ = runs
    assert [(g.member, g.datasets, g.landed, g.failures) for g in gathered] == [
        ("crach", 1, 1, []), ("pluvigner", 2, 2, []), ("quiberon", 1, 1, [])]
    manifest = Manifest.read(store, "pluvigner")
    [landing] = manifest.datasets["pluvigner-volumes-eau"].resources.values()
    assert landing.key == layout.raw_key("pluvigner", hashlib.sha256(FILES["pluvigner/volumes_eau.csv"]).hexdigest(),
                                         "csv")
    assert store.get_bytes(landing.key) == FILES["pluvigner/volumes_eau.csv"]

    assert [(s.member, s.staged, s.failures) for s in staged] == [
        ("crach", 1, []), ("pluvigner", 2, []), ("quiberon", 1, [])]
    assert staged[1].blocked == ["pluvigner-contacts"]  # e-mail addresses, and no committee decision
    report = StagedReport.read(store, "pluvigner", "pluvigner-volumes-eau", landing.resource)
    assert (report.source_sha256, report.decision, report.validation["valid"]) == (landing.sha256, "publish", True)

    assert (pooled.members, pooled.changed, pooled.excluded) == (["crach", "pluvigner"], True, [])
    state = PooledState.read(store, "eau_potable")
    assert state.rows == pooled.rows == downloads.rows > 0 and downloads.table == state.table


def test_the_plan_creates_what_was_staged_and_withholds_personal_data(runs):
    store, _, first, *_ = runs
    desired, archive, withheld = first[-1]
    todo = plan(desired, published={}, archive=[*archive, *withheld])  # a catalogue that holds nothing yet
    assert sorted(d.name for d in todo.create) == [
        "crach-volumes-eau", "ctd-test-eau-potable", "pluvigner-volumes-eau", "quiberon-volumes-eau"]
    assert withheld == ["pluvigner-contacts"] and todo.archive == []  # never published: nothing to archive
    by_name = {d.name: d for d in desired}
    assert by_name["quiberon-volumes-eau"].fields["owner_org"] == "quiberon"
    assert by_name["ctd-test-eau-potable"].fields["owner_org"] == "ctd-test"
    # Every upload is the bytes staging or pooling wrote, known by the sha256 they recorded.
    assert len(todo.upload) == sum(len(d.resources) for d in desired) > len(desired)
    for _, resource, exists in todo.upload:
        assert not exists and hashlib.sha256(resource.content()).hexdigest() == resource.sha256, resource.name
    crach_csv = next(r for r in by_name["crach-volumes-eau"].resources if r.format == "CSV")
    [resource] = Manifest.read(store, "crach").datasets["crach-volumes-eau"].resources
    staged_csv = store.get_bytes(layout.staged_key("crach", "crach-volumes-eau", resource, "csv"))
    assert crach_csv.sha256 == hashlib.sha256(staged_csv).hexdigest()


def test_a_second_run_rewrites_only_the_manifests_and_wants_the_same_catalogue(runs):
    store, committee, first, first_writes, second = runs
    assert any(key.startswith("staged/") for key in first_writes)
    assert any(key.startswith("pooled/") for key in first_writes)
    gathered, staged, pooled, downloads, (desired, archive, withheld) = second
    assert [g.landed for g in gathered] == [0, 0, 0] and [s.staged for s in staged] == [0, 0, 0]
    assert (pooled.changed, pooled.reread, downloads) == (False, [], None)
    # The manifests record each run's time; nothing else is written again.
    assert sorted(store.written) == [layout.manifest_key(m.slug) for m in committee.members]
    before = first[-1][0]
    assert [(d.name, d.fields, [r.sha256 for r in d.resources]) for d in desired] == [
        (d.name, d.fields, [r.sha256 for r in d.resources]) for d in before]
    assert (archive, withheld) == (first[-1][1], first[-1][2])
