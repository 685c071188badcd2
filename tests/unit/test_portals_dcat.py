"""The DCAT connector against a stand-in catalogue in Turtle, JSON-LD and RDF/XML."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import pytest

from connectors.http import FetchError, UnexpectedContent
from connectors.pagination import PaginationError
from connectors.portals import dcat
from connectors.portals.listing import ListingProblem, UnexpectedShape
from tests.standins import loopback_policy
from tests.standins.dcat import DcatCatalog, dcat_dataset, dcat_distribution
from tests.standins.files import FileHost

# rdflib's own JSON-LD parser still builds a ConjunctiveGraph internally (rdflib 7.6).
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

POLICY = loopback_policy()
BASE = "https://data.carnac.example.fr"


def datasets(count: int) -> list[dict]:
    return [
        dcat_dataset(
            f"{BASE}/dataset/{n}",
            f"Jeu {n}",
            identifier=f"jeu-{n}",
            distributions=(dcat_distribution(f"{BASE}/files/{n}.csv", format="CSV"),),
        )
        for n in range(count)
    ]


@pytest.mark.parametrize(
    ("syntax", "paging"),
    [
        ("turtle", "PagedCollection"),
        ("json-ld", "PartialCollectionView"),
        ("xml", "PagedCollection"),
        ("xml", "PartialCollectionView"),
    ],
)
def test_follows_hydra_pages_in_every_syntax(syntax, paging):
    with DcatCatalog(datasets(5), syntax=syntax, paging=paging, per_page=2) as catalog:
        listed = list(dcat.list_datasets(catalog.catalog_url, POLICY))
    assert sorted(d.remote_id for d in listed) == [f"jeu-{n}" for n in range(5)]
    assert [r.arg("page", "1") for r in catalog.requests] == ["1", "2", "3"]
    assert all(d.resources[0].format == "CSV" for d in listed)


def test_maps_a_dcat_ap_dataset_and_its_distributions():
    spec = dcat_dataset(
        f"{BASE}/dataset/budget-2024",
        "Budget primitif 2024",
        identifier="budget-2024",
        description="Budget primitif de la commune au format SCDL.",
        keywords=("budget", "finances"),
        themes=("http://publications.europa.eu/resource/authority/data-theme/GOVE",),
        temporal=("2024-01-01", "2024-12-31"),
        spatial='{"type": "Point", "coordinates": [-3.07, 47.58]}',
        frequency="http://publications.europa.eu/resource/authority/frequency/ANNUAL",
        conforms_to="https://schema.data.gouv.fr/scdl/budget/0.8.3/schema.json",
        landing_page=f"{BASE}/budget",
        modified="2025-01-20T09:30:00+01:00",
        distributions=(
            dcat_distribution(
                f"{BASE}/files/budget-2024.csv",
                uri=f"{BASE}/dataset/budget-2024/resource/csv",
                title="Budget 2024 (CSV)",
                media_type="https://www.iana.org/assignments/media-types/text/csv",
                byte_size=48213,
                sha256="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                modified="2025-01-19T00:00:00+00:00",
                licence="https://www.etalab.gouv.fr/licence-ouverte-open-licence",
            ),
            dcat_distribution(
                None,
                access_url=f"{BASE}/api/budget",
                title="API",
                format="http://publications.europa.eu/resource/authority/file-type/JSON",
            ),
            dcat_distribution(None, title="Lien perdu"),
        ),
    )
    problems: list[ListingProblem] = []
    with DcatCatalog([spec]) as catalog:
        [listed] = dcat.list_datasets(catalog.catalog_url, POLICY, on_problem=problems.append)
    assert (listed.remote_id, listed.uri) == ("budget-2024", f"{BASE}/dataset/budget-2024")
    assert listed.title == "Budget primitif 2024"
    assert listed.description == "Budget primitif de la commune au format SCDL."
    assert listed.tags == ("budget", "finances")
    assert listed.themes == ("http://publications.europa.eu/resource/authority/data-theme/GOVE",)
    assert listed.licence == "https://www.etalab.gouv.fr/licence-ouverte-open-licence"
    assert listed.spatial == '{"type": "Point", "coordinates": [-3.07, 47.58]}'
    assert (listed.temporal_start, listed.temporal_end) == (date(2024, 1, 1), date(2024, 12, 31))
    assert listed.frequency.endswith("/frequency/ANNUAL")
    assert listed.schema == "https://schema.data.gouv.fr/scdl/budget/0.8.3/schema.json"
    assert listed.modified == datetime(2025, 1, 20, 8, 30, tzinfo=UTC)
    assert listed.same_as == (f"{BASE}/budget",)
    csv, api = sorted(listed.resources, key=lambda r: r.format)
    assert (csv.url, csv.name, csv.format) == (
        f"{BASE}/files/budget-2024.csv",
        "Budget 2024 (CSV)",
        "CSV",
    )
    assert csv.remote_id == f"{BASE}/dataset/budget-2024/resource/csv"
    assert csv.size == 48213
    assert csv.checksum == "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    assert csv.last_modified == datetime(2025, 1, 19, tzinfo=UTC)
    assert (api.url, api.format) == (f"{BASE}/api/budget", "JSON")
    assert [p.reason for p in problems] == ["distribution has neither dcat:downloadURL nor dcat:accessURL"]


def test_identity_falls_back_from_identifier_to_uri_and_blank_nodes_are_reported():
    specs = [
        dcat_dataset(f"{BASE}/dataset/sans-identifiant", "Sans identifiant"),
        dcat_dataset(None, "Noeud anonyme identifié", identifier="anonyme-1"),
        dcat_dataset(None, "Noeud anonyme perdu"),
    ]
    problems: list[ListingProblem] = []
    with DcatCatalog(specs, per_page=10) as catalog:
        listed = list(dcat.list_datasets(catalog.catalog_url, POLICY, on_problem=problems.append))
    assert sorted((d.remote_id, d.uri) for d in listed) == [
        ("anonyme-1", None),
        (f"{BASE}/dataset/sans-identifiant", f"{BASE}/dataset/sans-identifiant"),
    ]
    assert [(p.item, p.reason) for p in problems] == [
        ("Noeud anonyme perdu", "a dcat:Dataset with neither URI nor dct:identifier")
    ]


def test_incremental_listing_sends_modified_since():
    old = dcat_dataset(f"{BASE}/d/old", "Ancien", identifier="old", modified="2025-01-01T00:00:00+00:00")
    new = dcat_dataset(f"{BASE}/d/new", "Récent", identifier="new", modified="2025-03-01T00:00:00+00:00")
    with DcatCatalog([old, new]) as catalog:
        listed = dcat.list_datasets(catalog.catalog_url, POLICY, modified_since=datetime(2025, 2, 1, tzinfo=UTC))
        assert [d.remote_id for d in listed] == ["new"]
    assert catalog.requests[0].arg("modified_since") == "2025-02-01T00:00:00+00:00"


def test_a_dataset_repeated_on_a_later_page_is_listed_once():
    specs = datasets(3)
    specs.insert(2, specs[0])
    with DcatCatalog(specs, per_page=2) as catalog:
        listed = [d.remote_id for d in dcat.list_datasets(catalog.catalog_url, POLICY)]
    assert sorted(listed) == ["jeu-0", "jeu-1", "jeu-2"]


def test_a_hydra_loop_back_to_the_first_page_is_stopped():
    # The catalogue URL has no ?page=1: the loop is caught when page 1 comes back.
    listed = []
    with DcatCatalog(datasets(4), per_page=2, last_page_points_to=1) as catalog:
        with pytest.raises(PaginationError, match="page 3 holds only ids already seen"):
            listed.extend(dcat.list_datasets(catalog.catalog_url, POLICY))
    assert len(listed) == 4 and len(catalog.requests) == 3


def test_rdf_xml_with_entity_declarations_is_refused_before_parsing():
    with DcatCatalog(datasets(1), syntax="xml", doctype=True) as catalog:
        started = time.monotonic()
        with pytest.raises(FetchError, match="declares a DOCTYPE or ENTITY"):
            list(dcat.list_datasets(catalog.catalog_url, POLICY))
    assert time.monotonic() - started < 5


def test_a_doctype_hidden_in_utf16_is_refused_too():
    body = '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE r [<!ENTITY a "b">]><r/>'
    with pytest.raises(FetchError, match="DOCTYPE"):
        dcat.parse_page(body.encode("utf-16"), "https://x.example/c.rdf", None, POLICY)


def test_remote_json_ld_contexts_are_fetched_under_the_source_policy():
    policy = loopback_policy(**{"X-Hub-Source": "carnac"})
    with DcatCatalog(datasets(3), syntax="json-ld", remote_context=True, per_page=2) as catalog:
        listed = list(dcat.list_datasets(catalog.catalog_url, policy))
    assert sorted(d.remote_id for d in listed) == ["jeu-0", "jeu-1", "jeu-2"]
    context_requests = [r for r in catalog.requests if r.path == "/context.jsonld"]
    assert len(context_requests) == 1  # fetched once, reused for the second page
    assert all(r.headers.get("x-hub-source") == "carnac" for r in catalog.requests)


@pytest.mark.parametrize(
    ("body", "url", "content_type", "syntax"),
    [
        (
            b"@prefix dcat: <x> .",
            "https://x.example/catalog",
            "text/turtle; charset=utf-8",
            "turtle",
        ),
        (b"{}", "https://x.example/catalog", "application/ld+json", "json-ld"),
        (b"<rdf:RDF/>", "https://x.example/catalog", "application/rdf+xml", "xml"),
        (b"<rdf:RDF/>", "https://x.example/catalog.ttl", "text/plain", "turtle"),
        (b'  {"@graph": []}', "https://x.example/catalog", None, "json-ld"),
        (b"\xef\xbb\xbf<?xml version='1.0'?>", "https://x.example/catalog", None, "xml"),
        (b"@prefix dcat: <x> .", "https://x.example/catalog", None, "turtle"),
    ],
)
def test_the_syntax_comes_from_the_media_type_then_the_name_then_the_body(body, url, content_type, syntax):
    assert dcat.rdf_syntax(body, url, content_type) == syntax


def test_an_html_error_page_served_as_the_catalogue_is_refused():
    with FileHost({"catalog.rdf": b"<!doctype html><html><body>502 Bad Gateway</body></html>"}) as host:
        with pytest.raises(UnexpectedContent, match="catalog.rdf: expected RDF, got an HTML page"):
            list(dcat.list_datasets(f"{host.url}/catalog.rdf", POLICY))


def test_rdf_without_any_catalogue_is_not_taken_for_an_empty_catalogue():
    with FileHost({"catalog.ttl": b"<http://a.example/s> <http://a.example/p> 1 .\n"}) as host:
        with pytest.raises(UnexpectedShape, match="no dcat:Catalog, dcat:Dataset or Hydra page"):
            list(dcat.list_datasets(f"{host.url}/catalog.ttl", POLICY))


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"@context": 5, "@id": "x"}', "application/ld+json"),
        (b"{not json", "application/ld+json"),
        (b"@prefix x <nope", "text/turtle"),
        (b"<rdf:RDF><oops", "application/rdf+xml"),
        (b"@prefix dcat: <http://www.w3.org/ns/dcat#> .\n\xff\xfe garbage", "text/turtle"),
    ],
)
def test_unreadable_pages_are_typed_errors_naming_the_page(body, content_type):
    with pytest.raises(UnexpectedShape, match="^https://x.example/catalog: "):
        dcat.parse_page(body, "https://x.example/catalog", content_type, POLICY)


def test_an_html_page_announced_as_turtle_is_refused():
    with pytest.raises(UnexpectedContent, match="expected turtle, got an HTML page"):
        dcat.parse_page(b"<html><body>Maintenance</body></html>", "https://x.example/c", "text/turtle", POLICY)
