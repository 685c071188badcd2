"""The demo catalogue harvested by data.gouv.fr's own harvester: udata's DCAT backend (PyPI
udata, in its venv, deploy/local/tools/udata.sh) reads the feed the hub gives data.gouv.fr,
served from the pages fetched from CKAN by a local stand-in (data.gouv.fr reaches the hub
from the internet), and every dataset comes out with its title, description, licence,
files, period and place. (Named to run after test_demo.py, which leaves the demo as
`make demo` does.)"""

import json
import subprocess

import pytest

from catalog.committee import load_committee
from pipelines.packs import DEMO_COMMITTEE
from tests.catalogue_feed import DATAGOUV_FEED, catalogue_graph, catalogue_pages, coverage
from tests.conftest import PROJECT_DIR, stack_setting
from tests.standins.server import Reply, Request, StandIn

HARVEST = PROJECT_DIR / "deploy" / "local" / "udata" / "harvest.py"
LICENCES = PROJECT_DIR / "deploy" / "local" / "ckan" / "licenses.json"  # the catalogue's own list
UNDATED = {"ctd-aqta-projets-ia"}  # the list of AI projects covers no period


class CataloguePages(StandIn):
    """The catalogue's pages as CKAN served them, at the same paths and queries."""

    def __init__(self, ckan_url: str, pages):
        super().__init__()
        self.ckan_url = ckan_url
        self.pages = {page.url.removeprefix(ckan_url): page for page in pages}

    def answer(self, request: Request) -> Reply:
        query = "&".join(f"{k}={v}" for k, values in request.query.items() for v in values)
        page = self.pages.get(f"{request.path}?{query}" if query else request.path)
        if page is None:
            return Reply(status=404, body=b"not a page of the catalogue", content_type="text/plain")
        # Its links to the other pages lead here too.
        body = page.turtle.replace(f"{self.ckan_url}/catalog.ttl", f"{self.url}/catalog.ttl").encode()
        return Reply(body=body, content_type=page.content_type)


@pytest.fixture(scope="module")
def harvest():
    ckan_url = stack_setting("HUB_CKAN_URL")
    pages = catalogue_pages(ckan_url, DATAGOUV_FEED)
    built = subprocess.run(["bash", str(PROJECT_DIR / "deploy" / "local" / "tools" / "udata.sh")],
                           capture_output=True, text=True, timeout=1200)
    assert built.returncode == 0, f"udata's venv (deploy/local/tools/udata.sh): {built.stderr[-3000:]}"
    udata = built.stdout.strip()
    with CataloguePages(ckan_url, pages) as server:
        run = subprocess.run([udata, str(HARVEST), f"{server.url}/catalog.ttl{DATAGOUV_FEED}", "memory", str(LICENCES)],
                             capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout), coverage(catalogue_graph(pages))


def test_every_item_of_the_feed_is_harvested(harvest):
    report, table = harvest
    assert report["status"] == "done", report
    failed = {item["remote_id"]: item["errors"] for item in report["items"] if item["status"] != "done"}
    assert not failed
    assert sorted(item["remote_id"] for item in report["items"]) == sorted(table)


def test_each_dataset_keeps_what_a_reuser_looks_for(harvest):
    report, table = harvest
    demo = load_committee(DEMO_COMMITTEE)  # other tests' committees may be publishing beside it
    names = tuple(f"{slug}-" for slug in (demo.slug, *(member.slug for member in demo.members)))
    datasets = [item for item in report["items"]
                if table[item["remote_id"]]["kind"] == "dataset" and item["remote_id"].startswith(names)]
    assert len(datasets) >= 25
    for item in datasets:
        where = item["remote_id"]
        assert item["title"] and item["description"], where
        assert item["license"] == "etalab-2.0", where  # Licence Ouverte 2.0, recognised from its IRI
        formats = {resource["format"] for resource in item["resources"]}
        assert "csv" in formats and all(r["url"].startswith("http") for r in item["resources"]), where
        assert item["spatial"] == "MultiPolygon", where  # the communes' boxes
        assert item["frequency"], where
        assert item["temporal"] or where in UNDATED, where
    # French as written: the feed says it is UTF-8, and udata decodes it by that header.
    assert "Télédéclarations des cantines 2021 (Carnac)" in {item["title"] for item in datasets}
    water = next(item for item in datasets if item["remote_id"] == "crach-volumes-eau")
    assert water["temporal"] == {"start": "2024-01-01", "end": "2025-12-01"}
    assert water["frequency"] == "monthly"
    assert {r["format"] for r in water["resources"]} == {"csv", "parquet"}
