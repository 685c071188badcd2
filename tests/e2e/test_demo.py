"""The demo graph end to end on the real stack, twice: the second run changes nothing."""

import os
from pathlib import Path

import pytest
from ckanapi import RemoteCKAN

from connectors.objectstore import ObjectStore
from pipelines.demo import seed_inbox
from pipelines.runner import run_hub
from pipelines.superset import Superset
from tests.conftest import stack_setting

DEMO = Path(__file__).resolve().parents[2] / "demo" / "committee.yaml"


def _counts(ckan, store, superset) -> dict:
    orgs = ckan.action.organization_list()
    packages = ckan.action.package_search(q="*:*", rows=1000, include_private=True)["results"]
    hub = [p for p in packages if p["organization"] and p["organization"]["name"] in orgs]
    return {
        "organizations": sorted(orgs),
        "packages": sorted(p["name"] for p in hub),
        "resources": sum(len(p["resources"]) for p in hub),
        "raw": sum(1 for _ in store.list("raw/")),
        "staged": sum(1 for _ in store.list("staged/")),
        "pooled": sum(1 for _ in store.list("pooled/")),
        "dashboards": superset.get("/api/v1/dashboard/")["count"],
        "charts": superset.get("/api/v1/chart/")["count"],
    }


@pytest.fixture(scope="module")
def demo_runs():
    os.environ["HUB_COMMITTEE_FILE"] = str(DEMO)
    seed_inbox()
    first = run_hub()
    ckan = RemoteCKAN(stack_setting("HUB_CKAN_URL"), apikey=stack_setting("HUB_CKAN_TOKEN"))
    store = ObjectStore.connect(stack_setting("HUB_S3_ENDPOINT"), stack_setting("HUB_S3_ACCESS_KEY"),
                                stack_setting("HUB_S3_SECRET_KEY"), stack_setting("HUB_S3_BUCKET"))
    superset = Superset(stack_setting("HUB_SUPERSET_URL"), stack_setting("HUB_SUPERSET_USER"),
                        stack_setting("HUB_SUPERSET_PASSWORD"))
    before = _counts(ckan, store, superset)
    second = run_hub()
    after = _counts(ckan, store, superset)
    return first, second, before, after, ckan, superset


def test_demo_publishes_members_and_pooled_datasets(demo_runs):
    first, _, before, _, ckan, _ = demo_runs
    assert first.success, first.error
    found = ckan.action.package_search(q="*:*", rows=1000)["results"]
    orgs_with_data = {p["organization"]["name"] for p in found}
    assert {"auray", "carnac", "crach", "quiberon", "pluvigner"} <= orgs_with_data
    pooled = ckan.action.package_show(id="ctd-aqta-water-volumes")
    assert pooled["organization"]["name"] == "ctd-aqta"
    assert {r["format"] for r in pooled["resources"]} == {"CSV", "Parquet"}
    assert before["raw"] and before["staged"] and before["pooled"]


def test_pooled_water_volumes_cover_every_member(demo_runs):
    first = demo_runs[0]
    pooled = first.metadata["pooled/water_volumes"]
    assert sorted(pooled["members"]) == ["auray", "carnac", "crach", "pluvigner", "quiberon"]
    assert pooled["rows"] == 5 * 24


def test_dashboards_return_rows_for_each_lead(demo_runs):
    first, *_, superset = demo_runs
    boards = first.metadata["dashboards"]["dashboards"]
    assert set(boards) == {"auray", "carnac"}
    for info in boards.values():
        for chart in info["charts"]:
            assert superset.chart_data(chart)


def test_personal_data_is_withheld(demo_runs):
    first = demo_runs[0]
    assert "pluvigner-cantines-contacts" in first.metadata["catalog"]["withheld"]


def test_second_run_changes_nothing(demo_runs):
    first, second, before, after, *_ = demo_runs
    assert second.success, second.error
    assert before == after
    assert second.metadata["raw"]["resources_landed"] == 0
    catalog = second.metadata["catalog"]
    assert catalog["created"] == catalog["updated"] == catalog["uploaded"] == 0
    assert catalog["relabelled"] == catalog["archived"] == catalog["removed"] == 0 and catalog["failed"] == []
    assert second.metadata["pooled/water_volumes"]["changed"] is False


def test_tabular_resources_are_previewable_from_the_datastore(demo_runs):
    ckan = demo_runs[4]
    crach = ckan.action.package_show(id="crach-volumes-eau")
    csv = next(r for r in crach["resources"] if r["format"] == "CSV")
    assert csv["url"].endswith("/volumes_eau.csv")
    rows = ckan.action.datastore_search(resource_id=csv["id"], limit=100)
    assert rows["total"] == 24
    types = {f["id"]: f["type"] for f in rows["fields"]}
    assert types["code_insee"] == "text" and types["mois"] == "date" and types["volume_distribue_m3"] == "float8"
    assert rows["records"][0]["code_insee"] == "56046"
    views = ckan.action.resource_view_list(id=csv["id"])
    assert [v["view_type"] for v in views] == ["datatables_view"]  # a preview, exactly one
