"""The demo catalogue by theme: the EU data themes as CKAN groups with their French labels,
each dataset of a pack in its pack's theme, the theme's IRI in the dataset's DCAT.
(Named to run after test_demo.py, which leaves the demo as `make demo` does.)"""

import requests
from ckanapi import RemoteCKAN

from catalog.themes import THEMES, theme_iri
from tests.conftest import stack_setting


def test_datasets_are_browsed_by_eu_theme_in_french():
    url = stack_setting("HUB_CKAN_URL")
    ckan = RemoteCKAN(url)
    groups = {g["name"]: g for g in ckan.action.group_list(all_fields=True)}
    assert groups["envi"]["title"] == THEMES["ENVI"] == "Environnement"
    assert groups["gove"]["title"] == "Gouvernement et secteur public"
    water = ckan.action.package_show(id="ctd-aqta-eau-potable")
    assert [g["name"] for g in water["groups"]] == ["envi"]
    # A member's file pooled as a pack takes the pack's theme.
    crach = ckan.action.package_show(id="crach-budget-ca2024")
    assert [g["name"] for g in crach["groups"]] == ["gove"]
    in_envi = ckan.action.package_search(fq="groups:envi", rows=100)["results"]
    assert "ctd-aqta-hauteurs-eau" in {p["name"] for p in in_envi}
    turtle = requests.get(f"{url}/dataset/ctd-aqta-eau-potable.ttl", timeout=30).text
    assert f"<{theme_iri('ENVI')}>" in turtle


def test_a_dataset_page_shows_what_is_known_in_french():
    """The hub's dataset schema (deploy/local/ckan/hub_dataset.yaml) and its page template:
    French labels, and no line for a field nobody filled."""
    url = stack_setting("HUB_CKAN_URL")
    page = requests.get(f"{url}/dataset/crach-budget-ca2024", headers={"Accept-Language": "fr"}, timeout=30).text
    for label in ("Producteur", "Couverture géographique", "Conforme au schéma", "Identifiant (SIREN)",
                  "Gouvernement et secteur public",  # the theme by its French label, not only its IRI
                  "Couverture temporelle", "Fréquence de mise à jour"):  # from its dates and its pack
        assert label in page, label
    # Not filled for this dataset, so not shown; and nothing left in English.
    for absent in ("Droits d'accès", "Temporal coverage", "Contact points", "Release date"):
        assert absent not in page, absent


def test_each_member_organization_says_who_it_is():
    ckan = RemoteCKAN(stack_setting("HUB_CKAN_URL"))
    crach = ckan.action.organization_show(id="crach")
    assert crach["description"].startswith("Commune de Crach (code INSEE 56046, SIREN 215600461), membre du ")
    assert "donnees@crach.example.fr" in crach["description"]
