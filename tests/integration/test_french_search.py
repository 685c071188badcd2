"""Catalogue search in French (Solr's `text` type analysed by deploy/local/solr/french_text.py):
plurals and accents as people type them, elided articles ignored. Two test datasets in a
test organization, purged afterwards; plus the demo's own titles."""

import time
import uuid

import pytest
from ckanapi import RemoteCKAN

from tests.ckan_cleanup import purge_dataset
from tests.conftest import stack_setting


@pytest.fixture(scope="module")
def ckan():
    client = RemoteCKAN(stack_setting("HUB_CKAN_URL"), apikey=stack_setting("HUB_CKAN_TOKEN"))
    unique = uuid.uuid4().hex[:8]
    org = f"tdhtest-recherche-{unique}"
    client.action.organization_create(name=org, title="Test de recherche")
    names = [f"tdhtest-{unique}-equipements", f"tdhtest-{unique}-associations"]
    try:
        client.action.package_create(name=names[0], owner_org=org, title="Équipements sportifs municipaux",
                                     notes="Gymnases, stades et piscines de la commune.")
        client.action.package_create(name=names[1], owner_org=org,
                                     title="Subventions à l'association des pêcheurs",
                                     notes="Montants versés par la commune en 2024.")
        time.sleep(1.5)  # Solr's soft commit (autoSoftCommit 1 s)
        yield client, unique
    finally:
        for name in names:
            purge_dataset(client, name)
        client.action.organization_purge(id=org)


def _found(client, query: str, unique: str | None = None) -> list[str]:
    fq = f"name:tdhtest-{unique}-*" if unique else ""
    result = client.action.package_search(q=query, fq=fq, rows=50)
    return [r["name"] for r in result["results"]]


@pytest.mark.parametrize(("query", "dataset"), [
    ("equipement", "equipements"),  # no accent, singular
    ("ÉQUIPEMENTS", "equipements"),
    ("sportif", "equipements"),
    ("pecheur", "associations"),
    ("associations", "associations"),
    ("subvention", "associations"),
])
def test_plurals_and_accents_as_typed(ckan, query, dataset):
    client, unique = ckan
    assert _found(client, query, unique) == [f"tdhtest-{unique}-{dataset}"]


def test_an_elided_article_matches_nothing_by_itself(ckan):
    client, unique = ckan
    # "l'eau" is "eau": the association's "l'association" does not answer it.
    assert _found(client, "l'eau", unique) == []
    assert _found(client, "d'association", unique) == [f"tdhtest-{unique}-associations"]


def test_the_demo_catalogue_answers_in_french(ckan):
    client, _ = ckan
    titles = [r["title"] for r in client.action.package_search(q="cantine", rows=50)["results"]]
    assert any("cantines" in t.lower() for t in titles)
    titles = [r["title"] for r in client.action.package_search(q="l'eau potable", rows=50)["results"]]
    assert titles and all("eau" in t.lower() or "potable" in t.lower() for t in titles[:5])
    titles = [r["title"] for r in client.action.package_search(q="teledeclaration", rows=50)["results"]]
    assert any("Télédéclarations" in t for t in titles)
