"""Members-only datasets (`access: members`): never offered to a public pooled table, not
even named in its sources list, nor by a public AI project; and the readers the hub keeps
on them in CKAN."""

import pytest
import yaml

from catalog.access import READ_ONLY, reader_changes
from catalog.committee import Committee, ConfigError
from catalog.projects.library import load_library
from connectors.handoffs.layout import manifest_key, sources_key
from pipelines.pooling import pool_pack
from tests.e2e.test_ai_projects_library import CHARTER, _project
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


def test_an_ai_project_may_not_name_a_members_only_dataset(tmp_path):
    """A project's page and the library's exports are public: they would name it."""
    committee = Committee.model_validate({"slug": "test", "name": "Test", "members": [
        {"slug": "crach", "name": "Crach", "kind": "commune", "insee": "56046", "siren": "215600461",
         "contact": "donnees@crach.example.fr", "sources": [{"type": "inbox", "datasets": {
             "ouvrages-eau": {"access": "members"}, "volumes-eau": {}}}]}]})
    (tmp_path / "charte-ethique.yaml").write_text(yaml.safe_dump(CHARTER, allow_unicode=True))
    (tmp_path / "projets-ia").mkdir()
    uses = [{"nom": "crach-volumes-eau"}, {"nom": "crach-ouvrages-eau"}]
    (tmp_path / "projets-ia" / "fuites.yaml").write_text(
        yaml.safe_dump(_project("crach", "Détection des fuites", ["eau"], uses), allow_unicode=True))
    with pytest.raises(ConfigError) as refused:
        load_library(tmp_path / "committee.yaml", committee)
    [problem] = refused.value.problems
    assert problem.startswith("projets-ia/fuites.yaml: jeux_de_donnees[1]: 'crach-ouvrages-eau' is members-only")
