"""The hub image's Python environment, without a Docker engine: deploy/k8s/tools/image-venv.sh
builds it as deploy/image/Dockerfile does (the lock without dev, then the Kubernetes extras
with hashes) in $STACK_DIR/venvs/hub-image (run by `make test`). From it the code location
is served as the user-code pod serves it, and dagster-k8s itself validates the run
launcher section that Dagster's chart writes from deploy/k8s/dagster/values.yaml."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from pathlib import Path

import yaml
from dagster._grpc.client import DagsterGrpcClient

from tests.processes import stop_group

PROJECT_DIR = Path(__file__).resolve().parents[2]
STACK_DIR = PROJECT_DIR / os.environ.get("STACK_DIR", ".stack")
IMAGE_VENV = STACK_DIR / "venvs" / "hub-image"
DAGSTER_VALUES = PROJECT_DIR / "deploy" / "k8s" / "dagster" / "values.yaml"
NAMESPACE = "tdh"

VALIDATE = """
import json, sys
from dagster._config import validate_config
import dagster_k8s
from dagster_k8s import K8sRunLauncher
section = json.loads(sys.argv[1])
result = validate_config(K8sRunLauncher.config_type(), section["config"])
print(json.dumps({"version": dagster_k8s.__version__, "module": K8sRunLauncher.__module__,
                  "ok": result.success, "errors": [e.message for e in result.errors or []]}))
"""


def image_python() -> str:
    python = IMAGE_VENV / "bin" / "python"
    assert python.is_file(), f"no image environment at {IMAGE_VENV}: run deploy/k8s/tools/image-venv.sh"
    return str(python)


def run_launcher_from_values(values: dict) -> dict:
    """The run_launcher section of dagster.yaml as the chart writes it for a K8sRunLauncher
    (its instance/_run-launcher.tpl helper), for a release in NAMESPACE."""
    launcher = values["runLauncher"]
    assert launcher["type"] == "K8sRunLauncher"
    k8s = launcher["config"]["k8sRunLauncher"]
    config = {
        "load_incluster_config": k8s["loadInclusterConfig"],
        "job_namespace": k8s.get("jobNamespace") or NAMESPACE,
        "image_pull_policy": k8s["imagePullPolicy"],
        "service_account_name": "tdh-dagster",
        "dagster_home": {"env": "DAGSTER_HOME"},
        "instance_config_map": {"env": "DAGSTER_K8S_INSTANCE_CONFIG_MAP"},
        "postgres_password_secret": {"env": "DAGSTER_K8S_PG_PASSWORD_SECRET"},
        "env_config_maps": [{"env": "DAGSTER_K8S_PIPELINE_RUN_ENV_CONFIGMAP"}]
        + [c["name"] for c in k8s["envConfigMaps"]],
    }
    optional = {"envSecrets": "env_secrets", "envVars": "env_vars", "volumeMounts": "volume_mounts",
                "volumes": "volumes", "labels": "labels", "failPodOnRunFailure": "fail_pod_on_run_failure"}
    for key, name in optional.items():
        if k8s.get(key):
            value = k8s[key]
            config[name] = [s["name"] for s in value] if key == "envSecrets" else value
    return {"module": "dagster_k8s", "class": "K8sRunLauncher", "config": config}


def validate_in_image(section: dict) -> dict:
    result = subprocess.run([image_python(), "-c", VALIDATE, json.dumps(section)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_dagster_k8s_accepts_the_run_launcher_the_chart_writes():
    pinned = re.search(r'"dagster-postgres==([0-9.]+)"', (PROJECT_DIR / "pyproject.toml").read_text()).group(1)
    checked = validate_in_image(run_launcher_from_values(yaml.safe_load(DAGSTER_VALUES.read_text())))
    assert checked["version"] == pinned, "the image's dagster-k8s is not the release of the pinned libraries"
    assert checked["ok"], checked["errors"]

    # The check is live: a field the launcher does not know is refused.
    wrong = run_launcher_from_values(yaml.safe_load(DAGSTER_VALUES.read_text()))
    wrong["config"]["fail_pod_on_run_failur"] = True
    refused = validate_in_image(wrong)
    assert not refused["ok"] and any("fail_pod_on_run_failur" in e for e in refused["errors"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_image_environment_serves_the_code_location(tmp_path):
    """`dagster api grpc` with the chart's arguments, as the user-code pod runs it: the
    server answers its health check and lists the hub's definitions."""
    [deployment] = yaml.safe_load(DAGSTER_VALUES.read_text())["dagster-user-deployments"]["deployments"]
    port = free_port()
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    settings = yaml.safe_load((PROJECT_DIR / "deploy" / "k8s" / "hub-settings.yaml").read_text())["data"]
    env = {"PATH": f"{IMAGE_VENV / 'bin'}:{os.environ['PATH']}", "HOME": str(tmp_path),
           "DAGSTER_HOME": str(tmp_path / "home"), "PYTHONDONTWRITEBYTECODE": "1",
           "HUB_COMMITTEE_FILE": str(PROJECT_DIR / "demo" / "committee.yaml"),
           "HUB_CACHE_DIR": str(tmp_path / "cache"), **settings}
    dagster = str(IMAGE_VENV / "bin" / "dagster")
    assert os.access(dagster, os.X_OK), f"no dagster in {IMAGE_VENV}: run deploy/k8s/tools/image-venv.sh"
    log = (tmp_path / "grpc.log").open("wb")
    server = subprocess.Popen([dagster, "api", "grpc", "-h", "127.0.0.1", "-p", str(port),
                               *deployment["dagsterApiGrpcArgs"]],
                              cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, (tmp_path / "grpc.log").read_text()[-3000:]
            check = subprocess.run([dagster, "api", "grpc-health-check", "-h", "127.0.0.1", "-p", str(port)],
                                   env=env, capture_output=True, text=True, timeout=60)
            if check.returncode == 0:
                break
            assert time.monotonic() < deadline, f"no healthy code server in 120 s: {check.stdout}{check.stderr}"
            time.sleep(1)
        listed = DagsterGrpcClient(port=port, host="127.0.0.1").list_repositories()
        assert "pipelines.definitions" in listed and "SerializableErrorInfo" not in listed, listed[:2000]
    finally:
        stop_group(server, grace_seconds=15)
        log.close()
