"""`make backup`, the stack's data wiped, `make restore FILE=...`: the same CKAN, bucket,
warehouse and Superset counts as before, and the next `tdh run` changes nothing.

This is the demo's own data. The wipe moves the data folders aside (the PostgreSQL
cluster, SeaweedFS's volumes and filer, CKAN's uploaded files) and the restore starts from
nothing there: a new cluster (initdb), an empty SeaweedFS. Afterwards, whatever happened,
the folders moved aside are put back: the stack is left bit for bit as it was. It wipes
the data only: the venvs, the built weed, Solr and the settings stay (a full `.stack/`
wipe rebuilds them, tens of minutes; the restore rebuilds Solr's index anyway). It stops
services of the shared stack: run it holding the stack's lock
(`flock -o /tmp/tdh-stack.lock .venv/bin/pytest tests/e2e/test_backup_restore.py`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
from ckanapi import RemoteCKAN
from psycopg import sql

from connectors.objectstore import ObjectStore
from pipelines.runner import run_hub
from tests.conftest import PROJECT_DIR, stack_setting

STACK_DIR = PROJECT_DIR / ".stack"
STACK = PROJECT_DIR / "deploy" / "local" / "stack.sh"
BACKUP = PROJECT_DIR / "deploy" / "local" / "backup.sh"
DATABASES = ["ckan", "ckan_datastore", "ckan_member", "ckan_member_datastore", "superset", "warehouse", "dagster"]
HOLDERS = ["dagster", "superset", "ckan_member", "ckan", "seaweedfs", "postgres"]  # the data's users, in stop order
KEEP = ".tdhtest-keep"
SUPERSET_TABLES = ("dashboards", "slices", "tables", "dbs", "ab_user", "row_level_security_filters")


def superuser(db: str = "postgres") -> psycopg.Connection:
    return psycopg.connect(host="127.0.0.1", port=25432, user="postgres", dbname=db, autocommit=True,
                           password=stack_setting("STACK_PG_SUPERUSER_PASSWORD"))


def sh(*command: str, timeout: int = 900) -> str:
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, cwd=PROJECT_DIR)
    assert done.returncode == 0, f"{command}: {done.stderr[-3000:]}"
    return done.stdout


def counts() -> dict:
    """What an operator would check: the databases' owners and grants, CKAN's datasets (by
    type), resources, organizations, groups and DataStore tables, the bucket's objects and
    bytes (and a digest of every key with its ETag), the warehouse's rows per table,
    Superset's dashboards, charts, datasets and connections."""
    found = {}
    with superuser() as conn:  # owners and grants of the databases themselves
        found["databases"] = {name: f"{owner} {acl}" for name, owner, acl in conn.execute(
            "SELECT datname, pg_get_userbyid(datdba), coalesce(datacl, acldefault('d', datdba))::text"
            " FROM pg_database WHERE datname = ANY(%s)",
            (DATABASES,)).fetchall()}
    with superuser("ckan") as conn:
        found["ckan_datasets"] = dict(conn.execute(
            "SELECT type, count(*) FROM package WHERE state = 'active' GROUP BY type ORDER BY type").fetchall())
        found["ckan_resources"] = conn.execute("SELECT count(*) FROM resource WHERE state = 'active'").fetchone()[0]
        found["ckan_groups"] = dict(conn.execute(
            "SELECT is_organization::text, count(*) FROM \"group\" WHERE state = 'active' GROUP BY 1").fetchall())
    with superuser("ckan_datastore") as conn:
        found["datastore_tables"] = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]
    with superuser("warehouse") as conn:
        tables = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'pooled' ORDER BY 1").fetchall()
        found["warehouse_rows"] = {t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(
            sql.Identifier("pooled", t))).fetchone()[0] for (t,) in tables}
    with superuser("superset") as conn:
        found["superset"] = {t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t))).fetchone()[0]
                             for t in SUPERSET_TABLES}
    objects = sorted((o.key, o.etag, o.size) for o in ObjectStore.from_environment().list(""))
    found["s3_objects"], found["s3_bytes"] = len(objects), sum(o[2] for o in objects)
    found["s3_digest"] = hashlib.sha256(repr(objects).encode()).hexdigest()
    # What a no-op run may rewrite: the members' manifests (when each dataset was last seen).
    kept = [o for o in objects if not o[0].endswith("/manifest.json")]
    found["s3_keys"] = hashlib.sha256(repr([o[0] for o in objects]).encode()).hexdigest()
    found["s3_other_objects"] = hashlib.sha256(repr(kept).encode()).hexdigest()
    return found


def searchable() -> int:
    """The datasets CKAN's search finds (Solr's index, which the restore rebuilds)."""
    ckan = RemoteCKAN(stack_setting("HUB_CKAN_URL"), apikey=stack_setting("HUB_CKAN_TOKEN"))
    return ckan.action.package_search(q="*:*", include_private=True, rows=0)["count"]


def data_folders() -> list[Path]:
    """Where the stack keeps its data: the PostgreSQL cluster, SeaweedFS's volumes and
    filer, each CKAN's uploaded files. Not the venvs, built binaries, settings or Solr."""
    with superuser() as conn:
        cluster = Path(conn.execute("SHOW data_directory").fetchone()[0])
    return [cluster, STACK_DIR / "seaweedfs", STACK_DIR / "ckan" / "storage", STACK_DIR / "ckan_member" / "storage"]


def wipe(folders: list[Path]) -> None:
    """The stack's data gone: each folder moved aside (see `put_back`), its services stopped."""
    for service in HOLDERS:
        sh(STACK, "stop", service)
    for folder in folders:
        folder.rename(folder.with_name(folder.name + KEEP))


def put_back(folders: list[Path]) -> None:
    """The data exactly as it was before `wipe`, whatever the restore made of it."""
    for service in HOLDERS:
        sh(STACK, "stop", service)
    for folder in folders:
        kept = folder.with_name(folder.name + KEEP)
        if kept.exists():
            shutil.rmtree(folder, ignore_errors=True)
            kept.rename(folder)
    sh(STACK, "up")


@pytest.fixture
def archive(tmp_path):
    first = run_hub()  # the demo as `make demo` leaves it: what the no-op run is compared with
    assert first.success, first.error
    path = Path(sh("make", "-s", "backup", f"FILE={tmp_path / 'tdh-backup.tar'}").strip().splitlines()[-1])
    yield path
    path.unlink(missing_ok=True)


def test_backup_wipe_restore_gives_back_the_same_hub_and_the_next_run_changes_nothing(archive):
    before = counts()
    assert before["s3_objects"] and before["ckan_resources"] and before["warehouse_rows"]
    assert before["superset"]["dashboards"]
    listing = sh("tar", "-tf", archive)
    assert "./secrets/env.gpg" not in listing and "./env" not in listing  # no secret unless asked
    for needed in ("./MANIFEST", *(f"./databases/{db}.dump" for db in DATABASES), "./databases/roles.sql",
                   "./bucket/index.json", "./ckan-storage.tar", "./committee/committee.yaml"):
        assert needed in listing.splitlines(), f"{needed} missing from the archive"
    assert stack_setting("HUB_S3_SECRET_KEY").encode() not in archive.read_bytes()

    folders = data_folders()
    try:
        wipe(folders)  # inside: a wipe stopped half-way is put back too
        assert not any(folder.exists() for folder in folders)
        sh("make", "-s", "restore", f"FILE={archive}")
        after = counts()
        assert after == before
        # Every active dataset found again by search (before, the demo's index may have drifted).
        assert searchable() == sum(after["ckan_datasets"].values())
        again = run_hub()
        assert again.success, again.error
        catalog = again.metadata["catalog"]
        assert (catalog["created"], catalog["updated"], catalog["uploaded"]) == (0, 0, 0), catalog
        assert all(info["landed"] == 0 for info in again.metadata["raw"]["by_member"].values())
        assert not any(meta["loaded"] for key, meta in again.metadata.items() if key.startswith("warehouse/"))
        assert again.metadata["dashboards"]["imports"] == 0
        # The run may write its manifests again (the times each dataset was last seen):
        # the same objects, every other one byte for byte.
        rewritable = {"s3_digest", "s3_bytes"}
        assert {k: v for k, v in counts().items() if k not in rewritable} == \
            {k: v for k, v in before.items() if k not in rewritable}
    finally:
        # The demo's own bits back in any case, the restored copy dropped: the stack is
        # left as it was (other databases of the cluster, logs, everything).
        put_back(folders)


def test_secrets_go_in_only_when_asked_and_encrypted(tmp_path):
    passphrase = "tdhtest " + hashlib.sha256(str(tmp_path).encode()).hexdigest()[:20]
    path = tmp_path / "with-secrets.tar"
    done = subprocess.run(["make", "-s", "backup", "SECRETS=1", f"FILE={path}"], cwd=PROJECT_DIR, capture_output=True,
                          text=True, timeout=600, stdin=subprocess.DEVNULL,
                          env={**os.environ, "HUB_BACKUP_PASSPHRASE": passphrase})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "./secrets/env.gpg" in sh("tar", "-tf", path).splitlines()
    data = path.read_bytes()
    for name in ("HUB_S3_SECRET_KEY", "STACK_PG_SUPERUSER_PASSWORD", "HUB_PSEUDONYMISATION_KEY"):
        assert stack_setting(name).encode() not in data, f"{name} in clear in the archive"
    sh("tar", "-C", tmp_path, "-xf", path, "./secrets/env.gpg")

    def decrypt(secret: str) -> subprocess.CompletedProcess:
        return subprocess.run(["gpg", "--homedir", str(tmp_path), "--batch", "--quiet", "--pinentry-mode", "loopback",
                               "--passphrase-fd", "0", "--decrypt", str(tmp_path / "secrets" / "env.gpg")],
                              input=(secret + "\n").encode(), capture_output=True, timeout=120)
    try:
        assert decrypt(passphrase).stdout == (STACK_DIR / "env").read_bytes()
        assert decrypt("not the passphrase").returncode != 0
    finally:
        path.unlink()
        # gpg started an agent for this home folder: it would outlive the test.
        subprocess.run(["gpgconf", "--homedir", str(tmp_path), "--kill", "gpg-agent"], capture_output=True)
