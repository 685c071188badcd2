"""A pack made only of data files, added by a committee: pooled, published, loaded and
charted with no Python changed. Runs the whole graph on a small committee of its own
(test names), then removes everything it created from CKAN, S3, PostgreSQL and Superset."""

import shutil
import uuid

import psycopg
import pytest
import yaml
from ckanapi import RemoteCKAN
from psycopg import sql

from connectors.objectstore import ObjectStore, object_key
from pipelines.dashboards import lead_user_password
from pipelines.runner import member_report, run_hub
from pipelines.superset import Superset, SupersetError
from pipelines.warehouse import lead_access
from tests.committees import committee_file, inbox_commune, remove_committee
from tests.conftest import PROJECT_DIR, stack_setting

PACK = PROJECT_DIR / "tests" / "data" / "packs" / "composteurs"
VALID = "code_insee;site;date_releve;apports_litres\n{insee};Jardin du bourg;15/01/2025;120\n" \
        "{insee};Jardin du bourg;15/02/2025;95\n{insee};École;15/02/2025;40\n"
INVALID = "code_insee;site;date_releve;apports_litres\n{insee};Halles;15/01/2025;-30\n"


def _commune(slug: str, insee: str) -> dict:
    return inbox_commune(slug, insee, {"apports-2025": {"pooled_as": "composteurs"}})


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    unique = uuid.uuid4().hex[:6]
    folder = tmp_path_factory.mktemp("committee")
    shutil.copytree(PACK, folder / "composteurs")
    a, b, c = (f"tdhtest-{unique}-{x}" for x in "abc")
    committee = {"slug": f"tdhtest-{unique}", "name": "Comité de test", "packs": ["composteurs"],
                 "members": [_commune(a, "56120"), _commune(b, "56101"), _commune(c, "56116")],
                 "leads": [{"member": a, "members": [a, b]}]}
    (folder / "committee.yaml").write_text(yaml.safe_dump(committee, allow_unicode=True))
    store = ObjectStore.from_environment()
    for member, insee, text in ((a, "56120", VALID), (b, "56101", INVALID), (c, "56116", VALID)):
        store.put_bytes(object_key("inbox", member, "apports_2025.csv"), text.format(insee=insee).encode())
    try:
        with committee_file(folder / "committee.yaml"):
            first, second = run_hub(), run_hub()
            yield {"first": first, "second": second, "members": (a, b, c), "committee": committee, "store": store,
                   "file": folder / "committee.yaml"}
    finally:
        _clean(committee, store)


def test_the_new_pack_is_pooled_from_valid_files_only(world):
    first = world["first"]
    assert first.success, first.error
    pooled = first.metadata["pooled/composteurs"]
    a, b, c = world["members"]
    assert pooled["rows"] == 6 and pooled["members"] == sorted([a, c])
    [excluded] = pooled["excluded"]
    assert excluded["membre"] == b
    assert "non conforme au schéma composteurs-partages 0.1.0 : 1 erreur" in excluded["motif"]


def test_the_excluded_file_is_in_the_members_report(world):
    b = world["members"][1]
    report = member_report(b, store=world["store"], committee=_committee(world))
    lines = report["pooled_exclusions"]
    assert any(line["pack"] == "composteurs" and "non conforme" in line["motif"] for line in lines)


def test_the_pooled_dataset_is_published_with_its_sources(world):
    ckan = RemoteCKAN(stack_setting("HUB_CKAN_URL"), apikey=stack_setting("HUB_CKAN_TOKEN"))
    dataset = ckan.action.package_show(id=f"{world['committee']['slug']}-composteurs")
    assert dataset["organization"]["name"] == world["committee"]["slug"]
    # A pack's own schema has no URL: the hub names it with a URN (catalog/vocabularies.py).
    assert dataset["conforms_to"] == ["urn:x-territorial-data-hub:schema:composteurs-partages:0.1.0"]
    names = [r["name"] for r in dataset["resources"]]
    assert "Sources : fichiers inclus et exclus" in names
    assert "/superset/dashboard/composteurs-" in dataset["notes"]


def test_the_warehouse_table_is_loaded_and_the_lead_sees_its_members_only(world):
    url = stack_setting("HUB_WAREHOUSE_URL")
    a = world["members"][0]
    access = lead_access(url, a, ("56101", "56120"))
    with psycopg.connect(access.url(url)) as conn:
        rows = conn.execute(sql.SQL("SELECT DISTINCT code_insee FROM {}").format(
            sql.Identifier(access.role, "composteurs"))).fetchall()
        assert rows == [("56120",)]  # 56116 is not its member; 56101's file was excluded
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM pooled.composteurs")


def test_the_dashboard_is_charted_for_the_lead(world):
    first = world["first"]
    a = world["members"][0]
    boards = first.metadata["dashboards"]["leads"][a]["dashboards"]
    assert list(boards) == ["composteurs"]
    lead = Superset(stack_setting("HUB_SUPERSET_URL"), f"lead-{a}",
                    lead_user_password(stack_setting("HUB_SUPERSET_PASSWORD"), a))
    charts = boards["composteurs"]["charts"]
    assert len(charts) == 4
    for chart in charts:
        rows = lead.chart_data(chart)
        assert rows, chart
        assert all(r.get("collectivite", "Commune test 56120") == "Commune test 56120" for r in rows)


def test_a_second_run_changes_nothing(world):
    second = world["second"]
    assert second.success, second.error
    assert second.metadata["pooled/composteurs"]["changed"] is False
    assert second.metadata["pooled/composteurs"]["reread"] == []
    assert second.metadata["warehouse/composteurs"]["loaded"] is False
    assert second.metadata["dashboards"]["imports"] == 0


def test_a_lead_the_committee_drops_loses_its_access(world):
    """Last in this module: it changes the committee (the tests above use its lead)."""
    a = world["members"][0]
    without_lead = {**world["committee"], "leads": []}
    world["file"].write_text(yaml.safe_dump(without_lead, allow_unicode=True))
    third = run_hub()
    assert third.success, third.error
    url = stack_setting("HUB_WAREHOUSE_URL")
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        psycopg.connect(lead_access(url, a, ()).url(url)).close()
    with pytest.raises(SupersetError, match="HTTP 401"):
        Superset(stack_setting("HUB_SUPERSET_URL"), f"lead-{a}",
                 lead_user_password(stack_setting("HUB_SUPERSET_PASSWORD"), a))


def test_a_pack_the_committee_no_longer_enables_is_planned_for_archiving(world):
    """After the lead test: the committee file is changed again."""
    without_pack = {**world["committee"], "leads": [], "packs": [],
                    "members": [{**m, "sources": []} for m in world["committee"]["members"]]}
    world["file"].write_text(yaml.safe_dump(without_pack, allow_unicode=True))
    fourth = run_hub()
    assert fourth.success, fourth.error
    assert fourth.metadata["catalog"]["plan"]["archive"] == [f"{world['committee']['slug']}-composteurs"]
    assert fourth.metadata["catalog"]["failed"] == []


def _committee(world):
    from catalog.committee import Committee

    return Committee.model_validate(world["committee"])


def _clean(committee: dict, store: ObjectStore) -> None:
    """Leave the demo's catalogue, bucket, warehouse and dashboards as they were."""
    members = [m["slug"] for m in committee["members"]]
    lead = committee["leads"][0]["member"]
    remove_committee(committee, [f"{committee['slug']}-composteurs", *(f"{m}-apports-2025" for m in members)],
                     store, ["pooled/composteurs/", f"dashboards/{lead}/", f"dashboards/{lead}.access.json",
                             f"dashboards/{committee['slug']}.leads.json"])
    url = stack_setting("HUB_WAREHOUSE_URL")
    role = lead_access(url, lead, ()).role
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS pooled.composteurs CASCADE")
        conn.execute("DELETE FROM hub.warehouse_parts WHERE pack = 'composteurs'")
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(role)))
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
    admin = Superset(stack_setting("HUB_SUPERSET_URL"), stack_setting("HUB_SUPERSET_USER"),
                     stack_setting("HUB_SUPERSET_PASSWORD"))
    board = admin.find_one("dashboard", "slug", f"composteurs-{lead}")
    if board:
        for chart in admin.get(f"/api/v1/dashboard/{board['id']}/charts")["result"]:
            admin.delete(f"/api/v1/chart/{chart['id']}")
        admin.delete(f"/api/v1/dashboard/{board['id']}")
    for dataset in admin.get("/api/v1/dataset/", params={"q": "(page_size:100)"})["result"]:
        if dataset["schema"] == role:
            admin.delete(f"/api/v1/dataset/{dataset['id']}")
    for rule in admin.get("/api/v1/rowlevelsecurity/", params={"q": "(page_size:100)"})["result"]:
        if rule["name"].startswith(f"lead {lead} "):
            admin.delete(f"/api/v1/rowlevelsecurity/{rule['id']}")
    database = admin.find_one("database", "database_name", "Entrepôt - Commune test 56120")
    if database:
        admin.delete(f"/api/v1/database/{database['id']}")
    user = admin.find_one("security/users", "username", f"lead-{lead}")
    if user:
        admin.delete(f"/api/v1/security/users/{user['id']}")
    role_ = admin.find_one("security/roles", "name", f"Lead {lead}")
    if role_:
        admin.delete(f"/api/v1/security/roles/{role_['id']}")
