"""The tests' and benchmarks' purge leaves no DataStore table behind."""

import uuid
from urllib.parse import urlsplit

import psycopg
import pytest
from ckanapi import NotFound, RemoteCKAN

from tests.ckan_cleanup import purge_dataset, purge_users
from tests.conftest import stack_setting


def datastore_tables() -> set[str]:
    """The DataStore's tables, read as CKAN's own role (the stack's generated password)."""
    server = urlsplit(stack_setting("HUB_WAREHOUSE_URL"))
    with psycopg.connect(host=server.hostname, port=server.port, dbname="ckan_datastore", user="ckan",
                         password=stack_setting("STACK_CKAN_DB_PASSWORD")) as connection:
        return {row[0] for row in connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def test_purge_drops_the_datastore_table():
    ckan = RemoteCKAN(stack_setting("HUB_CKAN_URL"), apikey=stack_setting("HUB_CKAN_TOKEN"))
    unique = uuid.uuid4().hex[:8]
    org = ckan.action.organization_create(name=f"tdhtest-purge-{unique}")
    try:
        package = ckan.action.package_create(name=f"tdhtest-purge-{unique}", owner_org=org["id"],
                                             title="Purge", notes="Jeu de test", license_id="etalab-2.0")
        resource = ckan.action.resource_create(package_id=package["id"], name="lignes.csv", format="CSV",
                                               url="http://example.invalid/lignes.csv")
        ckan.action.datastore_create(resource_id=resource["id"], force=True,
                                     fields=[{"id": "commune", "type": "text"}], records=[{"commune": "Auray"}])
        assert resource["id"] in datastore_tables()

        purge_dataset(ckan, package["name"])
        purge_dataset(ckan, package["name"])  # gone: nothing to do, no error

        assert resource["id"] not in datastore_tables()
    finally:
        purge_dataset(ckan, f"tdhtest-purge-{unique}")
        ckan.action.organization_purge(id=org["id"])


def test_purge_users_removes_the_rows():
    ckan = RemoteCKAN(stack_setting("HUB_CKAN_URL"), apikey=stack_setting("HUB_CKAN_TOKEN"))
    name = f"tdhtest-purge-{uuid.uuid4().hex[:8]}"
    ckan.action.user_create(name=name, email=f"{name}@hub.invalid", password=uuid.uuid4().hex)
    ckan.action.api_token_create(user=name, name="test")
    ckan.action.user_delete(id=name)
    assert ckan.action.user_show(id=name)["state"] == "deleted"  # what the API alone leaves

    purge_users([name])

    with pytest.raises(NotFound):
        ckan.action.user_show(id=name)
