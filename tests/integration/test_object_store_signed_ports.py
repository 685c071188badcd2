"""The local stack's SeaweedFS asks for a signed token (security.toml JWT) on its volume
and filer ports, not only for a key on its S3 port: a request that skips S3 and writes
straight into the volumes or the filer, unsigned or signed with a key of its own, is
refused, while the hub keeps storing through S3. The JWT keys are this installation's, in
.stack/env and a security.toml of mode 600 out of git."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import stat
import subprocess
import time
import uuid

import requests

from connectors.objectstore import ObjectStore, object_key
from tests.conftest import PROJECT_DIR, stack_setting

# deploy/local/services/seaweedfs.sh's ports.
MASTER, VOLUME, FILER = 28334, 28335, 28336
SECURITY = PROJECT_DIR / ".stack" / "seaweedfs" / "security.toml"


def forged_token(fid: str) -> str:
    """A well-formed HS256 token for `fid`, signed with a key that is not the stack's."""
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    head = part({"alg": "HS256", "typ": "JWT"}) + "." + part({"exp": int(time.time()) + 10, "fid": fid})
    signature = hmac.new(b"not-the-stacks-key", head.encode(), hashlib.sha256).digest()
    return "Bearer " + head + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()


def test_the_jwt_keys_are_this_installations_and_out_of_git():
    text = SECURITY.read_text()
    for name in ("WRITE", "READ", "FILER_WRITE", "FILER_READ"):
        key = stack_setting(f"STACK_SEAWEEDFS_JWT_{name}")
        assert len(key) >= 32 and f'key = "{key}"' in text
    assert stat.S_IMODE(SECURITY.stat().st_mode) == 0o600
    ignored = subprocess.run(["git", "check-ignore", "-q", str(SECURITY)], cwd=PROJECT_DIR)
    assert ignored.returncode == 0, "security.toml is not ignored by git"


def test_unsigned_writes_to_the_volume_and_filer_ports_are_refused():
    deadline = time.monotonic() + 60
    while True:  # right after weed starts, the master has no volume to assign from yet (503)
        assigned = requests.get(f"http://127.0.0.1:{MASTER}/dir/assign", timeout=10)
        if assigned.ok or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assigned.raise_for_status()
    fid = assigned.json()["fid"]
    assert assigned.headers.get("Authorization", "").lower().startswith("bearer "), "the master signs no write"
    volume = f"http://127.0.0.1:{VOLUME}/{fid}"
    assert requests.post(volume, files={"file": b"unsigned"}, timeout=10).status_code == 401
    forged = requests.post(volume, files={"file": b"forged"}, headers={"Authorization": forged_token(fid)}, timeout=10)
    assert forged.status_code == 401
    assert requests.get(volume, timeout=10).status_code == 401  # reads are signed too

    filer = f"http://127.0.0.1:{FILER}/buckets/{stack_setting('HUB_S3_BUCKET')}/tests/unsigned-{uuid.uuid4().hex}.txt"
    assert requests.post(filer, files={"file": b"unsigned"}, timeout=10).status_code == 401
    assert requests.get(f"http://127.0.0.1:{FILER}/buckets/", timeout=10).status_code == 401


def test_the_hub_stores_through_s3():
    store = ObjectStore.from_environment()
    key = object_key("tests", f"signed-ports-{uuid.uuid4().hex[:8]}", "eau.csv")
    body = b"code_insee;volume\n56007;1 047,36\n" * 5000  # a chunk written to a volume
    try:
        store.put_bytes(key, body, content_type="text/csv")
        assert store.get_bytes(key) == body
        assert [o.key for o in store.list(key.rsplit("/", 1)[0] + "/")] == [key]
    finally:
        store.remove(key)
    assert not store.exists(key)
