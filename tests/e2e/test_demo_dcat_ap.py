"""The demo catalogue as data.gouv.fr harvests it: every page of `/catalog.ttl` against the
official DCAT-AP 3.0.1 SHACL shapes (tests/data/dcat-ap, provenance there), and the
metadata each dataset carries (the coverage table of docs/dcat-ap.md).
(Named to run after test_demo.py, which leaves the demo as `make demo` does.)"""

from collections import Counter
from pathlib import Path

import pytest
from ckanapi import RemoteCKAN
from pyshacl import validate
from rdflib import Graph
from rdflib.namespace import SH

from tests.catalogue_feed import COVERAGE, catalogue_graph, catalogue_pages, coverage
from tests.conftest import stack_setting

SHAPES = Path(__file__).resolve().parents[1] / "data" / "dcat-ap" / "dcat-ap-SHACL.ttl"
# The committee's list of its AI projects: no data of a period, so no temporal coverage.
UNDATED = {"ctd-aqta-projets-ia"}


@pytest.fixture(scope="module")
def feed() -> Graph:
    return catalogue_graph(catalogue_pages(stack_setting("HUB_CKAN_URL")))


def test_every_public_dataset_is_in_the_feed(feed):
    public = RemoteCKAN(stack_setting("HUB_CKAN_URL")).action.package_search(rows=0, include_private=False)["count"]
    table = coverage(feed)
    assert len(table) == public
    # The members' datasets and the committee's pooled ones; AI projects are described beside them.
    assert sum(row["kind"] == "dataset" for row in table.values()) >= 25


def test_the_feed_has_no_dcat_ap_violation(feed):
    shapes = Graph().parse(SHAPES, format="turtle")
    _, report, _ = validate(feed, shacl_graph=shapes, inference="none", allow_warnings=True)
    violations = Counter(
        f"{report.value(r, SH.resultPath)}: {report.value(r, SH.resultMessage)}"
        for r in report.subjects(SH.resultSeverity, SH.Violation))
    assert not violations, "\n".join(f"{n} x {message}" for message, n in violations.most_common())


def test_every_dataset_says_what_a_reuser_looks_for(feed):
    table = coverage(feed)
    assert len(set(table)) == len(table), "a dct:identifier used twice"
    datasets = {identifier: row for identifier, row in table.items() if row["kind"] == "dataset"}
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
