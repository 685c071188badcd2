"""Purging what a test or a benchmark published, DataStore tables included.

CKAN's `dataset_purge` removes the package and its resources but leaves their DataStore
tables behind (the DataStore drops a table on `resource_delete` only): the stack's
DataStore held 8,474 tables for 92 resources before the tests and benchmarks purged this way.
"""

from urllib.parse import urlsplit

from ckanapi import NotFound, ValidationError


def purge_dataset(ckan, name: str) -> None:
    """The dataset `name` (or id) and its resources' DataStore tables; absent: nothing."""
    try:
        package = ckan.action.package_show(id=name)
    except NotFound:
        return
    for resource in package.get("resources", []):
        try:
            ckan.action.datastore_delete(resource_id=resource["id"], force=True)
        except (NotFound, ValidationError):
            pass  # no DataStore table for this one
    # A members-only dataset's collaborators first: CKAN 2.12's purge leaves their rows and
    # fails on the package_member foreign key (500; ckan/ckan#5582, fix proposed in #5641).
    for collaborator in ckan.action.package_collaborator_list(id=package["id"]) if package.get("private") else ():
        ckan.action.package_collaborator_delete(id=package["id"], user_id=collaborator["user_id"])
    try:
        ckan.action.dataset_purge(id=package["id"])
    except NotFound:
        pass


def purge_users(names: list[str]) -> None:
    """Test users gone from the hub's CKAN, rows and all: CKAN's API only marks a user
    deleted (there is no user purge), and each run would leave its users behind. Their
    tokens, collaborations and memberships go first (the first two hold foreign keys)."""
    import psycopg  # the tests' dependency, not the cleanup module's users'

    from tests.conftest import stack_setting

    server = urlsplit(stack_setting("HUB_WAREHOUSE_URL"))  # the stack's one PostgreSQL
    with psycopg.connect(host=server.hostname, port=server.port, dbname="ckan", user="ckan",
                         password=stack_setting("STACK_CKAN_DB_PASSWORD")) as connection:
        ids = [row[0] for row in connection.execute('SELECT id FROM "user" WHERE name = ANY(%s)', [names])]
        connection.execute("DELETE FROM api_token WHERE user_id = ANY(%s)", [ids])
        connection.execute("DELETE FROM package_member WHERE user_id = ANY(%s)", [ids])
        connection.execute("DELETE FROM member WHERE table_name = 'user' AND table_id = ANY(%s)", [ids])
        connection.execute('DELETE FROM "user" WHERE id = ANY(%s)', [ids])
