"""The CKAN connector against a stand-in speaking CKAN's action API."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from connectors.http import FetchError
from connectors.pagination import PaginationError
from connectors.portals import ckan
from connectors.portals.listing import ListingProblem, UnexpectedShape
from tests.standins import loopback_policy
from tests.standins.ckan import CkanPortal, ckan_package

POLICY = loopback_policy()


def packages(count: int, organization: str = "ville-d-auray") -> list[dict]:
    # Inserted in reverse so that only `sort=id asc` gives the id order.
    return [ckan_package(f"pkg-{n:02d}", f"Jeu {n}", organization=organization) for n in reversed(range(count))]


def searches(portal: CkanPortal) -> list:
    return [r for r in portal.requests if r.path == ckan.SEARCH]


def test_pages_with_rows_and_start_in_id_order():
    with CkanPortal(packages(7)) as portal:
        listed = list(ckan.list_datasets(portal.url, POLICY, rows=3))
    assert [d.remote_id for d in listed] == [f"pkg-{n:02d}" for n in range(7)]
    asked = searches(portal)
    assert [r.arg("start") for r in asked] == ["0", "3", "6"]
    assert {(r.arg("sort"), r.arg("rows"), r.arg("q")) for r in asked} == {("id asc", "3", "*:*")}
    assert all(r.arg("fq") is None for r in asked)


def test_an_empty_portal_lists_nothing_in_one_request():
    with CkanPortal([]) as portal:
        assert list(ckan.list_datasets(portal.url, POLICY)) == []
    assert len(searches(portal)) == 1


def test_maps_a_package_with_extras_groups_and_resources():
    package = ckan_package(
        "6b0f5a8e-0001",
        "Volumes d'eau potable",
        name="volumes-eau",
        modified="2025-03-04T05:06:07.123456",
        tags=("eau", "rendement"),
        notes="Volumes mensuels distribués et facturés.",
        license_id="odc-odbl",
        groups=[{"name": "environnement", "title": "Environnement"}],
        extras=[
            {"key": "spatial", "value": '{"type": "Point", "coordinates": [-2.99, 47.67]}'},
            {"key": "temporal_start", "value": "2024-01-01"},
            {"key": "temporal_end", "value": "2025-12-31T00:00:00"},
            {"key": "frequency", "value": "monthly"},
            {"key": "schema", "value": "https://schema.data.gouv.fr/schemas/x/latest/schema.json"},
        ],
        resources=(
            {
                "id": "res-1",
                "name": "Volumes 2024-2025",
                "url": "https://data.auray.example.fr/volumes.csv",
                "format": "csv",
                "size": "2048",
                "hash": "sha256:abcd",
                "last_modified": "2025-03-01T10:00:00",
                "schema": "etalab/schema-volumes",
            },
            {"id": "res-2", "name": "Upload en cours", "url": "", "format": "CSV"},
            {
                "id": "res-3",
                "name": "Annexe",
                "url": "/dataset/x/resource/res-3/download/a.pdf",
                "format": "",
                "size": None,
                "hash": "",
                "last_modified": None,
            },
        ),
    )
    problems: list[ListingProblem] = []
    with CkanPortal([package]) as portal:
        [dataset] = ckan.list_datasets(portal.url + "/", POLICY, on_problem=problems.append)
    assert dataset.remote_id == "6b0f5a8e-0001"
    assert dataset.title == "Volumes d'eau potable"
    assert dataset.description == "Volumes mensuels distribués et facturés."
    assert dataset.licence == "odc-odbl"
    assert dataset.tags == ("eau", "rendement")
    assert dataset.themes == ("environnement",)
    assert dataset.spatial == '{"type": "Point", "coordinates": [-2.99, 47.67]}'
    assert (dataset.temporal_start, dataset.temporal_end) == (date(2024, 1, 1), date(2025, 12, 31))
    assert dataset.frequency == "monthly"
    assert dataset.schema == "https://schema.data.gouv.fr/schemas/x/latest/schema.json"
    assert dataset.modified == datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
    assert dataset.uri == f"{portal.url}/dataset/6b0f5a8e-0001"
    assert dataset.same_as == (f"{portal.url}/dataset/volumes-eau",)
    first, annex = dataset.resources
    assert first.url == "https://data.auray.example.fr/volumes.csv"
    assert (first.remote_id, first.name, first.format) == ("res-1", "Volumes 2024-2025", "CSV")
    assert (first.size, first.checksum, first.schema) == (
        2048,
        "sha256:abcd",
        "etalab/schema-volumes",
    )
    assert first.last_modified == datetime(2025, 3, 1, 10, tzinfo=UTC)
    assert annex.url == f"{portal.url}/dataset/x/resource/res-3/download/a.pdf"
    assert (annex.format, annex.size, annex.checksum, annex.last_modified) == (
        "PDF",
        None,
        None,
        None,
    )
    assert [(p.item, p.reason) for p in problems] == [("6b0f5a8e-0001 / Upload en cours", "resource has no url")]


def test_maps_the_dcat_ap_scheming_fields_of_ckan_2_12():
    # The shape of ckanext-dcat's dcat_ap_full.yaml schema, as the stack's CKANs serve it.
    package = ckan_package(
        "d1",
        "Budget primitif",
        theme=["http://publications.europa.eu/resource/authority/data-theme/GOVE"],
        conforms_to=["https://schema.data.gouv.fr/scdl/budget/0.8.3/schema.json"],
        frequency="http://publications.europa.eu/resource/authority/frequency/ANNUAL",
        temporal_coverage=[{"start": "2024-01-01", "end": "2024-12-31"}],
        spatial_coverage=[{"uri": "http://id.insee.fr/geo/commune/56034", "text": "Carnac"}],
        resources=(
            {
                "id": "r1",
                "name": "Budget 2024",
                "url": "https://carnac.example.fr/budget",
                "download_url": "https://carnac.example.fr/files/budget-2024.csv",
                "format": "CSV",
                "size": 4812,
                "hash": "9f86d081",
                "hash_algorithm": "http://spdx.org/rdf/terms#checksumAlgorithm_sha256",
                "modified": "2025-01-19T00:00:00",
                "last_modified": None,
                "conforms_to": ["https://schema.data.gouv.fr/scdl/budget/0.8.3/schema.json"],
            },
        ),
    )
    with CkanPortal([package]) as portal:
        [dataset] = ckan.list_datasets(portal.url, POLICY)
    assert dataset.themes == ("http://publications.europa.eu/resource/authority/data-theme/GOVE",)
    assert dataset.schema == "https://schema.data.gouv.fr/scdl/budget/0.8.3/schema.json"
    assert dataset.frequency.endswith("/frequency/ANNUAL")
    assert (dataset.temporal_start, dataset.temporal_end) == (date(2024, 1, 1), date(2024, 12, 31))
    assert dataset.spatial == "http://id.insee.fr/geo/commune/56034"
    [resource] = dataset.resources
    assert resource.url == "https://carnac.example.fr/files/budget-2024.csv"
    assert (resource.size, resource.checksum) == (4812, "sha256:9f86d081")
    assert resource.last_modified == datetime(2025, 1, 19, tzinfo=UTC)
    assert resource.schema == "https://schema.data.gouv.fr/scdl/budget/0.8.3/schema.json"


def test_dcat_lists_kept_as_json_in_extras_are_read_too():
    extras = [
        {"key": "theme", "value": '["http://example.org/theme/eau"]'},
        {"key": "spatial_coverage", "value": '[{"geom": {"type": "Point", "coordinates": [1, 2]}}]'},
    ]
    with CkanPortal([ckan_package("p", "T", extras=extras)]) as portal:
        [dataset] = ckan.list_datasets(portal.url, POLICY)
    assert dataset.themes == ("http://example.org/theme/eau",)
    assert dataset.spatial == '{"coordinates": [1, 2], "type": "Point"}'


def test_scheming_top_level_fields_win_over_extras():
    package = ckan_package("p", "T", frequency="weekly", extras=[{"key": "frequency", "value": "x"}])
    with CkanPortal([package]) as portal:
        [dataset] = ckan.list_datasets(portal.url, POLICY)
    assert dataset.frequency == "weekly"


def test_a_dcat_uri_extra_is_the_identity():
    package = ckan_package("p", "T", extras=[{"key": "uri", "value": "https://origin.example/ds/1"}])
    with CkanPortal([package]) as portal:
        [dataset] = ckan.list_datasets(portal.url, POLICY)
    assert dataset.identity == "https://origin.example/ds/1"


def test_incremental_listing_filters_on_metadata_modified():
    old = ckan_package("old", "Ancien", modified="2025-01-01T00:00:00.000000")
    new = ckan_package("new", "Récent", modified="2025-02-01T12:00:00.000000")
    since = datetime(2025, 1, 31, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    with CkanPortal([old, new]) as portal:
        listed = list(ckan.list_datasets(portal.url, POLICY, modified_since=since))
    assert [d.remote_id for d in listed] == ["new"]
    assert searches(portal)[0].arg("fq") == "metadata_modified:[2025-01-31T12:00:00Z TO *]"


def test_organization_and_tags_filter_on_the_server():
    mixed = packages(3, "ville-d-auray") + packages(2, "carnac")
    mixed.append(ckan_package("tagged", "Eau", organization="carnac", tags=("eau",)))
    with CkanPortal(mixed) as portal:
        listed = list(ckan.list_datasets(portal.url, POLICY, organization="carnac", tags=["eau"]))
    assert [d.remote_id for d in listed] == ["tagged"]
    assert searches(portal)[0].arg("fq") == 'organization:"carnac" AND tags:"eau"'


def test_private_datasets_only_when_asked():
    hidden = ckan_package("hidden", "Privé", private=True)
    with CkanPortal([hidden, *packages(1)]) as portal:
        public = [d.remote_id for d in ckan.list_datasets(portal.url, POLICY)]
        everything = [d.remote_id for d in ckan.list_datasets(portal.url, POLICY, include_private=True)]
    assert (public, everything) == (["pkg-00"], ["hidden", "pkg-00"])


def test_filter_values_cannot_inject_solr_syntax():
    fq = ckan.filter_query(organization='x" OR *:*', tags=["a\\b"])
    assert fq == 'organization:"x\\" OR *:*" AND tags:"a\\\\b"'


def test_a_dataset_arriving_while_paging_is_not_listed_twice():
    # "pkg-00a" sorts before the cursor once page 1 was served: page 2 repeats "pkg-02".
    arrival = ckan_package("pkg-00a", "Arrivé pendant la lecture")
    with CkanPortal(packages(6), arrivals_after_page={1: [arrival]}) as portal:
        listed = [d.remote_id for d in ckan.list_datasets(portal.url, POLICY, rows=3)]
    assert listed == [f"pkg-{n:02d}" for n in range(6)]
    assert [r.arg("start") for r in searches(portal)] == ["0", "3", "6"]


def test_a_pager_that_ignores_start_is_stopped():
    listed = []
    with CkanPortal(packages(5), ignore_start=True) as portal:
        with pytest.raises(PaginationError, match="page 2 holds only ids already seen"):
            listed.extend(ckan.list_datasets(portal.url, POLICY, rows=2))
    assert [d.remote_id for d in listed] == ["pkg-00", "pkg-01"]
    assert len(searches(portal)) == 2


def test_a_resource_without_url_raises_when_nobody_collects_problems():
    package = ckan_package("p", "T", resources=({"id": "r", "name": "vide", "url": ""},))
    with CkanPortal([package]) as portal:
        with pytest.raises(UnexpectedShape, match="p / vide: resource has no url"):
            list(ckan.list_datasets(portal.url, POLICY))


def test_a_ckan_error_answer_is_a_fetch_error_naming_the_url():
    with CkanPortal(packages(1)) as portal:
        with pytest.raises(FetchError, match="package_search"):
            list(ckan.list_datasets(portal.url, POLICY, rows=5000))
