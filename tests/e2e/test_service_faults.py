"""A service of the stack dies in the middle of a `tdh run`: CKAN, then the S3 store, then
PostgreSQL, each stopped through the stack script (`stack.sh stop SERVICE`) while the run
waits on a member's file, and started again afterwards whatever happens. The run fails with
a message naming the service and its address (no secret in it); the next run converges:
every dataset still there, none twice, no resource twice, the raw bytes kept in the bucket.

It stops services of the shared stack: run it holding the stack's lock
(`flock -o /tmp/tdh-stack.lock .venv/bin/pytest tests/e2e/test_service_faults.py`).
A committee of its own (test names), removed from CKAN and S3 afterwards.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import threading
import time
import uuid
from urllib.parse import urlsplit

import psycopg
import pytest
import yaml
from ckanapi import RemoteCKAN

from connectors.handoffs import layout
from connectors.objectstore import ObjectStore, object_key
from pipelines.runner import run_hub
from tests.committees import committee_file, inbox_commune, remove_committee
from tests.conftest import PROJECT_DIR, stack_setting
from tests.standins.files import FileHost
from tests.standins.server import Reply, Request

STACK = PROJECT_DIR / "deploy" / "local" / "stack.sh"
RELEVES = b"commune;mois;volume_m3\nCommune test;2025-01;1200\nCommune test;2025-02;1150\n"
PISTES = b"commune;annee;km_pistes\nBoite;2025;12,5\n"
SECRETS = ("HUB_CKAN_TOKEN", "HUB_S3_SECRET_KEY", "HUB_S3_ACCESS_KEY", "STACK_PG_SUPERUSER_PASSWORD",
           "STACK_DAGSTER_PASSWORD", "HUB_SUPERSET_PASSWORD")


class GatedFiles(FileHost):
    """A member's file server that holds each answer until the test opens the gate: the
    run is then mid-flight (instance, locks and the member's step live) for as long as
    the test needs to stop a service."""

    def __init__(self, files: dict[str, bytes]) -> None:
        super().__init__(files)
        self.gate, self.asked = threading.Event(), threading.Event()

    def answer(self, request: Request) -> Reply:
        self.asked.set()
        self.gate.wait(timeout=60)
        return super().answer(request)


def stack(verb: str, service: str) -> None:
    subprocess.run([str(STACK), verb, service], check=True, timeout=300, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.fixture
def committee(tmp_path):
    unique = uuid.uuid4().hex[:6]
    slow, inbox = f"tdhtest-{unique}-lente", f"tdhtest-{unique}-boite"
    host = GatedFiles({"releves.csv": RELEVES}).start()
    host.gate.set()
    lente = {**inbox_commune(slow, "56120"), "sources": [{
        "type": "files", "allow_private_network": True,
        "files": [{"id": "releves", "url": f"{host.url}/releves.csv", "title": "Relevés de test"}]}]}
    committee = {"slug": f"tdhtest-{unique}", "name": "Comité de test (pannes)",
                 "members": [lente, inbox_commune(inbox, "56101")]}
    (tmp_path / "committee.yaml").write_text(yaml.safe_dump(committee, allow_unicode=True))
    store = ObjectStore.from_environment()
    store.put_bytes(object_key("inbox", inbox, "pistes_cyclables.csv"), PISTES)
    try:
        with committee_file(tmp_path / "committee.yaml"):
            yield {"committee": committee, "host": host, "members": [slow, inbox], "store": store}
    finally:
        host.gate.set()
        host.stop()
        remove_committee(committee, [f"{slow}-releves", f"{inbox}-pistes-cyclables"], store)


def catalogue(ckan: RemoteCKAN, members: list[str]) -> dict[str, list[str]]:
    """Each member organization's active datasets, read from CKAN's database (its search
    index lags a second behind), with the names of their resources, as often as they are there."""
    with psycopg.connect(host="127.0.0.1", port=25432, user="postgres", dbname="ckan",
                         password=stack_setting("STACK_PG_SUPERUSER_PASSWORD")) as conn:
        names = [name for (name,) in conn.execute(
            "SELECT p.name FROM package p JOIN \"group\" g ON g.id = p.owner_org "
            "WHERE g.name = ANY(%s) AND p.state = 'active' ORDER BY p.name", (members,))]
    held = {}
    for name in names:
        assert name not in held, f"{name} listed twice"
        held[name] = sorted(r["name"] for r in ckan.action.package_show(id=name, use_cache=False)["resources"])
    return held


def raw_objects(store: ObjectStore, members: list[str]) -> dict[str, str]:
    """Raw object key -> sha256 of its bytes (the key names the digest: checked too)."""
    found = {}
    for member in members:
        for obj in store.list(f"raw/{member}/"):
            if obj.key != layout.manifest_key(member):
                found[obj.key] = hashlib.sha256(store.get_bytes(obj.key)).hexdigest()
    return found


def failing_run(host: GatedFiles, service: str) -> subprocess.CompletedProcess:
    """`tdh run` as an operator starts it; `service` stopped while the run waits on the
    member's file, then the file served; the service is started again however it ends."""
    host.gate.clear()
    host.asked.clear()
    run = subprocess.Popen([str(PROJECT_DIR / ".venv" / "bin" / "tdh"), "run"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        assert host.asked.wait(timeout=120), "the run never asked for the member's file"
        stack("stop", service)
        host.gate.set()
        out, err = run.communicate(timeout=300)
    finally:
        host.gate.set()
        if run.poll() is None:
            run.kill()
            run.wait()
        stack("start", service)
        if service == "postgres":  # the daemon may have died with its database: the stack's again
            stack("start", "dagster")
    return subprocess.CompletedProcess(run.args, run.returncode, out, err)


@pytest.mark.parametrize("service, says", [
    ("ckan", "CKAN ({HUB_CKAN_URL}) injoignable"),
    ("seaweedfs", "S3 (http://{HUB_S3_ENDPOINT}, bucket {HUB_S3_BUCKET}) injoignable"),
    ("postgres", "PostgreSQL"),
])
def test_a_service_dying_mid_run_is_named_and_the_next_run_converges(committee, service, says):
    ckan = RemoteCKAN(stack_setting("HUB_CKAN_URL"), apikey=stack_setting("HUB_CKAN_TOKEN"))
    members, store = committee["members"], committee["store"]
    first = run_hub()
    assert first.success, first.error
    published, raw = catalogue(ckan, members), raw_objects(store, members)
    assert sorted(published) == sorted([f"{members[0]}-releves", f"{members[1]}-pistes-cyclables"])
    assert all(resources for resources in published.values())
    assert len(raw) == 2 and all(key.split("/")[-1].startswith(sha) for key, sha in raw.items())

    t0 = time.monotonic()
    failed = failing_run(committee["host"], service)
    output = failed.stdout + failed.stderr
    assert failed.returncode == 1, output[-3000:]
    assert says.format(**os.environ) in output, output[-3000:]
    if service == "postgres":
        assert "127.0.0.1:25432" in output and "injoignable" in output, output[-3000:]
    for name in SECRETS:
        assert stack_setting(name) not in output, f"{name} appears in the output of the failed run"
    assert urlsplit(stack_setting("HUB_WAREHOUSE_URL")).password not in output
    said = "\n".join(line for line in output.splitlines() if "injoignable" in line and "Failure:" not in line)
    print(f"\n{service}: failed run and restart in {time.monotonic() - t0:.0f} s; tdh run said:\n{said}")  # with -s

    again = run_hub()
    assert again.success, again.error
    assert catalogue(ckan, members) == published  # none lost, none twice, no resource twice
    assert raw_objects(store, members) == raw  # the raw bytes kept, as they were
