"""The library of AI projects through the whole graph, with a committee of its own (test
names): its projects become `projet-ia` datasets in its member's organization, found by a
French search, each page listing the datasets it uses and the charter's commitments; a
project whose file is removed is archived by the next run, and the run after changes
nothing. Removed from CKAN and S3 afterwards."""

import time
import uuid

import pytest
import requests
import yaml
from ckanapi import RemoteCKAN

from connectors.objectstore import ObjectStore, object_key
from pipelines.runner import run_hub
from tests.committees import committee_file, inbox_commune, remove_committee
from tests.conftest import stack_setting

TRACKS = "commune;annee;km_pistes\nTest;2025;12,5\n"
CHARTER = {
    "titre": "Charte de test", "version": "0.1",
    "engagements": [
        {"id": "transparence", "titre": "Dire quand l'IA répond", "description": "Les habitants le savent."},
        {"id": "controle-humain", "titre": "Un agent garde la décision", "description": "Toujours."},
    ],
}


def _project(member: str, title: str, keywords: list[str], datasets: list[dict]) -> dict:
    return {
        "titre": title, "membre": member, "service": "Service test", "finalite": f"{title}, pour le test.",
        "statut": "experimentation", "jeux_de_donnees": datasets,
        "methode": {"description": "Méthode de test.", "type_modele": "modèle de test", "fournisseur": "régie",
                    "hebergement": "serveurs de la collectivité", "ouvert": True},
        "controle_humain": "Un agent relit tout.",
        "risque": {"niveau": "minimal", "justification": "Aucune décision sur des personnes."},
        "aipd": False, "donnees_personnelles": "aucune", "contact": "test@hub.invalid",
        "resultats": [{"indicateur": "Indicateur de test", "valeur": "42 %", "source": "mesure du test"}],
        "engagements": [{"id": "controle-humain", "comment": "Relecture par un agent."}],
        "mots_cles": keywords,
    }


@pytest.fixture
def library(tmp_path):
    unique = uuid.uuid4().hex[:6]
    slug, member = f"tdhtest-{unique}", f"tdhtest-{unique}-ia"
    # A project names datasets the committee file declares: the inbox file's id, with its governance.
    tracks_entry = {"governance": {"purpose": "Suivi des pistes cyclables (test)", "legal_basis": "public_task",
                                   "retention": "5 ans", "personal_data": "none"}}
    committee = {"slug": slug, "name": "Comité de test des projets d'IA",
                 "members": [inbox_commune(member, "56130", {"pistes-cyclables": tracks_entry})]}
    (tmp_path / "committee.yaml").write_text(yaml.safe_dump(committee, allow_unicode=True))
    (tmp_path / "charte-ethique.yaml").write_text(yaml.safe_dump(CHARTER, allow_unicode=True))
    folder = tmp_path / "projets-ia"
    folder.mkdir()
    tracks = f"{member}-pistes-cyclables"
    projects = {
        "chatbot": _project(member, "Assistant d'accueil", ["chatbot"], []),
        "repas": _project(member, "Prévision des repas de la cantine", ["cantine"],
                          [{"nom": tracks, "usage": "les kilomètres de pistes, pour le test"}]),
        "fuites": _project(member, "Détection des fuites d'eau", ["eau"], []),
    }
    for stem, project in projects.items():
        (folder / f"{stem}.yaml").write_text(yaml.safe_dump(project, allow_unicode=True))
    store = ObjectStore.from_environment()
    store.put_bytes(object_key("inbox", member, "pistes_cyclables.csv"), TRACKS.encode())
    names = {stem: f"{slug}-ia-{stem}" for stem in projects}
    try:
        with committee_file(tmp_path / "committee.yaml"):
            yield {"folder": folder, "member": member, "tracks": tracks, "names": names,
                   "exports": f"{slug}-projets-ia"}
    finally:
        remove_committee(committee, [tracks, f"{slug}-projets-ia", *names.values()], store)


def _found(ckan, query: str, member: str) -> list[str]:
    answer = ckan.action.package_search(q=query, fq=f"dataset_type:projet-ia AND organization:{member}", rows=10)
    return [p["name"] for p in answer["results"]]


def test_projects_are_published_searchable_archived_when_removed_then_left_alone(library):
    url = stack_setting("HUB_CKAN_URL")
    ckan = RemoteCKAN(url, apikey=stack_setting("HUB_CKAN_TOKEN"))
    names, member = library["names"], library["member"]

    first = run_hub()
    assert first.success, first.error
    published = first.metadata["ai_projects"]
    assert published["created"] == 4, published["plan"]  # three projects and the library's exports
    assert published["missing_datasets"] == []

    time.sleep(1.5)  # Solr's soft commit (autoSoftCommit 1 s): what CKAN just wrote is searchable after it
    project = ckan.action.package_show(id=names["repas"])
    assert (project["type"], project["organization"]["name"], project["state"]) == ("projet-ia", member, "active")
    # Found in French: plural, accents and articles as people type them.
    assert _found(ckan, "chatbot", member) == [names["chatbot"]]
    assert _found(ckan, "prévision des repas", member)[0] == names["repas"]
    assert _found(ckan, "fuite", member) == [names["fuites"]]

    page = requests.get(f"{url}/projet-ia/{names['repas']}", headers={"Accept-Language": "fr"}, timeout=30).text
    assert f'href="/dataset/{library["tracks"]}"' in page  # the dataset it uses, linked
    assert "Jeux de données utilisés" in page and "les kilomètres de pistes, pour le test" in page
    assert "Un agent garde la décision" in page and "Relecture par un agent." in page  # the commitment, and how
    assert "Risque minimal" in page and "Expérimentation" in page  # codes shown by their French labels

    # The dataset's governance, in French on its page.
    page = requests.get(f"{url}/dataset/{library['tracks']}", headers={"Accept-Language": "fr"}, timeout=30).text
    for shown in ("Finalité", "Suivi des pistes cyclables (test)", "Base légale (RGPD, article 6)",
                  "Mission d&#39;intérêt public (art. 6-1-e)", "Durée de conservation", "Aucune donnée personnelle"):
        assert shown in page, shown

    (library["folder"] / "fuites.yaml").unlink()
    second = run_hub()
    assert second.success, second.error
    assert second.metadata["ai_projects"]["plan"]["archive"] == [names["fuites"]]
    assert second.metadata["ai_projects"]["plan"]["failed"] == []
    time.sleep(1.5)  # package_show answers from the index while it holds the same version: after the commit
    assert ckan.action.package_show(id=names["fuites"])["state"] == "deleted"
    assert _found(ckan, "fuite", member) == []

    third = run_hub()
    assert third.success, third.error
    plan = third.metadata["ai_projects"]["plan"]
    assert sorted(plan["unchanged"]) == sorted([names["chatbot"], names["repas"], library["exports"]])
    assert [plan[step] for step in ("create", "update", "upload", "relabel", "remove", "archive", "failed")] == [[]] * 7
