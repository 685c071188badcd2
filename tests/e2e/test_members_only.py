"""A members-only dataset (`access: members`) never leaks: an anonymous client and another
committee's user get nothing of it (metadata, dataset page, files, DataStore rows, DCAT
feed, S3 objects, pooled table and downloads), while a user of another member of the
committee reads it all; a user who leaves the committee's organizations loses it on the
next run. A small committee of its own (test names) and CKAN users of its own, all removed
afterwards (docs/members-only.md)."""

import shutil
import uuid

import psycopg
import pytest
import requests
import yaml
from ckanapi import CKANAPIError, NotFound, RemoteCKAN

from connectors.objectstore import ObjectStore, object_key
from pipelines.runner import run_hub
from tests.catalogue_feed import catalogue_pages
from tests.ckan_cleanup import purge_users
from tests.committees import committee_file, inbox_commune, remove_committee
from tests.conftest import PROJECT_DIR, stack_setting

PACK = PROJECT_DIR / "tests" / "data" / "packs" / "composteurs"
APPORTS = "code_insee;site;date_releve;apports_litres\n{insee};{site};15/01/2025;120\n{insee};{site};15/02/2025;95\n"
REFUSED = NotFound  # not NotAuthorized, which says the dataset exists (hub_access, deploy/local/ckan/ckanext-hub)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    unique = uuid.uuid4().hex[:6]
    folder = tmp_path_factory.mktemp("committee")
    shutil.copytree(PACK, folder / "composteurs")
    owner, other = f"tdhtest-{unique}-a", f"tdhtest-{unique}-b"
    secret = f"Réservoir réservé {unique}"  # a word only the members-only file holds
    committee = {"slug": f"tdhtest-{unique}", "name": "Comité de test", "packs": ["composteurs"], "members": [
        inbox_commune(owner, "56120", {"apports-2025": {"pooled_as": "composteurs", "access": "members"}}),
        inbox_commune(other, "56101", {"apports-2025": {"pooled_as": "composteurs"}})]}
    (folder / "committee.yaml").write_text(yaml.safe_dump(committee, allow_unicode=True))
    store = ObjectStore.from_environment()
    store.put_bytes(object_key("inbox", owner, "apports_2025.csv"), APPORTS.format(insee="56120", site=secret).encode())
    store.put_bytes(object_key("inbox", other, "apports_2025.csv"),
                    APPORTS.format(insee="56101", site="Jardin du bourg").encode())
    admin = RemoteCKAN(stack_setting("HUB_CKAN_URL"), apikey=stack_setting("HUB_CKAN_TOKEN"))
    users = {"member": f"tdhtest-{unique}-membre", "outsider": f"tdhtest-{unique}-autre"}
    elsewhere = f"tdhtest-{unique}-autre-comite"  # another committee's organization
    try:
        with committee_file(folder / "committee.yaml"):
            first = run_hub()  # creates the organizations the users then join
            tokens = {role: _user(admin, name) for role, name in users.items()}
            admin.action.organization_member_create(id=other, username=users["member"], role="member")
            admin.action.organization_create(name=elsewhere, title="Autre comité (test)")
            admin.action.organization_member_create(id=elsewhere, username=users["outsider"], role="editor")
            second = run_hub()  # gives the committee's users their access
            yield {"first": first, "second": second, "committee": committee, "folder": folder, "store": store,
                   "admin": admin, "tokens": tokens, "users": users, "owner": owner, "other": other,
                   "secret": secret, "dataset": f"{owner}-apports-2025", "pooled": f"{committee['slug']}-composteurs"}
    finally:
        _clean(committee, store, admin, users, elsewhere)


def _user(admin, name: str) -> str:
    admin.action.user_create(name=name, email=f"{name}@hub.invalid", password=uuid.uuid4().hex + "Aa1!")
    return admin.action.api_token_create(user=name, name="tdhtest")["token"]


def _client(world, who: str) -> RemoteCKAN:
    return RemoteCKAN(stack_setting("HUB_CKAN_URL"), apikey=world["tokens"].get(who))


def _headers(world, who: str) -> dict:
    token = world["tokens"].get(who)
    return {"Authorization": token} if token else {}


def _resources(world) -> list[dict]:
    return world["admin"].action.package_show(id=world["dataset"])["resources"]


def test_the_runs_publish_it_private_and_share_it_with_the_committee(world):
    assert world["first"].success, world["first"].error
    assert world["second"].success, world["second"].error
    dataset = world["admin"].action.package_show(id=world["dataset"])
    assert dataset["private"] is True and dataset["organization"]["name"] == world["owner"]
    member = world["admin"].action.user_show(id=world["users"]["member"])
    shared = world["second"].metadata["catalog"]["shared"]
    assert shared["datasets"] == [world["dataset"]]  # the other member's and the committee's runs have none
    assert shared["granted"] == [f"{world['dataset']}: {member['id']}"] and shared["failed"] == []
    collaborators = world["admin"].action.package_collaborator_list(id=world["dataset"])
    assert [(c["user_id"], c["capacity"]) for c in collaborators] == [(member["id"], "member")]


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_no_metadata(world, who):
    ckan = _client(world, who)
    with pytest.raises(REFUSED):
        ckan.action.package_show(id=world["dataset"])
    for resource in _resources(world):
        with pytest.raises(REFUSED):
            ckan.action.resource_show(id=resource["id"])
    for query in ({"q": world["secret"]}, {"fq": f"name:{world['dataset']}"}, {"q": "apports"}):
        found = ckan.action.package_search(include_private=True, rows=1000, **query)
        assert world["dataset"] not in [d["name"] for d in found["results"]], query
    assert world["dataset"] not in ckan.action.package_list()
    organization = ckan.action.organization_show(id=world["owner"], include_datasets=True)
    assert organization["package_count"] == 0 and organization["packages"] == []
    [listed] = ckan.action.organization_list(organizations=[world["owner"]], all_fields=True)
    assert listed["package_count"] == 0  # the /organization page's count
    activity = ckan.action.organization_activity_list(id=world["owner"])
    assert world["dataset"] not in str(activity)


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_it_cannot_be_told_from_a_name_nobody_published(world, who):
    """Its name and its resources' ids are predictable (member slug and source id, uuid5):
    the answer must be the very one a missing name gets, without the dataset's id."""
    url, headers = stack_setting("HUB_CKAN_URL"), _headers(world, who)
    dataset = world["admin"].action.package_show(id=world["dataset"])
    resource, missing = dataset["resources"][0]["id"], str(uuid.uuid4())
    for action, key, hidden, absent in (("package_show", "id", world["dataset"], f"{world['dataset']}-x"),
                                        ("resource_show", "id", resource, missing),
                                        ("datastore_search", "resource_id", resource, missing)):
        answers = [requests.get(f"{url}/api/3/action/{action}", params={key: value}, headers=headers, timeout=30)
                   for value in (hidden, absent)]
        assert [a.status_code for a in answers] == [404, 404], action
        assert answers[0].json() == answers[1].json(), action
        assert dataset["id"] not in answers[0].text
    pages = [requests.get(f"{url}/dataset/{name}.ttl", headers=headers, timeout=30)
             for name in (world["dataset"], f"{world['dataset']}-x")]
    assert [p.status_code for p in pages] == [404, 404] and dataset["id"] not in pages[0].text


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_no_dataset_page_and_no_files(world, who):
    url, headers = stack_setting("HUB_CKAN_URL"), _headers(world, who)
    page = requests.get(f"{url}/dataset/{world['dataset']}", headers=headers, timeout=30)
    assert page.status_code == 404 and world["secret"].encode() not in page.content
    for resource in _resources(world):
        download = requests.get(resource["url"], headers=headers, timeout=30)
        assert download.status_code == 404, resource["url"]
        assert world["secret"].encode() not in download.content
        preview = requests.get(f"{url}/dataset/{world['dataset']}/resource/{resource['id']}", headers=headers,
                               timeout=30)
        assert preview.status_code == 404


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_no_datastore_rows(world, who):
    ckan = _client(world, who)
    previewed = [r for r in _resources(world) if r.get("datastore_active")]
    assert previewed  # the CSV's rows are in the DataStore: there is something to refuse
    for resource in previewed:
        with pytest.raises(REFUSED):
            ckan.action.datastore_search(resource_id=resource["id"])
        with pytest.raises(CKANAPIError) as refused:  # refused, or not offered at all
            ckan.action.datastore_search_sql(sql=f'SELECT * FROM "{resource["id"]}"')  # noqa: S608 - CKAN's uuid
        assert world["secret"] not in str(refused.value)


def test_not_in_the_dcat_feed(world):
    url = stack_setting("HUB_CKAN_URL")
    pages = catalogue_pages(url)  # every page, as data.gouv.fr harvests it
    assert all(world["dataset"] not in p.turtle and world["secret"] not in p.turtle for p in pages)
    for who in ("anonymous", "outsider"):
        headers = _headers(world, who)
        searched = requests.get(f"{url}/catalog.ttl", params={"q": f"name:{world['dataset']}"}, headers=headers,
                                timeout=60)
        assert searched.status_code == 200 and world["dataset"] not in searched.text
        for suffix in ("ttl", "jsonld", "rdf"):
            one = requests.get(f"{url}/dataset/{world['dataset']}.{suffix}", headers=headers, timeout=30)
            assert one.status_code == 404 and world["secret"].encode() not in one.content, (who, suffix)


def test_no_public_s3_object(world):
    """The bucket has no public URL: anonymous S3 reads of the member's raw and staged
    objects, and of the bucket's listing, are refused."""
    store, endpoint = world["store"], stack_setting("HUB_S3_ENDPOINT")
    bucket = f"http://{endpoint}/{store.bucket}"
    keys = [o.key for prefix in ("raw", "staged") for o in store.list(f"{prefix}/{world['owner']}/")]
    assert any(key.endswith(".csv") for key in keys)
    for key in keys:
        answer = requests.get(f"{bucket}/{key}", timeout=30)
        assert answer.status_code == 403 and "AccessDenied" in answer.text, key
    listing = requests.get(bucket, params={"prefix": f"staged/{world['owner']}/"}, timeout=30)
    assert listing.status_code == 403 and world["owner"] not in listing.text


def test_not_in_the_pooled_table_nor_its_downloads(world):
    pooled = world["second"].metadata.get("pooled/composteurs") or world["first"].metadata["pooled/composteurs"]
    assert pooled["members"] == [world["other"]]
    assert all(line["membre"] != world["owner"] for line in pooled["excluded"])
    dataset = requests.get(f"{stack_setting('HUB_CKAN_URL')}/api/3/action/package_show",
                           params={"id": world["pooled"]}, timeout=30).json()["result"]
    assert dataset["private"] is False
    for resource in dataset["resources"]:  # the table (CSV, Parquet) and its sources list
        body = requests.get(resource["url"], timeout=30)
        assert body.status_code == 200, resource["url"]
        assert world["owner"].encode() not in body.content and world["secret"].encode() not in body.content
        assert b"56120" not in body.content
    with psycopg.connect(stack_setting("HUB_WAREHOUSE_URL")) as conn:
        codes = conn.execute("SELECT DISTINCT code_insee FROM pooled.composteurs").fetchall()
    assert codes == [("56101",)]


def test_a_user_of_another_member_reads_it_all(world):
    ckan, url, headers = _client(world, "member"), stack_setting("HUB_CKAN_URL"), _headers(world, "member")
    assert ckan.action.package_show(id=world["dataset"])["name"] == world["dataset"]
    found = ckan.action.package_search(fq=f"name:{world['dataset']}", include_private=True)
    assert [d["name"] for d in found["results"]] == [world["dataset"]]
    assert requests.get(f"{url}/dataset/{world['dataset']}", headers=headers, timeout=30).status_code == 200
    csv = next(r for r in _resources(world) if r["format"] == "CSV" and r.get("datastore_active"))
    download = requests.get(csv["url"], headers=headers, timeout=30)
    assert download.status_code == 200 and world["secret"].encode() in download.content
    rows = ckan.action.datastore_search(resource_id=csv["id"])["records"]
    assert len(rows) == 2 and world["secret"] in str(rows)
    one = requests.get(f"{url}/dataset/{world['dataset']}.ttl", headers=headers, timeout=30)
    assert one.status_code == 200 and world["dataset"] in one.text


def test_a_user_who_leaves_the_committee_loses_it_on_the_next_run(world):
    """Last: it changes the committee's organizations."""
    admin = world["admin"]
    admin.action.organization_member_delete(id=world["other"], username=world["users"]["member"])
    third = run_hub()
    assert third.success, third.error
    member = admin.action.user_show(id=world["users"]["member"])
    assert third.metadata["catalog"]["shared"]["revoked"] == [f"{world['dataset']}: {member['id']}"]
    assert admin.action.package_collaborator_list(id=world["dataset"]) == []
    with pytest.raises(REFUSED):
        _client(world, "member").action.package_show(id=world["dataset"])


def _clean(committee: dict, store: ObjectStore, admin, users: dict, elsewhere: str) -> None:
    members = [m["slug"] for m in committee["members"]]
    remove_committee(committee, [f"{committee['slug']}-composteurs", *(f"{m}-apports-2025" for m in members)],
                     store, ["pooled/composteurs/"])
    for name in users.values():
        try:
            for token in admin.action.api_token_list(user_id=name):
                admin.action.api_token_revoke(jti=token["id"])
            admin.action.user_delete(id=name)
        except NotFound:
            pass
    purge_users(list(users.values()))
    try:
        admin.action.organization_purge(id=elsewhere)
    except NotFound:
        pass
    with psycopg.connect(stack_setting("HUB_WAREHOUSE_URL"), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS pooled.composteurs CASCADE")
        conn.execute("DELETE FROM hub.warehouse_parts WHERE pack = 'composteurs'")
