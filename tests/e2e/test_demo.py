"""The demo graph end to end on the real stack, twice: the second run changes nothing."""

import os
import uuid
from pathlib import Path

import psycopg
import pytest
from ckanapi import RemoteCKAN
from psycopg import sql

from catalog.committee import load_committee
from connectors.objectstore import ObjectStore
from pipelines.dashboards import lead_user_password
from pipelines.demo import seed_inbox
from pipelines.runner import member_report, run_hub
from pipelines.superset import Superset, SupersetError
from pipelines.warehouse import lead_access
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


PACKS = ["eau_potable", "restauration_collective", "budget", "subventions", "hauteurs_eau"]
LEADS = {"auray": {"Auray", "Crach", "Pluvigner"}, "carnac": {"Carnac", "Quiberon"}}


def test_demo_publishes_members_and_pooled_datasets(demo_runs):
    first, _, before, _, ckan, _ = demo_runs
    assert first.success, first.error
    found = ckan.action.package_search(q="*:*", rows=1000)["results"]
    orgs_with_data = {p["organization"]["name"] for p in found}
    assert {"auray", "carnac", "crach", "quiberon", "pluvigner"} <= orgs_with_data
    for pack in PACKS:
        pooled = ckan.action.package_show(id=f"ctd-aqta-{pack.replace('_', '-')}")
        assert pooled["organization"]["name"] == "ctd-aqta"
        assert pooled["conforms_to"] and "/superset/dashboard/" in pooled["notes"]
        assert [r["format"] for r in pooled["resources"]] == ["CSV", "Parquet", "CSV"]  # table, table, sources
    assert before["raw"] and before["staged"] and before["pooled"]


def test_pooled_water_volumes_cover_every_member(demo_runs):
    first = demo_runs[0]
    pooled = first.metadata["pooled/eau_potable"]
    assert sorted(pooled["members"]) == ["auray", "carnac", "crach", "pluvigner", "quiberon"]
    assert pooled["rows"] == 5 * 24


def test_every_pack_is_pooled_and_loaded_in_the_warehouse(demo_runs):
    first = demo_runs[0]
    url = stack_setting("HUB_WAREHOUSE_URL")
    with psycopg.connect(url) as conn:
        tables = {r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'pooled'")}
        assert set(PACKS) <= tables
        for pack in PACKS:
            count = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("pooled", pack))).fetchone()
            assert count[0] == first.metadata[f"pooled/{pack}"]["rows"] > 0, pack


def test_a_non_conformant_file_is_excluded_with_its_reason(demo_runs):
    first, ckan = demo_runs[0], demo_runs[4]
    [excluded] = [e for e in first.metadata["pooled/budget"]["excluded"] if e["membre"] == "crach"]
    assert excluded["jeu_de_donnees"] == "crach-budget-ca2021" and "non conforme au schéma budget" in excluded["motif"]
    sources = next(r for r in ckan.action.package_show(id="ctd-aqta-budget")["resources"]
                   if r["name"].startswith("Sources"))
    records = ckan.action.datastore_search(resource_id=sources["id"], limit=100)["records"]
    crach = next(r for r in records if r["jeu_de_donnees"] == "crach-budget-ca2021")
    assert crach["statut"] == "exclu" and "343 erreurs" in crach["motif"]
    report = member_report("crach")
    assert any(line["jeu_de_donnees"] == "crach-budget-ca2021" for line in report["pooled_exclusions"])


@pytest.mark.parametrize("lead", sorted(LEADS))
def test_each_lead_sees_five_dashboards_with_rows_about_its_members_only(demo_runs, lead):
    first = demo_runs[0]
    password = lead_user_password(stack_setting("HUB_SUPERSET_PASSWORD"), lead)
    client = Superset(stack_setting("HUB_SUPERSET_URL"), f"lead-{lead}", password)
    boards = client.get("/api/v1/dashboard/", params={"q": "(page_size:100)"})["result"]
    assert len(boards) >= 5
    assert {b["slug"] for b in boards} == {f"{p.replace('_', '-')}-{lead}" for p in PACKS}
    for board in boards:
        for chart in client.get(f"/api/v1/dashboard/{board['id']}/charts")["result"]:
            rows = client.chart_data(chart["id"])
            assert rows, (board["slug"], chart["slice_name"])
            names = {r["collectivite"] for r in rows if "collectivite" in r}
            assert names <= LEADS[lead], (board["slug"], chart["slice_name"], names)
            series = {k.split(", ", 1)[1] for r in rows for k in r if ", " in k}
            assert not series & ({"Auray", "Carnac", "Crach", "Pluvigner", "Quiberon"} - LEADS[lead])
    assert set(first.metadata["dashboards"]["leads"][lead]["dashboards"]) == set(PACKS)


@pytest.mark.parametrize("lead", sorted(LEADS))
def test_each_lead_role_reads_its_members_rows_only(demo_runs, lead):
    url = stack_setting("HUB_WAREHOUSE_URL")
    committee = load_committee(DEMO)
    members = [m for m in committee.members if m.name in LEADS[lead]]
    access = lead_access(url, lead, tuple(m.insee for m in members), tuple(m.siren for m in members))
    with psycopg.connect(access.url(url)) as conn:
        for pack in PACKS:
            names = {r[0] for r in conn.execute(sql.SQL("SELECT DISTINCT collectivite FROM {}").format(
                sql.Identifier(access.role, pack)))}
            assert names and names <= LEADS[lead], (pack, names)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM pooled.eau_potable")


def test_lead_analysts_get_sql_lab_on_their_own_connection_only(demo_runs):
    password = lead_user_password(stack_setting("HUB_SUPERSET_PASSWORD"), "auray")
    lead = Superset(stack_setting("HUB_SUPERSET_URL"), "lead-auray", password)
    admin = demo_runs[5]
    own = admin.find_one("database", "database_name", "Entrepôt - Auray")
    other = admin.find_one("database", "database_name", "Entrepôt - Carnac")
    visible = {d["database_name"] for d in lead.get("/api/v1/database/")["result"]}
    assert visible == {"Entrepôt - Auray"}

    def run(database_id, query):
        return lead.post("/api/v1/sqllab/execute/", json={
            "database_id": database_id, "sql": query, "runAsync": False, "schema": "lead_auray",
            "client_id": uuid.uuid4().hex[:10]})

    result = run(own["id"], "SELECT DISTINCT collectivite FROM lead_auray.eau_potable ORDER BY 1")
    assert [r["collectivite"] for r in result["data"]] == ["Auray", "Crach", "Pluvigner"]
    # Another lead's connection is not even visible: Superset answers it cannot find it.
    with pytest.raises(SupersetError, match="HTTP (403|404|500)"):
        run(other["id"], "SELECT 1")
    with pytest.raises(SupersetError, match="permission denied"):
        run(own["id"], "SELECT * FROM pooled.eau_potable")


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
    for pack in PACKS:
        assert second.metadata[f"pooled/{pack}"]["changed"] is False
        assert second.metadata[f"pooled/{pack}"]["reread"] == []  # no staged file read
        assert second.metadata[f"warehouse/{pack}"]["loaded"] is False
    assert second.metadata["dashboards"]["imports"] == 0
    assert second.metadata["dashboards"]["access_granted"] == 0  # no Superset write at all


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
