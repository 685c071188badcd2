"""Incremental pooling on the in-memory store: what makes a member's files read again."""

import io
from datetime import date

import polars as pl

from catalog.committee import Committee
from catalog.packs import BUILTIN, load_pack
from connectors.handoffs.layout import manifest_key, staged_key
from connectors.objectstore import MemoryObjectStore
from pipelines.packs import EnabledPack, pack_schema
from pipelines.pooling import pool_pack, write_downloads

PACK = load_pack(BUILTIN / "eau_potable")
ENABLED = EnabledPack(PACK, pack_schema(PACK))
MEMBERS = [("auray", "Auray", "56007", "215600073"), ("crach", "Crach", "56046", "215600461")]


def committee(names: dict[str, str] | None = None) -> Committee:
    names = names or {}
    return Committee.model_validate({"slug": "test", "name": "Test", "members": [
        {"slug": s, "name": names.get(s, n), "kind": "commune", "insee": i, "siren": r,
         "contact": f"donnees@{s}.example.fr"} for s, n, i, r in MEMBERS]})


def land(store, member: str, insee: str, sha: str, volume: float, landed: str, staged: bool = True) -> None:
    """A member's file as gathering and staging leave it (`staged=False`: staging failed)."""
    store.put_json(manifest_key(member), {"datasets": {f"{member}-volumes": {
        "status": "present", "override": {"pooled_as": "eau_potable"},
        "resources": {"v": {"sha256": sha, "fetched_at": landed, "name": "v.csv", "format": "CSV"}}}}})
    if not staged:
        return
    store.put_json(staged_key(member, f"{member}-volumes", "v", "json"), {
        "decision": "publish", "name": "v.csv", "source_sha256": sha,
        "validation": {"valid": True, "errors": 0, "schema": ENABLED.schema.name, "version": "1.0.0"}})
    frame = pl.DataFrame({"code_insee": [insee], "commune": [member], "mois": [date(2024, 1, 1)],
                          "volume_distribue_m3": [volume], "volume_facture_m3": [volume * 0.8]})
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    store.put_bytes(staged_key(member, f"{member}-volumes", "v", "parquet"), buffer.getvalue())


def fresh_store() -> MemoryObjectStore:
    store = MemoryObjectStore()
    for slug, _, insee, _ in MEMBERS:
        land(store, slug, insee, slug[0] * 64, 100.0, "2026-01-01T00:00:00+00:00")
    return store


def test_nothing_changed_nothing_read():
    store = fresh_store()
    assert pool_pack(store, committee(), ENABLED).reread == ["auray", "crach"]
    reads = store.get_bytes
    store.get_bytes = lambda key: (_ for _ in ()).throw(AssertionError(f"read {key}"))  # noqa: B023
    again = pool_pack(store, committee(), ENABLED)
    assert (again.reread, again.changed) == ([], False)
    store.get_bytes = reads


def test_only_the_member_whose_file_changed_is_read_again():
    store = fresh_store()
    pool_pack(store, committee(), ENABLED)
    land(store, "crach", "56046", "e" * 64, 250.0, "2026-02-01T00:00:00+00:00")
    result = pool_pack(store, committee(), ENABLED)
    assert (result.reread, result.changed) == (["crach"], True)


def test_a_renamed_member_is_read_again_and_its_name_follows():
    store = fresh_store()
    pool_pack(store, committee(), ENABLED)
    result = pool_pack(store, committee({"auray": "Ville d'Auray"}), ENABLED)
    assert result.reread == ["auray"] and result.changed
    part = pl.read_parquet(io.BytesIO(store.get_bytes("pooled/eau_potable/membres/auray.parquet")))
    assert part["collectivite"].to_list() == ["Ville d'Auray"]


def test_downloads_follow_the_parts_and_are_written_once_per_table():
    store = fresh_store()
    pool_pack(store, committee(), ENABLED)
    first = write_downloads(store, ENABLED)
    assert first.rows == 2 and write_downloads(store, ENABLED) is None
    land(store, "crach", "56046", "e" * 64, 250.0, "2026-02-01T00:00:00+00:00")
    pool_pack(store, committee(), ENABLED)
    again = write_downloads(store, ENABLED)
    assert again.parquet_sha256 != first.parquet_sha256
    table = pl.read_parquet(io.BytesIO(store.get_bytes("pooled/eau_potable/eau_potable.parquet")))
    assert table.select("membre", "volume_distribue_m3").rows() == [("auray", 100.0), ("crach", 250.0)]
    csv = store.get_bytes("pooled/eau_potable/eau_potable.csv").decode()
    assert csv.splitlines()[0].startswith("code_insee,commune,mois") and len(csv.splitlines()) == 3


def test_one_members_file_cannot_replace_another_members_row():
    # Canteens are keyed by their declaration id alone: two members sending the same id,
    # each about its own commune, keep a row each (the row key adds the tenancy column).
    pack = load_pack(BUILTIN / "restauration_collective")
    enabled = EnabledPack(pack, pack_schema(pack))
    assert enabled.row_key == ("canteen_city_insee_code", "id")
    assert ENABLED.row_key == ("code_insee", "mois")  # the key already says whose row it is


def test_new_bytes_that_staging_could_not_read_never_pool_the_old_rows():
    store = fresh_store()
    pool_pack(store, committee(), ENABLED)
    land(store, "crach", "56046", "d" * 64, 0.0, "2026-02-01T00:00:00+00:00", staged=False)
    result = pool_pack(store, committee(), ENABLED)
    assert result.members == ["auray"]  # the stale staged file of the old bytes is not used
    assert "non normalisé" in next(e["motif"] for e in result.excluded if e["membre"] == "crach")
    assert pool_pack(store, committee(), ENABLED).reread == ["crach"]  # looked at again next run
