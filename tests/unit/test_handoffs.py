"""The hand-offs between stages: one layout of keys, typed records read and written through
any bucket, in the very bytes the stages always wrote."""

import json

import pytest
from minio import Minio

from connectors.digesting import DigestingStore
from connectors.handoffs import (
    Bucket,
    DatasetEntry,
    Downloads,
    Failure,
    Landing,
    Manifest,
    MemberPart,
    PooledState,
    StagedReport,
    layout,
)
from connectors.objectstore import MemoryObjectStore, ObjectStore, UnsafeKey

LANDING = {"member": "auray", "dataset": "auray-volumes", "resource": "volumes", "source_url": "https://x.fr/v.csv",
           "fetched_at": "2026-01-01T00:00:00+00:00", "http_status": 200, "etag": '"e1"', "last_modified": None,
           "size": 17, "sha256": "a" * 64, "key": f"raw/auray/{'a' * 64}.csv", "format": "CSV", "changed": True,
           "name": "v.csv", "declared": {"url": "https://x.fr/v.csv", "size": 17, "checksum": None,
                                         "last_modified": None},
           "detected_by": "first-landing", "checked_at": "2026-01-01T00:00:00+00:00"}
ENTRY = {"first_seen": "2026-01-01T00:00:00+00:00", "status_since": "2026-01-01T00:00:00+00:00",
         "status": "present", "last_seen": "2026-01-02T00:00:00+00:00", "source": 0,
         "remote": {"remote_id": "volumes", "title": "Volumes d'eau", "tags": ["eau"]},
         "override": {"pooled_as": "eau_potable"}, "errors": [], "resources": {"volumes": LANDING}}


def test_both_object_stores_and_the_digesting_wrapper_are_buckets():
    minio = ObjectStore(Minio("127.0.0.1:9", access_key="a", secret_key="b"), "hub")  # no request made
    memory = MemoryObjectStore()
    for store in (minio, memory, DigestingStore(memory)):
        assert isinstance(store, Bucket), type(store)
    assert not isinstance(object(), Bucket)


def test_every_key_of_the_layout():
    assert layout.inbox_key("quiberon", "volumes_eau.csv") == "inbox/quiberon/volumes_eau.csv"
    assert layout.inbox_member("inbox/quiberon/volumes_eau.csv") == "quiberon"
    assert layout.inbox_member("inbox/stray.csv") is None
    assert layout.raw_key("auray", "f" * 64, "XLSX") == f"raw/auray/{'f' * 64}.xlsx"
    assert layout.raw_key("auray", "f" * 64, "shapefile") == f"raw/auray/{'f' * 64}.bin"
    assert layout.manifest_key("auray") == "raw/auray/manifest.json"
    assert layout.staged_key("auray", "auray-volumes", "v", "errors.csv") == "staged/auray/auray-volumes/v.errors.csv"
    assert layout.staged_prefix("auray") == "staged/auray/"
    assert layout.part_key("eau_potable", "auray") == "pooled/eau_potable/membres/auray.parquet"
    assert layout.download_key("eau_potable", "csv") == "pooled/eau_potable/eau_potable.csv"
    assert layout.sources_key("eau_potable") == "pooled/eau_potable/sources.csv"
    assert layout.pooled_state_key("eau_potable") == "pooled/eau_potable/state.json"
    assert layout.downloads_key("eau_potable") == "pooled/eau_potable/downloads.json"
    assert layout.dashboard_key("auray", "eau_potable") == "dashboards/auray/eau_potable.json"
    assert layout.leads_key("ctd-56") == "dashboards/ctd-56.leads.json"
    assert layout.lead_access_key("auray") == "dashboards/auray.access.json"
    with pytest.raises(UnsafeKey, match=r"\.\./etc"):
        layout.staged_key("auray", "../etc", "v", "csv")


def test_pooled_packs_are_those_with_a_state():
    store = MemoryObjectStore()
    for key in ("pooled/budget/state.json", "pooled/budget/membres/state.parquet", "pooled/eau/eau.csv",
                "pooled/eau/membres/state.json"):
        store.put_bytes(key, b"{}")
    assert list(layout.pooled_packs(store)) == ["budget"]


def test_the_manifest_is_written_compact_and_read_back_the_same_bytes():
    store = MemoryObjectStore()
    stored = {"member": "auray", "gathered_at": "2026-01-02T00:00:00+00:00", "datasets": {"auray-volumes": ENTRY},
              "failures": [{"what": "source", "where": "https://x.fr", "why": "https://x.fr: HTTP 503",
                            "when": "2026-01-02T00:00:00+00:00", "dataset": None}]}
    data = json.dumps(stored, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    store.put_bytes("raw/auray/manifest.json", data, "application/json")
    manifest = Manifest.read(store, "auray")
    entry = manifest.datasets["auray-volumes"]
    assert (entry.status, entry.title, entry.override["pooled_as"]) == ("present", "Volumes d'eau", "eau_potable")
    assert entry.resources["volumes"] == Landing(**LANDING)
    assert manifest.failures == [Failure("source", "https://x.fr", "https://x.fr: HTTP 503",
                                         "2026-01-02T00:00:00+00:00")]
    store.remove("raw/auray/manifest.json")
    manifest.write(store)
    assert store.get_bytes("raw/auray/manifest.json") == data
    assert store.content_type("raw/auray/manifest.json") == "application/json"


def test_a_member_never_gathered_has_an_empty_manifest():
    manifest = Manifest.read(MemoryObjectStore(), "auray")
    assert (manifest.member, manifest.datasets, manifest.gathered_at, manifest.failures) == ("auray", {}, None, [])


def test_older_records_read_with_what_they_lack_as_none():
    entry = DatasetEntry.from_dict({"status": "present", "resources": {"v": {"sha256": "b" * 64, "format": "CSV"}}})
    assert entry.resources["v"].sha256 == "b" * 64 and entry.resources["v"].etag is None
    assert entry.first_seen is None and entry.errors == []
    report = StagedReport.from_dict({"decision": "publish", "source_sha256": "c" * 64})
    assert report.written_sha256 is None and report.validation is None


def test_staged_report_pooled_state_and_downloads_in_the_bytes_put_json_writes():
    store = MemoryObjectStore()
    report = StagedReport(
        source_sha256="a" * 64, source_key=LANDING["key"], name="v.csv", normalisation={"encoding": "utf-8"}, rows=2,
        columns=["code_insee"], dropped_columns=[], pseudonymised_columns=[], validation=None,
        personal_data=[], decision="publish", exemption=None, withhold=None, decisions="0123456789abcdef",
        written_sha256={"staged/auray/auray-volumes/volumes.csv": "d" * 64})
    report.write(store, "auray", "auray-volumes", "volumes")
    key = "staged/auray/auray-volumes/volumes.json"
    assert StagedReport.read(store, "auray", "auray-volumes", "volumes") == report
    plain = MemoryObjectStore()
    plain.put_json(key, report.as_dict())
    assert store.get_bytes(key) == plain.get_bytes(key)
    assert StagedReport.read(store, "auray", "auray-volumes", "absent") is None
    assert StagedReport.read_listed(store, "auray", "auray-volumes", "volumes") == report  # one request
    with pytest.raises(KeyError, match="absent.json"):
        StagedReport.read_listed(store, "auray", "auray-volumes", "absent")

    part = MemberPart(fingerprint="f" * 24, rows=2, sources=[{"membre": "auray", "statut": "inclus"}],
                      landed=[{"jeu_de_donnees": "auray-volumes", "sha256": "a" * 64, "recu_le": "2026-01-01"}],
                      part_sha256="e" * 64, formulas=["commune"])
    empty = MemberPart(fingerprint=None, rows=0, sources=[], landed=[], part_sha256=None)
    state = PooledState(pack="p" * 16, table="t" * 64, rows=2, members={"auray": part, "crach": empty},
                        sources_sha256="s" * 64)
    state.write(store, "eau_potable")
    assert PooledState.read(store, "eau_potable") == state
    assert list(state.with_rows()) == ["auray"]
    assert json.loads(store.get_bytes("pooled/eau_potable/state.json"))["members"]["crach"]["part_sha256"] is None
    assert PooledState.read(store, "budget") is None

    period = {"start": "2024-01-01", "end": "2025-12-01"}
    downloads = Downloads(table="t" * 64, rows=2, parquet_sha256="1" * 64, csv_sha256="2" * 64, temporal=period)
    downloads.write(store, "eau_potable")
    assert Downloads.read(store, "eau_potable") == downloads
    assert json.loads(store.get_bytes("pooled/eau_potable/downloads.json")) == {
        "table": "t" * 64, "rows": 2, "parquet_sha256": "1" * 64, "csv_sha256": "2" * 64, "temporal": period}
    # Written before the downloads recorded their period: read with none.
    plain.put_json("pooled/budget/downloads.json", {"table": "t" * 64, "rows": 2, "parquet_sha256": "1" * 64,
                                                     "csv_sha256": "2" * 64})
    assert Downloads.read(plain, "budget").temporal is None
