"""The udata connector against a stand-in speaking data.gouv.fr's API 1."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from connectors.http import FetchError
from connectors.pagination import PaginationError
from connectors.portals import udata
from connectors.portals.listing import ListingProblem
from tests.standins import loopback_policy
from tests.standins.udata import UdataPortal, udata_dataset, udata_resource

POLICY = loopback_policy()
ORG = "commune-de-crach"


def datasets(count: int) -> list[dict]:
    return [udata_dataset(f"ds-{n}", f"Jeu {n}") for n in range(count)]


def test_follows_next_page_to_the_end():
    with UdataPortal({ORG: datasets(5)}) as portal:
        listed = list(udata.list_datasets(portal.url, POLICY, organization=ORG, page_size=2))
    assert [d.remote_id for d in listed] == [f"ds-{n}" for n in range(5)]
    assert portal.paths() == [f"/api/1/organizations/{ORG}/datasets/"] * 3
    assert [(r.arg("page"), r.arg("page_size")) for r in portal.requests] == [
        ("1", "2"),
        ("2", "2"),
        ("3", "2"),
    ]


def test_maps_resources_checksums_schemas_and_coverage():
    dataset = udata_dataset(
        "5f0c-crach",
        "Délibérations du conseil municipal",
        tags=("deliberations", "scdl"),
        frequency="unknown",
        license="fr-lo",
        temporal_coverage={
            "start": "2024-01-01T00:00:00+00:00",
            "end": "2024-12-31T00:00:00+00:00",
        },
        spatial={"zones": ["fr:commune:56046"], "granularity": "fr:commune", "geom": None},
        schema={"name": "scdl/deliberations", "version": "2.1.5", "url": None},
        resources=(
            udata_resource(
                "r-1",
                "https://data.crach.example.fr/deliberations-2024.csv",
                format="csv",
                filesize=3120,
                checksum={"type": "sha256", "value": "9f86d081"},
                last_modified="2025-01-02T03:04:05+00:00",
                schema={"name": "scdl/deliberations", "version": "2.1.5", "url": None},
            ),
            udata_resource(
                "r-2",
                "https://data.crach.example.fr/notice",
                format="PDF",
                checksum={"type": "sha1", "value": ""},
            ),
            udata_resource("r-3", "", title="lien cassé"),
        ),
    )
    problems: list[ListingProblem] = []
    with UdataPortal({ORG: [dataset]}) as portal:
        [listed] = udata.list_datasets(portal.url, POLICY, organization=ORG, on_problem=problems.append)
    assert (listed.remote_id, listed.licence, listed.tags) == (
        "5f0c-crach",
        "fr-lo",
        ("deliberations", "scdl"),
    )
    assert listed.frequency is None  # udata's "unknown" says nothing
    assert (listed.temporal_start, listed.temporal_end) == (date(2024, 1, 1), date(2024, 12, 31))
    assert listed.spatial == "fr:commune:56046"
    assert listed.schema == "scdl/deliberations"
    assert listed.modified == datetime(2025, 1, 15, 8, tzinfo=UTC)
    assert listed.uri is None and listed.identity == "5f0c-crach"
    first, notice = listed.resources
    assert (first.url, first.format, first.size) == (
        "https://data.crach.example.fr/deliberations-2024.csv",
        "CSV",
        3120,
    )
    assert first.checksum == "sha256:9f86d081"
    assert (first.schema, first.schema_version) == ("scdl/deliberations", "2.1.5")
    assert first.last_modified == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert (notice.format, notice.checksum, notice.remote_id) == ("PDF", None, "r-2")
    assert [(p.item, p.reason) for p in problems] == [("5f0c-crach / lien cassé", "resource has no url")]


def test_a_harvested_dataset_is_known_by_its_origin():
    harvested = udata_dataset(
        "udata-id",
        "Volumes d'eau",
        harvest={
            "backend": "CKAN",
            "remote_id": "6b0f5a8e-0001",
            "remote_url": "https://data.auray.example.fr/dataset/volumes-eau",
            "domain": "data.auray.example.fr",
        },
    )
    from_dcat = udata_dataset(
        "udata-id-2",
        "Budget",
        harvest={
            "backend": "DCAT",
            "remote_id": "budget-2024",
            "uri": "https://data.carnac.example.fr/dataset/budget-2024",
            "remote_url": "https://data.carnac.example.fr/budget",
        },
        spatial={"zones": [], "geom": {"type": "Point", "coordinates": [-3.07, 47.58]}},
    )
    with UdataPortal({ORG: [harvested, from_dcat]}) as portal:
        ckan_copy, dcat_copy = udata.list_datasets(portal.url, POLICY, organization=ORG)
    assert ckan_copy.identity == "https://data.auray.example.fr/dataset/volumes-eau"
    assert ckan_copy.same_as == ("6b0f5a8e-0001", "https://www.data.gouv.fr/fr/datasets/udata-id/")
    assert dcat_copy.identity == "https://data.carnac.example.fr/dataset/budget-2024"
    assert dcat_copy.same_as[:2] == ("https://data.carnac.example.fr/budget", "budget-2024")
    assert dcat_copy.spatial == '{"coordinates": [-3.07, 47.58], "type": "Point"}'


def test_tags_are_checked_on_each_dataset_and_deleted_ones_left_out():
    data = [
        udata_dataset("a", "A", tags=("eau", "scdl")),
        udata_dataset("b", "B", tags=("eau",)),
        udata_dataset("c", "C", tags=("eau", "scdl"), deleted="2025-01-01T00:00:00+00:00"),
    ]
    with UdataPortal({ORG: data}) as portal:
        listed = udata.list_datasets(portal.url, POLICY, organization=ORG, tags=["scdl", "eau"])
        assert [d.remote_id for d in listed] == ["a"]


def test_a_dataset_on_two_pages_is_listed_once():
    data = datasets(3)
    data.insert(3, udata_dataset("ds-1", "Jeu 1 (déplacé)"))
    with UdataPortal({ORG: data}) as portal:
        listed = udata.list_datasets(portal.url, POLICY, organization=ORG, page_size=2)
        assert [d.remote_id for d in listed] == ["ds-0", "ds-1", "ds-2"]


def test_an_endless_next_page_loop_is_stopped():
    listed = []
    with UdataPortal({ORG: datasets(5)}, last_page_points_to=1) as portal:
        with pytest.raises(PaginationError, match="page 3 leads back to an earlier page"):
            listed.extend(udata.list_datasets(portal.url, POLICY, organization=ORG, page_size=2))
    # pagination raises while reading page 3, before handing over its records
    assert [d.remote_id for d in listed] == ["ds-0", "ds-1", "ds-2", "ds-3"]
    assert len(portal.requests) == 3


def test_an_unknown_organization_is_a_fetch_error():
    with UdataPortal({ORG: []}) as portal:
        with pytest.raises(FetchError, match="organizations/inconnue/datasets"):
            list(udata.list_datasets(portal.url, POLICY, organization="inconnue"))
