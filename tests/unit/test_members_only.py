"""Members-only datasets (`access: members`): never offered to a public pooled table, not
even named in its sources list; and the readers the hub keeps on them in CKAN."""

from catalog.access import READ_ONLY, reader_changes
from connectors.handoffs.layout import manifest_key, sources_key
from pipelines.pooling import pool_pack
from tests.unit.test_pooling_incremental import ENABLED, committee, fresh_store


def test_a_members_only_dataset_is_neither_pooled_nor_listed_in_the_public_sources():
    store = fresh_store()
    manifest = store.get_json(manifest_key("crach"))
    manifest["datasets"]["crach-volumes"]["override"]["access"] = "members"
    store.put_json(manifest_key("crach"), manifest)
    result = pool_pack(store, committee(), ENABLED)
    assert result.members == ["auray"]
    assert result.excluded == []  # not even "excluded": the public list does not name it
    sources = store.get_bytes(sources_key("eau_potable")).decode()
    assert "auray-volumes" in sources and "crach" not in sources


def test_the_readers_become_exactly_the_committee_users():
    current = {"u-kept": READ_ONLY, "u-left": READ_ONLY, "u-editor": "editor"}
    grant, revoke = reader_changes(current, {"u-kept", "u-editor", "u-new"})
    assert grant == ["u-editor", "u-new"]  # an editor the hub did not make is brought down to a reader
    assert revoke == ["u-left"]


def test_nothing_to_change_when_the_readers_are_right():
    assert reader_changes({"a": READ_ONLY, "b": READ_ONLY}, {"a", "b"}) == ([], [])
    assert reader_changes({"a": READ_ONLY}, set()) == ([], ["a"])
