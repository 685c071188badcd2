"""The privacy gate through the real pipeline code: a file with e-mail addresses is
withheld from the catalogue, published once the committee exempts it or drops the column."""

import pytest

from catalog.committee import Committee
from connectors.handoffs.layout import staged_key
from pipelines.gathering import gather_member
from pipelines.publishing import publish
from pipelines.staging import stage_member
from tests.ckan_cleanup import purge_dataset
from tests.conftest import stack_setting

CONTACTS_URL = "{portals}/files/pluvigner/cantines_diagnostic_contacts.csv"


def _committee(unique: str, override: dict) -> Committee:
    return Committee.model_validate({
        "slug": f"tdh-test-{unique}", "name": "Comité de test",
        "members": [{
            "slug": f"test-{unique}", "name": "Pluvigner (test)", "kind": "commune", "insee": "56177",
            "siren": "215601774", "contact": "donnees@pluvigner.example.fr",
            "sources": [{"type": "files", "allow_private_network": True,
                         "files": [{"id": "contacts", "title": "Cantines et contacts",
                                    "url": CONTACTS_URL.format(portals=stack_setting("HUB_PORTALS_URL"))}],
                         "datasets": {"contacts": override}}],
        }],
    })


@pytest.fixture
def cleanup(store, ckan):
    made: list[str] = []
    yield made
    for unique in made:
        for obj in list(store.list(f"raw/test-{unique}/")) + list(store.list(f"staged/test-{unique}/")):
            store.client.remove_object(store.bucket, obj.key)
        for name in (f"test-{unique}-contacts",):
            purge_dataset(ckan, name)  # absent when not published in that variant
        for org in (f"test-{unique}", f"tdh-test-{unique}"):
            ckan.action.organization_purge(id=org)


def _run(store, ckan, committee: Committee):
    member = committee.members[0]
    gather_member(store, member)
    staging = stage_member(store, member.slug, b"test-key")
    return staging, publish(store, committee, ckan, packs=[])


def test_personal_data_blocks_then_exemption_publishes(store, ckan, unique, cleanup):
    cleanup.append(unique)
    name = f"test-{unique}-contacts"
    staging, publication = _run(store, ckan, _committee(unique, {}))
    assert staging.blocked == [name] and publication.withheld == [name]
    report = store.get_json(staged_key(f"test-{unique}", name, _only_resource(store, unique, name), "json"))
    assert report["decision"] == "blocked"
    assert report["personal_data"][0]["kind"] == "email" and "@" in report["personal_data"][0]["examples"][0]
    assert "t***@" in report["personal_data"][0]["examples"][0]  # evidence is masked
    assert not ckan.action.package_search(q=f"name:{name}")["results"]

    exempt = _committee(unique, {"personal_data_exemption": "adresses professionnelles des gestionnaires"})
    staging, publication = _run(store, ckan, exempt)
    assert publication.withheld == [] and name in publication.plan["create"]
    assert ckan.action.package_show(id=name)["state"] == "active"


def test_dropping_the_column_clears_the_finding(store, ckan, unique, cleanup):
    cleanup.append(unique)
    name = f"test-{unique}-contacts"
    staging, publication = _run(store, ckan, _committee(unique, {"drop_columns": ["gestionnaires_additionnels"]}))
    assert staging.blocked == [] and name in publication.plan["create"]
    report = store.get_json(staged_key(f"test-{unique}", name, _only_resource(store, unique, name), "json"))
    assert report["dropped_columns"] == ["gestionnaires_additionnels"] and report["personal_data"] == []


def _only_resource(store, unique: str, dataset: str) -> str:
    keys = [o.key for o in store.list(f"staged/test-{unique}/{dataset}/") if o.key.endswith(".json")]
    assert len(keys) == 1, keys
    return keys[0].rsplit("/", 1)[1].removesuffix(".json")
