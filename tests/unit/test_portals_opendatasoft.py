"""The Opendatasoft connector against a stand-in speaking the Explore API v2.1."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from connectors.http import fetch
from connectors.pagination import PaginationError
from connectors.portals import opendatasoft
from tests.standins import loopback_policy
from tests.standins.opendatasoft import CATALOG, OdsPortal, ods_dataset

POLICY = loopback_policy()


def catalogue(count: int) -> list[dict]:
    return [ods_dataset(f"jeu-{n}", f"Jeu {n}") for n in reversed(range(count))]


def catalog_requests(portal: OdsPortal) -> list:
    return [r for r in portal.requests if r.path == CATALOG]


def test_pages_with_limit_and_offset_in_dataset_id_order():
    with OdsPortal(catalogue(5)) as portal:
        listed = list(opendatasoft.list_datasets(portal.url, POLICY, limit=2))
    assert [d.remote_id for d in listed] == [f"jeu-{n}" for n in range(5)]
    asked = catalog_requests(portal)
    assert [r.arg("offset") for r in asked] == ["0", "2", "4"]
    assert {(r.arg("limit"), r.arg("order_by")) for r in asked} == {("2", "dataset_id")}


def test_pages_are_never_larger_than_the_api_allows():
    with OdsPortal(catalogue(3)) as portal:
        assert len(list(opendatasoft.list_datasets(portal.url, POLICY, limit=500))) == 3
    assert catalog_requests(portal)[0].arg("limit") == "100"


def test_maps_metadata_and_offers_full_exports_not_records():
    dataset = ods_dataset(
        "stationnement-velos",
        "Stationnement vélos",
        themes=("Transports",),
        keywords=("vélo", "stationnement"),
        modified="2025-02-03T04:05:06+01:00",
        geo=True,
        dcat={
            "accrualperiodicity": "http://publications.europa.eu/resource/authority/frequency/MONTHLY",
            "temporal": "2024-01-01/2024-12-31",
        },
        attachments=({"id": "notice_pdf", "title": "Notice", "mimetype": "application/pdf"},),
    )
    with OdsPortal([dataset]) as portal:
        [listed] = opendatasoft.list_datasets(portal.url, POLICY)
        export = fetch(listed.resources[0].url, POLICY)
    assert listed.title == "Stationnement vélos"
    assert listed.description == "<p>Stationnement vélos</p>"
    assert listed.licence == "Licence Ouverte v2.0 (Etalab)"
    assert (listed.tags, listed.themes) == (("vélo", "stationnement"), ("Transports",))
    assert listed.spatial == "Carnac"
    assert (listed.temporal_start, listed.temporal_end) == (date(2024, 1, 1), date(2024, 12, 31))
    assert listed.frequency.endswith("/frequency/MONTHLY")
    assert listed.modified == datetime(2025, 2, 3, 3, 5, 6, tzinfo=UTC)
    assert listed.uri == f"{portal.url}/explore/dataset/stationnement-velos/"
    exports = f"{portal.url}{CATALOG}/stationnement-velos/exports"
    assert [(r.url, r.format) for r in listed.resources] == [
        (f"{exports}/csv", "CSV"),
        (f"{exports}/parquet", "PARQUET"),
        (f"{exports}/geojson", "GEOJSON"),
        (f"{portal.url}{CATALOG}/stationnement-velos/attachments/notice_pdf", "PDF"),
    ]
    assert all(r.last_modified == listed.modified for r in listed.resources[:3])
    assert export.body.startswith(b"commune;valeur")
    assert not any("/records" in path for path in portal.paths())


def test_a_dataset_without_geo_fields_has_no_geojson_and_one_without_records_no_export():
    plain = ods_dataset("plain", "Sans géométrie")
    files_only = ods_dataset(
        "files-only",
        "Fichiers seuls",
        has_records=False,
        attachments=({"id": "budget_csv", "mimetype": "text/csv"},),
    )
    with OdsPortal([plain, files_only]) as portal:
        by_id = {d.remote_id: d for d in opendatasoft.list_datasets(portal.url, POLICY)}
    assert [r.format for r in by_id["plain"].resources] == ["CSV", "PARQUET"]
    assert [(r.name, r.format) for r in by_id["files-only"].resources] == [("budget_csv", "CSV")]


def test_where_and_refinements_reach_the_api_and_filter():
    datasets = [
        ods_dataset("a", "A", publisher="Ville de Carnac", themes=("Environnement",)),
        ods_dataset("b", "B", publisher="Ville de Carnac", themes=("Culture",)),
        ods_dataset("c", "C", publisher="Ville d'Auray", themes=("Environnement",)),
        ods_dataset("d", "D", publisher="Ville de Carnac", themes=("Environnement",)),
    ]
    datasets[3]["metas"]["default"]["language"] = "en"
    with OdsPortal(datasets) as portal:
        listed = opendatasoft.list_datasets(
            portal.url,
            POLICY,
            where='language = "fr"',
            publisher="Ville de Carnac",
            themes=["Environnement"],
        )
        assert [d.remote_id for d in listed] == ["a"]
    asked = catalog_requests(portal)[0]
    assert asked.arg("where") == '(language = "fr")'
    assert asked.query["refine"] == ['publisher:"Ville de Carnac"', 'theme:"Environnement"']


def test_incremental_listing_adds_a_modified_bound():
    old = ods_dataset("old", "Ancien", modified="2025-01-01T00:00:00+00:00")
    new = ods_dataset("new", "Récent", modified="2025-03-01T00:00:00+00:00")
    since = datetime(2025, 2, 1, tzinfo=UTC)
    with OdsPortal([old, new]) as portal:
        listed = list(opendatasoft.list_datasets(portal.url, POLICY, modified_since=since))
    assert [d.remote_id for d in listed] == ["new"]
    assert catalog_requests(portal)[0].arg("where") == "modified >= date'2025-02-01T00:00:00Z'"


def test_a_pager_that_ignores_offset_is_stopped():
    listed = []
    with OdsPortal(catalogue(4), ignore_offset=True) as portal:
        with pytest.raises(PaginationError, match="the pager is stuck"):
            listed.extend(opendatasoft.list_datasets(portal.url, POLICY, limit=2))
    assert [d.remote_id for d in listed] == ["jeu-0", "jeu-1"]


def test_the_same_dataset_twice_in_the_catalogue_is_listed_once():
    datasets = catalogue(3) + [ods_dataset("jeu-1", "Jeu 1 (copie)")]
    with OdsPortal(datasets) as portal:
        listed = [d.remote_id for d in opendatasoft.list_datasets(portal.url, POLICY, limit=2)]
    assert listed == ["jeu-0", "jeu-1", "jeu-2"]
