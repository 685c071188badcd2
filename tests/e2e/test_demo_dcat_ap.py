"""The demo catalogue as data.gouv.fr harvests it: every page of `/catalog.ttl` against the
official DCAT-AP 3.0.1 SHACL shapes (tests/data/dcat-ap, provenance there), and the
metadata each dataset carries (the coverage table of docs/dcat-ap.md).
(Named to run after test_demo.py, which leaves the demo as `make demo` does.)"""

from collections import Counter
from pathlib import Path

import pytest
from ckanapi import RemoteCKAN
from pyshacl import validate
from rdflib import RDF, Graph, Literal, Namespace
from rdflib.namespace import SH

from catalog.committee import load_committee
from pipelines.packs import DEMO_COMMITTEE
from tests.catalogue_feed import COVERAGE, DATAGOUV_FEED, DCAT, DCT, catalogue_graph, catalogue_pages, coverage
from tests.conftest import stack_setting

SHAPES = Path(__file__).resolve().parents[1] / "data" / "dcat-ap" / "dcat-ap-SHACL.ttl"
SPDX = Namespace("http://spdx.org/rdf/terms#")
DEMO = load_committee(DEMO_COMMITTEE)
DEMO_NAMES = tuple(f"{slug}-" for slug in (DEMO.slug, *(member.slug for member in DEMO.members)))
# The committee's list of its AI projects: no data of a period, so no temporal coverage.
UNDATED = {"ctd-aqta-projets-ia"}


@pytest.fixture(scope="module")
def feed() -> Graph:
    return catalogue_graph(catalogue_pages(stack_setting("HUB_CKAN_URL")))


def violations(graph: Graph) -> Counter:
    shapes = Graph().parse(SHAPES, format="turtle")
    _, report, _ = validate(graph, shacl_graph=shapes, inference="none", allow_warnings=True)
    return Counter(f"{report.value(r, SH.resultPath)}: {report.value(r, SH.resultMessage)}"
                   for r in report.subjects(SH.resultSeverity, SH.Violation))


def test_every_public_dataset_is_in_the_feed(feed):
    public = RemoteCKAN(stack_setting("HUB_CKAN_URL")).action.package_search(rows=0, include_private=False)["count"]
    table = coverage(feed)
    assert len(table) == public
    # The members' datasets and the committee's pooled ones; AI projects are described beside them.
    assert sum(row["kind"] == "dataset" for row in table.values()) >= 25


def test_the_feed_has_no_dcat_ap_violation(feed):
    found = violations(feed)
    assert not found, "\n".join(f"{n} x {message}" for message, n in found.most_common())
    # The shapes do catch what the stock profile wrote (a literal format, an untyped licence).
    broken = Graph()
    for triple in feed:
        broken.add(triple)
    distribution = next(broken.subjects(RDF.type, DCAT.Distribution))
    broken.set((distribution, DCT["format"], Literal("CSV")))
    for licence in broken.objects(distribution, DCT.license):
        broken.remove((licence, RDF.type, DCT.LicenseDocument))
    assert sum(violations(broken).values()) >= 2


def test_the_feed_for_data_gouv_fr_is_dcat_ap_too(feed):
    datagouv = catalogue_graph(catalogue_pages(stack_setting("HUB_CKAN_URL"), DATAGOUV_FEED))
    found = violations(datagouv)
    assert not found, "\n".join(f"{n} x {message}" for message, n in found.most_common())
    assert set(coverage(datagouv)) == set(coverage(feed))
    assert (None, SPDX.checksum, None) in feed and (None, SPDX.checksum, None) not in datagouv


def test_every_dataset_says_what_a_reuser_looks_for(feed):
    table = coverage(feed)
    assert len(set(table)) == len(table), "a dct:identifier used twice"
    # The demo's (other tests' committees may be publishing beside it).
    datasets = {identifier: row for identifier, row in table.items()
                if row["kind"] == "dataset" and identifier.startswith(DEMO_NAMES)}
    assert len(datasets) >= 25
    for identifier, row in datasets.items():
        # conformsTo only where a schema is declared: no dataset is said to follow a schema it does not.
        missing = [column for column in COVERAGE if column != "conformsTo" and not row[column]
                   and not (column == "temporal" and identifier in UNDATED)]
        assert not missing, f"{identifier}: nothing for {', '.join(missing)}"
        assert row["language"] == "FRA" and "CSV" in row["formats"].split()
        assert row["publisher IRI"].startswith("https://annuaire-entreprises.data.gouv.fr/entreprise/")
    declared = [row["conformsTo"] for row in datasets.values() if row["conformsTo"]]
    assert len(declared) >= 20
    assert "https://gitlab.com/opendatafrance/scdl/budget/raw/v0.8.3/schema.json" in declared
