"""The SeaweedFS security that deploy/k8s puts in Secrets, on a real SeaweedFS: the
security.toml and S3 identities made by deploy/k8s/secrets.sh, given to the stack's own
weed binary (same release as the chart's image) in a throw-away server on free loopback
ports, never the stack's. Master, volume server and filer refuse unsigned requests; the
hub's object store works through the S3 gateway with its key, and only in its bucket."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
import yaml
from minio import Minio
from minio.error import S3Error

from connectors.objectstore import ObjectStore
from tests.processes import stop_group

PROJECT_DIR = Path(__file__).resolve().parents[2]
STACK_DIR = PROJECT_DIR / os.environ.get("STACK_DIR", ".stack")
WEED = STACK_DIR / "bin" / "weed"
BUCKET = "territorial-data-hub"
TEST_ENV = """DAGSTER_DB_PASSWORD=k8sweed-dagster
WAREHOUSE_PASSWORD=k8sweed-warehouse
HUB_CKAN_TOKEN=k8sweed-token
HUB_SUPERSET_PASSWORD=k8sweed-superset
HUB_PSEUDONYMISATION_KEY=k8sweed-pseudo
CKAN_DB_PASSWORD=k8sweed-ckan
CKAN_DATASTORE_RO_PASSWORD=k8sweed-ckan-ro
SUPERSET_DB_PASSWORD=k8sweed-superset
"""


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@pytest.fixture(scope="module")
def secured_seaweedfs(tmp_path_factory):
    """A weed server (master, volume, filer, S3) configured from secrets.sh's output."""
    tmp_path = tmp_path_factory.mktemp("k8s-seaweedfs")
    assert os.access(WEED, os.X_OK), f"no weed at {WEED}: run `make up` (deploy/local/stack.sh builds it)"
    env_file = tmp_path / "k8sweed.env"
    env_file.write_text(TEST_ENV)
    made = subprocess.run(["bash", str(PROJECT_DIR / "deploy" / "k8s" / "secrets.sh"), "--env-file", str(env_file),
                           "--out", str(tmp_path / "out"), "tdh-test"], capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    secrets = {d["metadata"]["name"]: {k: base64.b64decode(v).decode() for k, v in d["data"].items()}
               for d in yaml.safe_load_all((tmp_path / "out" / "secrets.yaml").read_text()) if d}
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "security.toml").write_text(secrets["tdh-seaweedfs-security"]["security.toml"])
    (conf / "s3.json").write_text(secrets["tdh-seaweedfs-s3"]["seaweedfs_s3_config"])
    (tmp_path / "data").mkdir()

    master, volume, filer, s3, *grpc = free_ports(8)
    log = (tmp_path / "weed.log").open("wb")
    process = subprocess.Popen(
        [str(WEED), "-logtostderr=true", f"-config_dir={conf}", "server", f"-dir={tmp_path / 'data'}",
         "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-master.telemetry=false", "-master.volumeSizeLimitMB=64",
         f"-master.port={master}", f"-master.port.grpc={grpc[0]}",
         f"-volume.port={volume}", f"-volume.port.grpc={grpc[1]}",
         "-filer", f"-filer.port={filer}", f"-filer.port.grpc={grpc[2]}",
         "-s3", f"-s3.port={s3}", f"-s3.port.grpc={grpc[3]}", f"-s3.config={conf / 's3.json'}",
         "-s3.iam=false", "-s3.port.iceberg=0", "-webdav=false"],
        cwd=tmp_path, env={"HOME": str(tmp_path), "PATH": os.environ["PATH"]},
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, (tmp_path / "weed.log").read_text()[-3000:]
            try:
                if requests.get(f"http://127.0.0.1:{s3}/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "weed did not start in 90 s"
            time.sleep(0.5)
        identities = {i["name"]: i["credentials"][0]
                      for i in json.loads(secrets["tdh-seaweedfs-s3"]["seaweedfs_s3_config"])["identities"]}
        yield {"master": master, "volume": volume, "filer": filer, "s3": s3,
               "admin": identities["admin"], "hub": secrets["tdh-hub-env"]}
    finally:
        # A throw-away server: no need to wait for its graceful stop (25 s).
        stop_group(process, grace_seconds=3)
        log.close()


def test_volume_and_filer_refuse_unsigned_requests(secured_seaweedfs):
    ports = secured_seaweedfs
    deadline = time.monotonic() + 60
    while True:  # the volume server registers with the master a moment after start
        assigned = requests.get(f"http://127.0.0.1:{ports['master']}/dir/assign", timeout=10)
        if assigned.ok or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assigned.raise_for_status()
    fid, token = assigned.json()["fid"], assigned.headers.get("Authorization", "")
    assert token.startswith("BEARER ") or token.startswith("Bearer "), "the master signed no write"
    url = f"http://127.0.0.1:{ports['volume']}/{fid}"

    assert requests.post(url, files={"file": b"k8s jwt"}, timeout=10).status_code == 401
    signed = requests.post(url, files={"file": b"k8s jwt"}, headers={"Authorization": token}, timeout=10)
    assert signed.status_code == 201
    assert requests.get(url, timeout=10).status_code == 401, "reads are not signed"
    looked_up = requests.get(f"http://127.0.0.1:{ports['master']}/dir/lookup",
                             params={"fileId": fid, "read": "yes"}, timeout=10)
    read = requests.get(url, headers={"Authorization": looked_up.headers.get("Authorization", "")}, timeout=10)
    assert read.status_code == 200 and read.content == b"k8s jwt"

    filer = requests.post(f"http://127.0.0.1:{ports['filer']}/k8stest/unsigned.txt", files={"file": b"x"}, timeout=10)
    assert filer.status_code == 401


def test_hub_stores_through_s3_with_its_key_in_its_bucket_only(secured_seaweedfs):
    ports, hub = secured_seaweedfs, secured_seaweedfs["hub"]
    endpoint = f"127.0.0.1:{ports['s3']}"
    Minio(endpoint, ports["admin"]["accessKey"], ports["admin"]["secretKey"], secure=False).make_bucket(BUCKET)

    store = ObjectStore.connect(endpoint, hub["HUB_S3_ACCESS_KEY"], hub["HUB_S3_SECRET_KEY"], BUCKET, False)
    body = b"code_insee;volume\n56007;1 047,36\n" * 2000
    store.put_bytes("raw/k8stest/eau.csv", body, content_type="text/csv")
    assert store.get_bytes("raw/k8stest/eau.csv") == body
    assert [o.key for o in store.list("raw/k8stest/")] == ["raw/k8stest/eau.csv"]

    hub_client = Minio(endpoint, hub["HUB_S3_ACCESS_KEY"], hub["HUB_S3_SECRET_KEY"], secure=False)
    with pytest.raises(S3Error) as refused:
        hub_client.make_bucket("k8stest-other")
    assert refused.value.code == "AccessDenied"
