"""Publication reads files only when it must upload them: the staged reports and pooled
states carry the sha256s. (The plan applied to the real CKAN: tests/integration/test_publication_apply.py.)"""

from __future__ import annotations

import hashlib

from catalog.committee import Committee
from catalog.packs import BUILTIN, load_pack
from connectors.handoffs.layout import manifest_key, staged_key
from connectors.objectstore import MemoryObjectStore
from pipelines.packs import EnabledPack, pack_schema
from pipelines.pooling import pool_pack, write_downloads
from pipelines.publishing import desired_datasets
from pipelines.staging import stage_member

# --- From the object store: staged reports and pooled states carry the sha256s --------------

MEMBER = {"slug": "crach", "name": "Crach", "kind": "commune", "insee": "56046", "siren": "215600461",
          "contact": "donnees@crach.example.fr"}
PACK = load_pack(BUILTIN / "eau_potable")
ENABLED = EnabledPack(PACK, pack_schema(PACK))


class ReadCountingStore(MemoryObjectStore):
    def __init__(self) -> None:
        super().__init__()
        self.read: list[str] = []

    def get_bytes(self, key: str) -> bytes:
        self.read.append(key)
        return super().get_bytes(key)


def _staged_member(store: MemoryObjectStore) -> Committee:
    """A member's file landed, then staged by the real staging code, declared for a pack."""
    data = "code_insee;commune;mois;volume_distribue_m3;volume_facture_m3\n56046;Crach;01/01/2024;120,5;100\n"
    raw = "raw/crach/" + hashlib.sha256(data.encode()).hexdigest() + ".csv"
    store.put_bytes(raw, data.encode())
    landing = {"member": "crach", "dataset": "crach-volumes", "resource": "volumes", "key": raw, "size": len(data),
               "sha256": hashlib.sha256(data.encode()).hexdigest(), "format": "CSV", "name": "volumes.csv",
               "fetched_at": "2026-01-01T00:00:00+00:00"}
    store.put_json(manifest_key("crach"), {"datasets": {"crach-volumes": {
        "status": "present", "override": {"pooled_as": "eau_potable"},
        "remote": {"title": "Volumes d'eau", "remote_id": "volumes"}, "resources": {"volumes": landing}}}})
    result = stage_member(store, "crach", b"key", {"eau_potable": ENABLED.schema})
    assert result.staged == 1 and not result.failures, result.failures
    return Committee.model_validate({"slug": "ctd", "name": "Comité", "members": [MEMBER]})


def test_staging_records_the_sha256_of_each_file_it_writes():
    store = MemoryObjectStore()
    _staged_member(store)
    report = store.get_json(staged_key("crach", "crach-volumes", "volumes", "json"))
    suffixes = ("csv", "parquet", "errors.csv")
    assert report["written_sha256"] == {
        staged_key("crach", "crach-volumes", "volumes", s): hashlib.sha256(
            store.get_bytes(staged_key("crach", "crach-volumes", "volumes", s))).hexdigest() for s in suffixes}


def test_desired_datasets_read_only_bookkeeping_and_files_when_asked():
    store = ReadCountingStore()
    committee = _staged_member(store)
    pool_pack(store, committee, ENABLED)
    write_downloads(store, ENABLED)
    store.read.clear()
    desired, _, _ = desired_datasets(store, committee, [ENABLED], "http://superset")
    assert [d.name for d in desired] == ["crach-volumes", "ctd-eau-potable"]
    assert all(key.endswith(".json") for key in store.read), store.read
    for dataset in desired:
        for resource in dataset.resources:
            assert hashlib.sha256(resource.content()).hexdigest() == resource.sha256, resource.name
    pooled = desired[1].resources
    assert [r.rows for r in pooled if r.table] == [1, 1]  # the table's rows, the sources' lines
    assert pooled[0].table().height == 1 and pooled[-1].table()["statut"].to_list() == ["inclus"]


def test_files_staged_before_the_sha256s_were_recorded_are_read_to_compute_them():
    store = ReadCountingStore()
    committee = _staged_member(store)
    key = staged_key("crach", "crach-volumes", "volumes", "json")
    report = store.get_json(key)
    recorded = report.pop("written_sha256")
    store.put_json(key, report)
    store.read.clear()
    desired, _, _ = desired_datasets(store, committee, [], "")
    assert {r.sha256 for r in desired[0].resources} == set(recorded.values())
    assert sorted(k.rsplit(".", 1)[-1] for k in store.read) == ["csv", "csv", "json", "parquet"]
