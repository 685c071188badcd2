"""The demo's library of AI projects as `make demo` leaves it (named to run after
test_demo.py): the Senate report's five projects, each a `projet-ia` dataset of a demo
member, found by French searches; a project page, opened in headless Chromium, lists the
datasets it uses and the charter's commitments; the exports for the national library; a
dataset's governance in DCAT.

The page's screenshot goes to a temporary folder; with HUB_SCREENSHOTS=1 it replaces
docs/img/ckan-projet-ia-page.png."""

import csv
import io
import json
import os
import re

import requests
from ckanapi import RemoteCKAN
from playwright.sync_api import sync_playwright

from catalog.committee import load_committee
from tests.browser import chromium_path
from tests.conftest import PROJECT_DIR, stack_setting

LEAKS = "ctd-aqta-ia-detection-fuites-reseau-eau"


def _search(ckan, query: str) -> list[str]:
    answer = ckan.action.package_search(q=query, fq="dataset_type:projet-ia AND name:ctd-aqta-ia-*", rows=10)
    return [p["name"] for p in answer["results"]]


def test_the_five_projects_are_their_own_type_in_members_organizations_and_found_in_french():
    ckan = RemoteCKAN(stack_setting("HUB_CKAN_URL"))
    members = {m.slug for m in load_committee(PROJECT_DIR / "demo" / "committee.yaml").members}
    projects = ckan.action.package_search(fq="dataset_type:projet-ia AND name:ctd-aqta-ia-*", rows=20)["results"]
    assert len(projects) == 5
    assert {p["organization"]["name"] for p in projects} == members  # one per demo member
    assert _search(ckan, "chatbot") == ["ctd-aqta-ia-assistant-telephonique"]
    assert _search(ckan, "prévision des repas")[0] == "ctd-aqta-ia-prevision-repas-cantines"
    assert _search(ckan, "fuites") == [LEAKS]
    # Filterable by status and risk level, as the search page's ?statut= and ?niveau_risque= do.
    running = ckan.action.package_search(fq="dataset_type:projet-ia AND statut:en_production AND name:ctd-aqta-ia-*")
    assert {p["name"] for p in running["results"]} == {
        "ctd-aqta-ia-assistant-telephonique", "ctd-aqta-ia-prevision-repas-cantines", LEAKS}
    limited = ckan.action.package_search(fq="dataset_type:projet-ia AND niveau_risque:limite AND name:ctd-aqta-ia-*")
    assert len(limited["results"]) == 2


def test_the_projects_search_page_filters_by_status_and_risk_level_in_french():
    url = stack_setting("HUB_CKAN_URL")
    projects = requests.get(f"{url}/projet-ia/", headers={"Accept-Language": "fr"}, timeout=30).text
    for shown in ("Statut", "En production", "Expérimentation", "Niveau de risque", "Risque minimal",
                  "Risque limité (obligations de transparence)", "?statut=en_production"):
        assert shown in projects, shown
    filtered = requests.get(f"{url}/projet-ia/", params={"statut": "experimentation"}, timeout=30).text
    assert "ctd-aqta-ia-prevision-crues-limnigraphes" in filtered and LEAKS not in filtered
    assert "<h1>2 projets d'IA</h1>" in filtered and '<a href="/projet-ia/">Projets d'"'"'IA</a>' in filtered
    assert "found for" not in filtered
    # The type named in French (hub_labels), not from its code ("Search projet-ias...").
    assert "Rechercher des projets d&#39;IA" in projects and "projet-ias" not in projects
    # Filters: member, status, risk level, keyword; a project has no group, format or licence to filter by.
    filters = re.findall(r'<i class="fa fa-filter"></i>\s*([^<]+?)\s*</h2>', projects)
    assert filters == ["Organisations", "Statut", "Niveau de risque (règlement sur l&#39;IA)", "Mots-clés"]
    # The data's own search page has no such filters.
    assert "Niveau de risque" not in requests.get(f"{url}/dataset/", timeout=30).text


def test_a_project_page_lists_its_datasets_and_commitments_in_a_browser(tmp_path):
    url = stack_setting("HUB_CKAN_URL")
    folder = PROJECT_DIR / "docs" / "img" if os.environ.get("HUB_SCREENSHOTS") == "1" else tmp_path
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR").new_page()
            page.goto(f"{url}/projet-ia/{LEAKS}")
            text = page.inner_text("body")
            links = page.eval_on_selector_all("a", "els => els.map(a => a.getAttribute('href'))")
            page.screenshot(path=str(folder / "ckan-projet-ia-page.png"), full_page=True)
        finally:
            browser.close()
    assert "/dataset/crach-volumes-eau" in links and "/dataset/ctd-aqta-eau-potable" in links
    for shown in ("Jeux de données utilisés", "Volumes d'eau potable mensuels", "Engagements de la charte",
                  "Un agent garde la décision", "800 m3 distribués pour 600 m3 facturés", "Risque minimal",
                  "En production", "Source : rapport du Sénat"):
        assert shown in text, shown
    assert "Projet d'IA" in text and "Jeu de données" not in text  # the page's first tab


def test_the_library_is_exported_for_the_national_library_and_in_dcat():
    url = stack_setting("HUB_CKAN_URL")
    ckan = RemoteCKAN(url)
    exports = {r["format"]: r["url"] for r in ckan.action.package_show(id="ctd-aqta-projets-ia")["resources"]}
    rows = list(csv.DictReader(io.StringIO(requests.get(exports["CSV"], timeout=30).content.decode())))
    assert sorted(row["membre"] for row in rows) == ["Auray", "Carnac", "Crach", "Pluvigner", "Quiberon"]
    library = requests.get(exports["JSON"], timeout=30).json()
    assert len(library["projets"]) == 5 and len(library["charte"]["engagements"]) == 6
    turtle = requests.get(f"{url}/dataset/{LEAKS}.ttl", timeout=30).text
    assert f"dct:type <{url}/projet-ia>" in turtle
    assert f"<{url}/dataset/crach-volumes-eau>" in turtle  # dct:relation to the datasets it uses
    governed = requests.get(f"{url}/dataset/crach-volumes-eau.ttl", timeout=30).text
    assert "dpv:hasLegalBasis <https://w3id.org/dpv/legal/eu/gdpr#A6-1-c>" in governed
    assert json.dumps("10 ans")[1:-1] in governed  # its own retention, over the committee's default


def test_every_demo_dataset_carries_its_governance():
    ckan = RemoteCKAN(stack_setting("HUB_CKAN_URL"))
    committee = load_committee(PROJECT_DIR / "demo" / "committee.yaml")
    organizations = " OR ".join([committee.slug, *(m.slug for m in committee.members)])
    datasets = ckan.action.package_search(fq=f"dataset_type:dataset AND organization:({organizations})",
                                          rows=1000)["results"]
    assert len(datasets) > 20
    ungoverned = [d["name"] for d in datasets
                  if not all(d.get(key) for key in ("purpose", "legal_basis", "retention", "personal_data_verdict"))]
    assert ungoverned == []
