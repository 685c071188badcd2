"""The in-memory bucket behaves as the real one does for everything the hub calls."""

import hashlib
import io
import json
from datetime import date

import polars as pl
import pytest

from catalog.committee import Committee
from catalog.packs import BUILTIN, load_pack
from connectors.handoffs import layout
from connectors.handoffs.layout import manifest_key, staged_key
from connectors.landing import land_bytes
from connectors.objectstore import MemoryObjectStore, ObjectStore, StoredObject
from pipelines.packs import EnabledPack, pack_schema
from pipelines.pooling import pool_pack, write_downloads


def test_put_get_exists_remove():
    store = MemoryObjectStore()
    stored = store.put_bytes("staged/auray/volumes/v.csv", b"code_insee\n56007\n", "text/csv", {"sha256": "x"})
    assert stored == StoredObject(key="staged/auray/volumes/v.csv", size=17,
                                  etag=hashlib.md5(b"code_insee\n56007\n").hexdigest())
    assert store.exists("staged/auray/volumes/v.csv")
    assert store.get_bytes("staged/auray/volumes/v.csv") == b"code_insee\n56007\n"
    assert store.content_type("staged/auray/volumes/v.csv") == "text/csv"
    assert store.metadata("staged/auray/volumes/v.csv") == {"sha256": "x"}
    store.put_bytes("staged/auray/volumes/v.csv", b"again")  # overwrites, as S3 does
    assert store.get_bytes("staged/auray/volumes/v.csv") == b"again"
    store.remove("staged/auray/volumes/v.csv")
    store.remove("staged/auray/volumes/v.csv")  # absent: not an error
    assert not store.exists("staged/auray/volumes/v.csv")


def test_missing_object_is_a_key_error_naming_the_key():
    with pytest.raises(KeyError, match="raw/auray/absent.csv"):
        MemoryObjectStore().get_bytes("raw/auray/absent.csv")


def test_json_default_and_the_real_stores_bytes():
    store = MemoryObjectStore()
    assert store.get_json("raw/auray/manifest.json") is None
    assert store.get_json("raw/auray/manifest.json", default={"datasets": {}}) == {"datasets": {}}
    value = {"commune": "Île-d'Arz", "mois": date(2024, 1, 1), "volumes": [1, 2.5]}
    store.put_json("raw/auray/manifest.json", value)
    assert store.get_bytes("raw/auray/manifest.json") == json.dumps(
        value, ensure_ascii=False, indent=1, sort_keys=True, default=str).encode()
    got = store.get_json("raw/auray/manifest.json")
    got["commune"] = "changed"  # a decoded copy: the stored object is untouched
    assert store.get_json("raw/auray/manifest.json")["commune"] == "Île-d'Arz"


def test_put_if_absent_writes_once_as_landing_expects():
    store = MemoryObjectStore()
    data = b"a;b\n1;2\n"
    first = land_bytes(store, "crach", data, "CSV")
    again = land_bytes(store, "crach", data, "CSV")
    assert first[0] == f"raw/crach/{hashlib.sha256(data).hexdigest()}.csv"
    assert (first[2], again[2]) == (True, False)
    assert store.metadata(first[0]) == {"sha256": first[1]}


def test_list_is_recursive_in_key_order_and_a_snapshot():
    store = MemoryObjectStore("hub")
    for key in ("raw/b/2.csv", "raw/a/1.csv", "raw/a/sub/3.csv", "staged/a/x.json", "raw/ab.csv"):
        store.put_bytes(key, key.encode())
    listed = list(store.list("raw/a"))
    assert [o.key for o in listed] == ["raw/a/1.csv", "raw/a/sub/3.csv", "raw/ab.csv"]
    assert all(o.size == len(o.key) and o.etag and o.last_modified.endswith("+00:00") for o in listed)
    for obj in store.list("raw/"):  # removing while listing, as cleanup code does
        store.remove(obj.key)
    assert [o.key for o in store.list("")] == ["staged/a/x.json"]


def test_it_stands_for_an_object_store_and_has_no_server():
    assert isinstance(MemoryObjectStore(), ObjectStore)
    with pytest.raises(TypeError):
        MemoryObjectStore.connect("127.0.0.1:9000", "a", "b", "hub")


def test_pooling_runs_on_it_unchanged():
    pack = load_pack(BUILTIN / "eau_potable")
    enabled = EnabledPack(pack, pack_schema(pack))
    committee = Committee.model_validate({"slug": "test", "name": "Test", "members": [
        {"slug": "auray", "name": "Auray", "kind": "commune", "insee": "56007", "siren": "215600073",
         "contact": "donnees@auray.example.fr"}]})
    store = MemoryObjectStore()
    store.put_json(manifest_key("auray"), {"datasets": {"volumes": {
        "status": "present", "override": {"pooled_as": "eau_potable"},
        "resources": {"v": {"sha256": "a" * 64, "fetched_at": "2026-01-01T00:00:00+00:00", "name": "v.csv",
                            "format": "CSV"}}}}})
    store.put_json(staged_key("auray", "volumes", "v", "json"), {
        "decision": "publish", "name": "v.csv", "source_sha256": "a" * 64,
        "validation": {"valid": True, "errors": 0, "schema": enabled.schema.name, "version": "1.0.0"}})
    frame = pl.DataFrame({"code_insee": ["56007", "56007", "56046"], "commune": ["Auray"] * 3,
                          "mois": [date(2024, 1, 1), date(2024, 2, 1), date(2024, 1, 1)],
                          "volume_distribue_m3": [10.0, 12.0, 9.0], "volume_facture_m3": [8.0, 9.0, 7.0]})
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    store.put_bytes(staged_key("auray", "volumes", "v", "parquet"), buffer.getvalue())

    first = pool_pack(store, committee, enabled)
    assert (first.rows, first.reread, first.changed) == (2, ["auray"], True)  # 56046 is not Auray's
    assert write_downloads(store, enabled).rows == 2
    assert pl.read_parquet(io.BytesIO(store.get_bytes(layout.download_key("eau_potable", "parquet")))).height == 2
    assert write_downloads(store, enabled) is None  # the same table: nothing written
    again = pool_pack(store, committee, enabled)
    assert (again.rows, again.reread, again.changed, again.sha256) == (2, [], False, first.sha256)
