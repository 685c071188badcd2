"""deploy/k8s checked offline: the SeaweedFS chart rendered by `helm template`, the Dagster
values held to the local instance and validated by Dagster's own instance schema, the
Secrets made by secrets.sh, and no secret written in any committed file.

helm and the SeaweedFS chart come from deploy/k8s/tools/helm.sh (run by `make test`).
Dagster's chart itself cannot be rendered here (its repository serves it from no registry
this machine reaches); what its values turn into in dagster.yaml is the mapping of the
chart's configmap-instance template, written out in `instance_from_values` below.
"""

from __future__ import annotations

import base64
import json
import os
import re
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from dagster._core.errors import DagsterInvalidConfigError
from dagster._core.instance.config import dagster_instance_config

PROJECT_DIR = Path(__file__).resolve().parents[2]
K8S_DIR = PROJECT_DIR / "deploy" / "k8s"
STACK_DIR = PROJECT_DIR / os.environ.get("STACK_DIR", ".stack")
HELM = STACK_DIR / "bin" / "helm"
SEAWEEDFS_CHART = STACK_DIR / "charts" / "seaweedfs"
DAGSTER_VALUES = K8S_DIR / "dagster" / "values.yaml"
SEAWEEDFS_VALUES = K8S_DIR / "seaweedfs" / "values.yaml"
LOCAL_INSTANCE = PROJECT_DIR / "deploy" / "local" / "dagster" / "dagster.yaml"
# The Secrets secrets.sh makes, with the keys the charts read from them.
SECRETS = {
    "tdh-dagster-postgresql": {"postgresql-password"},
    "tdh-hub-env": {"HUB_S3_ACCESS_KEY", "HUB_S3_SECRET_KEY", "HUB_CKAN_TOKEN", "HUB_SUPERSET_PASSWORD",
                    "HUB_PSEUDONYMISATION_KEY", "HUB_WAREHOUSE_URL", "HUB_DAGSTER_PG_URL"},
    "tdh-seaweedfs-security": {"security.toml"},
    "tdh-seaweedfs-s3": {"seaweedfs_s3_config"},
    "tdh-ckan": {"CKAN_SQLALCHEMY_URL", "CKAN_DATASTORE_WRITE_URL", "CKAN_DATASTORE_READ_URL",
                 "CKAN_SECRET_KEY", "CKAN_CSRF_SECRET_KEY", "CKAN___API_TOKEN__JWT__ENCODE__SECRET",
                 "CKAN___API_TOKEN__JWT__DECODE__SECRET", "CKAN_SYSADMIN_PASSWORD"},
    "tdh-superset": {"SUPERSET_SECRET_KEY", "SUPERSET_DATABASE_URI", "GUEST_TOKEN_JWT_SECRET",
                     "DB_HOST", "DB_PORT", "DB_USER", "DB_PASS", "DB_NAME"},
}
TEST_ENV = """# a test committee's settings (secrets.sh reads KEY=value lines)
DAGSTER_DB_PASSWORD=k8stest-dagster
WAREHOUSE_PASSWORD=k8stest-warehouse
HUB_CKAN_TOKEN=k8stest.token
HUB_SUPERSET_PASSWORD=k8stest superset
HUB_PSEUDONYMISATION_KEY=k8stest-pseudo
CKAN_DB_PASSWORD=k8stest-ckan
CKAN_DATASTORE_RO_PASSWORD=k8stest-ckan-ro
SUPERSET_DB_PASSWORD=k8stest-superset-db
"""


def load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


# --- the Dagster chart's values -------------------------------------------------------------

def instance_from_values(values: dict) -> dict:
    """The dagster.yaml sections the chart writes from our values (configmap-instance):
    queued run coordinator, `concurrency` when enabled, run monitoring, telemetry."""
    daemon = values["dagsterDaemon"]
    coordinator = daemon["runCoordinator"]
    assert coordinator["type"] == "QueuedRunCoordinator"
    instance: dict = {
        "run_coordinator": {
            "module": "dagster.core.run_coordinator",
            "class": "QueuedRunCoordinator",
            "config": {snake(k): v for k, v in coordinator["config"]["queuedRunCoordinator"].items()},
        },
        "telemetry": {"enabled": values["telemetry"]["enabled"]},
    }
    concurrency = values.get("concurrency", {})
    if concurrency.get("enabled"):
        runs = concurrency.get("runs", {})
        instance["concurrency"] = {
            "pools": {snake(k): v for k, v in concurrency.get("pools", {}).items()},
            "runs": {snake(k): v for k, v in runs.items()},
        }
    monitoring = daemon["runMonitoring"]
    if monitoring["enabled"]:
        instance["run_monitoring"] = {snake(k): v for k, v in monitoring.items()}
    retention = values.get("retention", {})
    if retention.get("enabled"):
        instance["retention"] = {kind: {"purge_after_days": retention[kind]["purgeAfterDays"]}
                                 for kind in ("schedule", "sensor") if kind in retention}
    return instance


def validated_instance(instance: dict, tmp_path: Path) -> dict:
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(instance))
    config, _ = dagster_instance_config(str(tmp_path))
    return config


def test_dagster_values_carry_the_local_instance_over(tmp_path):
    local = load_yaml(LOCAL_INSTANCE)
    k8s = validated_instance(instance_from_values(load_yaml(DAGSTER_VALUES)), tmp_path)

    assert k8s["run_coordinator"]["class"] == local["run_coordinator"]["class"] == "QueuedRunCoordinator"
    k8s_runs, local_runs = k8s["concurrency"]["runs"], local["concurrency"]["runs"]
    assert k8s_runs["tag_concurrency_limits"] == local_runs["tag_concurrency_limits"]
    assert k8s["concurrency"]["pools"]["default_limit"] == local["concurrency"]["pools"]["default_limit"] == 1
    # The cluster runs more members side by side than the 2 cores of the local stack.
    assert k8s_runs["max_concurrent_runs"] >= local_runs["max_concurrent_runs"]
    assert k8s["run_monitoring"]["start_timeout_seconds"] == local["run_monitoring"]["start_timeout_seconds"]
    assert k8s["telemetry"] == local["telemetry"] == {"enabled": False}
    assert k8s["retention"]["sensor"]["purge_after_days"]["skipped"] == 7


def test_dagster_instance_check_refuses_a_queue_limit_set_twice(tmp_path):
    """The validation above is live: the run limits in both the coordinator and `concurrency`
    are refused by Dagster, as a cluster's daemon would refuse them at start."""
    values = load_yaml(DAGSTER_VALUES)
    values["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]["maxConcurrentRuns"] = 5
    with pytest.raises(DagsterInvalidConfigError, match="max_concurrent_runs"):
        validated_instance(instance_from_values(values), tmp_path)


def test_dagster_values_launch_the_hub_code_location_on_kubernetes():
    values = load_yaml(DAGSTER_VALUES)
    workspace = load_yaml(PROJECT_DIR / "workspace.yaml")
    module = workspace["load_from"][0]["python_module"]["module_name"]
    pinned = re.search(r'"dagster==([0-9.]+)"', (PROJECT_DIR / "pyproject.toml").read_text()).group(1)
    dockerfile = (PROJECT_DIR / "deploy" / "image" / "Dockerfile").read_text()

    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["postgresql"]["enabled"] is False and values["generatePostgresqlPasswordSecret"] is False
    assert "postgresqlPassword" not in values["postgresql"]
    assert values["global"]["postgresqlSecretName"] in SECRETS
    for part in ("dagsterWebserver", "dagsterDaemon"):
        assert values[part]["image"]["tag"] == pinned, f"{part} image is not dagster {pinned}"
    [deployment] = values["dagster-user-deployments"]["deployments"]
    assert deployment["dagsterApiGrpcArgs"] == ["-m", module]
    assert f"EXPOSE {deployment['port']}" in dockerfile
    assert deployment["includeConfigInLaunchedRuns"]["enabled"] is True
    assert {s["name"] for s in deployment["envSecrets"]} <= set(SECRETS)
    assert deployment["securityContext"]["readOnlyRootFilesystem"] is True
    assert deployment["podSecurityContext"]["runAsUser"] == 10001 and "USER 10001" in dockerfile


def test_every_hub_setting_reaches_the_code_location():
    """Each HUB_* variable the resources read comes from the Secret, the settings
    ConfigMap or the deployment's own env."""
    source = (PROJECT_DIR / "pipelines" / "defs" / "resources.py").read_text()
    needed = set(re.findall(r'EnvVar\("(HUB_[A-Z0-9_]+)"\)', source)) | {"HUB_DAGSTER_PG_URL"}
    [deployment] = load_yaml(DAGSTER_VALUES)["dagster-user-deployments"]["deployments"]
    settings = load_yaml(K8S_DIR / "hub-settings.yaml")
    assert [c["name"] for c in deployment["envConfigMaps"]] == [settings["metadata"]["name"]]
    given = SECRETS["tdh-hub-env"] | set(settings["data"]) | {e["name"] for e in deployment["env"]}
    assert needed, "no HUB_* setting found in pipelines/defs/resources.py"
    assert needed <= given, f"not given to the pods: {sorted(needed - given)}"


def test_image_extras_are_pinned_at_the_lock_versions():
    lock = tomllib.loads((PROJECT_DIR / "uv.lock").read_text())
    locked = {p["name"]: p["version"] for p in lock["package"] if "version" in p}
    text = (PROJECT_DIR / "deploy" / "image" / "k8s-requirements.txt").read_text()
    pins = dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==([^ \\\n]+)", text, flags=re.M))
    assert pins.get("dagster-k8s") == locked["dagster-postgres"], "dagster-k8s must match the dagster libraries"
    differ = {n: (v, locked[n]) for n, v in pins.items() if n in locked and locked[n] != v}
    assert not differ, f"run deploy/image/lock-k8s-requirements.sh: image pins differ from uv.lock {differ}"
    unhashed = [n for n in pins if not re.search(rf"^{re.escape(n)}==\S+ \\\n\s+--hash=sha256:", text, re.M)]
    assert not unhashed, f"pins without a hash: {unhashed}"


# --- secrets ---------------------------------------------------------------------------------

SECRETISH = re.compile(r"(password|passwd|secret|token|accesskey|secretkey|signing|privatekey)", re.I)
REFERENCE = re.compile(
    r"(secretname|existingconfigsecret|existingsecret|secretkeyref|secretref|envsecrets|envfromsecret)$", re.I)


def plaintext_secrets(node, path: str = "") -> list[str]:
    """Places holding a literal secret: a secret-named key with a text value, or an env entry
    whose secret-named variable has a `value`. References to Secrets are fine."""
    found = []
    if isinstance(node, dict):
        name = node.get("name")
        if isinstance(name, str) and SECRETISH.search(name) and isinstance(node.get("value"), str) and node["value"]:
            found.append(f"{path}.{name}")
        for key, value in node.items():
            here = f"{path}.{key}"
            if isinstance(value, str) and value and SECRETISH.search(str(key)) and not REFERENCE.search(str(key)):
                found.append(here)
            found += plaintext_secrets(value, here)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            found += plaintext_secrets(item, f"{path}[{i}]")
    return found


def test_no_secret_is_written_in_the_committed_k8s_files():
    for path in (DAGSTER_VALUES, SEAWEEDFS_VALUES, K8S_DIR / "hub-settings.yaml"):
        assert plaintext_secrets(load_yaml(path)) == [], path
    assert plaintext_secrets({"postgresql": {"postgresqlPassword": "hunter2"}}) == [".postgresql.postgresqlPassword"]
    assert plaintext_secrets({"env": [{"name": "HUB_CKAN_TOKEN", "value": "abc"}]}) == [".env[0].HUB_CKAN_TOKEN"]


def run_secrets_script(env_text: str, out: Path, namespace: str = "tdh-test") -> subprocess.CompletedProcess:
    env_file = out.parent / "k8stest.env"
    env_file.write_text(env_text)
    return subprocess.run(["bash", str(K8S_DIR / "secrets.sh"), "--env-file", str(env_file), "--out", str(out),
                           namespace], capture_output=True, text=True, timeout=60)


def decoded_secrets(path: Path) -> dict[str, dict[str, str]]:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    assert {d["kind"] for d in docs} == {"Secret"}
    return {d["metadata"]["name"]: {k: base64.b64decode(v).decode() for k, v in d["data"].items()} for d in docs}


def test_secrets_script_makes_every_secret_the_charts_read(tmp_path):
    result = run_secrets_script(TEST_ENV, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    written = tmp_path / "out" / "secrets.yaml"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    secrets = decoded_secrets(written)
    assert {name: set(data) for name, data in secrets.items()} == SECRETS
    assert "k8stest" not in result.stdout + result.stderr, "a secret was printed"

    hub = secrets["tdh-hub-env"]
    assert hub["HUB_CKAN_TOKEN"] == "k8stest.token" and hub["HUB_SUPERSET_PASSWORD"] == "k8stest superset"
    assert hub["HUB_DAGSTER_PG_URL"].startswith("postgresql+psycopg2://hub_dagster:k8stest-dagster@")
    assert re.fullmatch(r"[A-Za-z0-9]{20}", hub["HUB_S3_ACCESS_KEY"])
    assert secrets["tdh-dagster-postgresql"]["postgresql-password"] == "k8stest-dagster"
    ckan = secrets["tdh-ckan"]
    assert ckan["CKAN_DATASTORE_READ_URL"].startswith("postgresql://datastore_ro:k8stest-ckan-ro@")
    assert ckan["CKAN___API_TOKEN__JWT__ENCODE__SECRET"] == ckan["CKAN___API_TOKEN__JWT__DECODE__SECRET"]
    assert re.fullmatch(r"string:[A-Za-z0-9]{48}", ckan["CKAN___API_TOKEN__JWT__ENCODE__SECRET"])
    assert secrets["tdh-superset"]["SUPERSET_DATABASE_URI"].startswith("postgresql+psycopg2://superset:k8stest-")

    security = tomllib.loads(secrets["tdh-seaweedfs-security"]["security.toml"])
    keys = [security["jwt"]["signing"]["key"], security["jwt"]["signing"]["read"]["key"],
            security["jwt"]["filer_signing"]["key"], security["jwt"]["filer_signing"]["read"]["key"]]
    assert all(re.fullmatch(r"[A-Za-z0-9]{48}", k) for k in keys) and len(set(keys)) == 4

    identities = {i["name"]: i for i in json.loads(secrets["tdh-seaweedfs-s3"]["seaweedfs_s3_config"])["identities"]}
    bucket = load_yaml(K8S_DIR / "hub-settings.yaml")["data"]["HUB_S3_BUCKET"]
    assert identities["hub"]["credentials"] == [{"accessKey": hub["HUB_S3_ACCESS_KEY"],
                                                 "secretKey": hub["HUB_S3_SECRET_KEY"]}]
    assert sorted(identities["hub"]["actions"]) == sorted(f"{a}:{bucket}" for a in ("Read", "Write", "List", "Tagging"))
    assert identities["admin"]["credentials"][0]["accessKey"] != hub["HUB_S3_ACCESS_KEY"]

    again = run_secrets_script(TEST_ENV, tmp_path / "again")
    assert again.returncode == 0, again.stderr
    other = decoded_secrets(tmp_path / "again" / "secrets.yaml")
    assert other["tdh-seaweedfs-security"] != secrets["tdh-seaweedfs-security"], "keys are not random"


@pytest.mark.parametrize(("env_text", "message"), [
    (TEST_ENV.replace("HUB_CKAN_TOKEN=k8stest.token", "HUB_CKAN_TOKEN=change-me"),
     "HUB_CKAN_TOKEN is still 'change-me'"),
    (TEST_ENV.replace("WAREHOUSE_PASSWORD=k8stest-warehouse\n", ""), "WAREHOUSE_PASSWORD is missing"),
    (TEST_ENV + "export EVIL=1\n", "line 10: not KEY=value"),
    # Optional keys (made when absent) are refused too when left at the example's value.
    *((TEST_ENV + f"{key}=change-me\n", f"{key} is still 'change-me'")
      for key in ("CKAN_SECRET_KEY", "CKAN_ADMIN_PASSWORD", "CKAN_JWT_SECRET", "SUPERSET_SECRET_KEY",
                  "SUPERSET_GUEST_TOKEN_SECRET", "HUB_S3_SECRET_KEY")),
    (TEST_ENV.replace("k8stest-ckan-ro", "p@ss/word"), "CKAN_DATASTORE_RO_PASSWORD values go into URLs"),
])
def test_secrets_script_refuses_a_bad_env_file_by_name(tmp_path, env_text, message):
    result = run_secrets_script(env_text, tmp_path / "out")
    assert result.returncode != 0
    assert message in result.stderr
    assert "k8stest.env" in result.stderr
    assert not (tmp_path / "out" / "secrets.yaml").exists()


# --- the SeaweedFS chart, rendered -----------------------------------------------------------

def helm_template(*extra: str) -> list[dict]:
    assert HELM.is_file() and os.access(HELM, os.X_OK), f"no helm at {HELM}: run deploy/k8s/tools/helm.sh"
    assert (SEAWEEDFS_CHART / "Chart.yaml").is_file(), f"no chart in {SEAWEEDFS_CHART}: run deploy/k8s/tools/helm.sh"
    result = subprocess.run([str(HELM), "template", "tdh-s3", str(SEAWEEDFS_CHART), "--namespace", "tdh",
                             "-f", str(SEAWEEDFS_VALUES), *extra], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "HELM_CACHE_HOME": "/nonexistent", "HELM_CONFIG_HOME": "/nonexistent"})
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def workloads(docs: list[dict]) -> dict[str, dict]:
    return {d["metadata"]["name"].removeprefix("tdh-s3-seaweedfs-"): d for d in docs
            if d["kind"] in ("StatefulSet", "Deployment")}


def key_material(docs: list[dict]) -> list[str]:
    """ConfigMaps or chart-made Secrets that hold JWT keys or S3 credentials."""
    found = []
    for d in docs:
        if d["kind"] in ("ConfigMap", "Secret"):
            text = json.dumps(d.get("data", {})) + json.dumps(d.get("stringData", {}))
            if re.search(r"jwt|signing|accessKey|secretKey|secret_access_key", text, re.I):
                found.append(f"{d['kind']}/{d['metadata']['name']}")
    return found


def test_seaweedfs_renders_a_cluster_with_jwt_keys_from_our_secret():
    docs = helm_template()
    chart = load_yaml(SEAWEEDFS_CHART / "Chart.yaml")
    parts = workloads(docs)
    assert {n: d["kind"] for n, d in parts.items()} == {
        "master": "StatefulSet", "volume": "StatefulSet", "filer": "StatefulSet", "s3": "Deployment"}
    assert parts["master"]["spec"]["replicas"] == 3 and parts["volume"]["spec"]["replicas"] == 3
    master = parts["master"]["spec"]["template"]["spec"]["containers"][0]
    master_args = " ".join(master.get("command", []) + master.get("args", []))
    assert master_args.count("tdh-s3-seaweedfs-master-") == 3, "masters are not peers of one another"
    assert "-defaultReplication=001" in master_args and "-telemetry=false" in master_args

    for name, workload in parts.items():
        pod = workload["spec"]["template"]["spec"]
        [container] = pod["containers"]
        assert container["image"] == f"chrislusf/seaweedfs:{chart['appVersion']}", name
        volumes = {v["name"]: v for v in pod["volumes"]}
        mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
        security = mounts.get("/etc/seaweedfs/security.toml")
        assert security and security["subPath"] == "security.toml", f"{name} has no security.toml"
        assert volumes[security["name"]]["secret"]["secretName"] == "tdh-seaweedfs-security", name
        assert plaintext_secrets(container.get("env", [])) == [], name
        claims = {t["metadata"]["name"] for t in workload["spec"].get("volumeClaimTemplates", [])}
        if name != "s3":
            assert claims, f"{name} keeps its data on no persistent volume"

    s3_pod = parts["s3"]["spec"]["template"]["spec"]
    [users] = [v for v in s3_pod["volumes"] if v.get("secret", {}).get("secretName") == "tdh-seaweedfs-s3"]
    assert any(m["name"] == users["name"] for m in s3_pod["containers"][0]["volumeMounts"])
    settings = load_yaml(K8S_DIR / "hub-settings.yaml")["data"]
    host, port = settings["HUB_S3_ENDPOINT"].split(":")
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    assert int(port) in {p["port"] for p in services[host]["spec"]["ports"]}, "HUB_S3_ENDPOINT names no S3 service"

    referenced = {v["secret"]["secretName"] for w in parts.values()
                  for v in w["spec"]["template"]["spec"]["volumes"] if "secret" in v}
    assert referenced <= set(SECRETS), f"Secrets secrets.sh does not make: {referenced - set(SECRETS)}"
    assert key_material(docs) == []
    assert not [d for d in docs if d["kind"] == "Secret"], "the chart made a Secret of its own"


def test_seaweedfs_check_sees_the_chart_s_own_keys():
    """Left to the chart, read signing and S3 identities are generated into a ConfigMap and a
    Secret of its own: the checks above would say so."""
    docs = helm_template("--set", "global.seaweedfs.securityConfig.jwtSigning.volumeRead=true",
                         "--set", "s3.existingConfigSecret=null")
    assert sorted(key_material(docs)) == ["ConfigMap/tdh-s3-seaweedfs-security-config",
                                          "Secret/tdh-s3-seaweedfs-s3-secret"]


# --- CKAN, Solr, Superset --------------------------------------------------------------------

def manifests(path: Path) -> dict[str, dict]:
    return {f"{d['kind']}/{d['metadata']['name']}": d for d in yaml.safe_load_all(path.read_text()) if d}


def env_of(container: dict) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}


def test_ckan_and_solr_manifests_carry_the_local_catalogue_settings():
    ckan_docs = manifests(K8S_DIR / "ckan" / "ckan.yaml")
    solr_docs = manifests(K8S_DIR / "solr" / "solr.yaml")
    assert set(ckan_docs) == {"Service/ckan", "PersistentVolumeClaim/ckan-storage", "Deployment/ckan"}
    assert set(solr_docs) == {"Service/solr", "StatefulSet/solr"}
    for path in (K8S_DIR / "ckan" / "ckan.yaml", K8S_DIR / "solr" / "solr.yaml",
                 K8S_DIR / "superset" / "values.yaml"):
        assert plaintext_secrets(list(yaml.safe_load_all(path.read_text()))) == [], path

    [ckan] = ckan_docs["Deployment/ckan"]["spec"]["template"]["spec"]["containers"]
    assert [e["secretRef"]["name"] for e in ckan["envFrom"]] == ["tdh-ckan"]
    env = env_of(ckan)
    options = (PROJECT_DIR / "deploy" / "local" / "ckan" / "hub-options.ini").read_text()
    assert env["CKAN__PLUGINS"] == re.search(r"^ckan\.plugins = (.+)$", options, re.M).group(1) + " envvars"
    constraints = (PROJECT_DIR / "deploy" / "local" / "ckan" / "constraints.txt").read_text()
    for extension in ("ckanext-dcat", "ckanext-scheming"):
        pinned = re.search(rf"^{extension}==(\S+)$", constraints, re.M).group(1)
        assert f'"{extension}=={pinned}"' in (K8S_DIR / "ckan" / "Dockerfile").read_text(), extension
    assert env["CKAN__SEARCH__SOLR_COMMIT"] == "false"
    ckan_sh = (PROJECT_DIR / "deploy" / "local" / "services" / "ckan.sh").read_text()
    local_instance = ckan_sh[ckan_sh.index("    ckan)"):ckan_sh.index("    ckan_member)")]
    assert env["CKANEXT__DCAT__RDF__PROFILES"] == re.search(r'CK_DCAT_PROFILES="([^"]+)"', local_instance).group(1)
    local_schemas = re.findall(r"/([a-z_]+\.yaml)", re.search(r'CK_SCHEMA="([^"]+)"', local_instance).group(1))
    assert re.findall(r"/([a-z_]+\.yaml)", env["CKAN___SCHEMING__DATASET_SCHEMAS"]) == local_schemas
    dockerfile = (K8S_DIR / "ckan" / "Dockerfile").read_text()
    start = (K8S_DIR / "ckan" / "10-hub-options.sh").read_text()
    assert "10-hub-options.sh /docker-entrypoint.d/" in dockerfile
    # Every pod signs sessions and forms with the same keys, taken from the Secret.
    assert {"$CKAN_SECRET_KEY", "$CKAN_CSRF_SECRET_KEY"} <= set(re.findall(r"\$[A-Z_]+", start))
    assert {"CKAN_SECRET_KEY", "CKAN_CSRF_SECRET_KEY"} <= SECRETS["tdh-ckan"]
    for name in [*local_schemas, "licenses.json", "hub-options.ini"]:
        assert (PROJECT_DIR / "deploy" / "local" / "ckan" / name).is_file() and name in dockerfile, name

    service = solr_docs["Service/solr"]["spec"]["ports"][0]["port"]
    core = re.search(r'CMD \["solr-precreate", "([a-z_]+)"', (K8S_DIR / "solr" / "Dockerfile").read_text()).group(1)
    assert env["CKAN_SOLR_URL"] == f"http://solr:{service}/solr/{core}"
    [solr] = solr_docs["StatefulSet/solr"]["spec"]["template"]["spec"]["containers"]
    assert solr["readinessProbe"]["httpGet"]["path"] == f"/solr/{core}/admin/ping"
    settings = load_yaml(K8S_DIR / "hub-settings.yaml")["data"]
    assert settings["HUB_CKAN_URL"] == "http://ckan" and ckan_docs["Service/ckan"]["spec"]["ports"][0]["port"] == 80

    superset = load_yaml(K8S_DIR / "superset" / "values.yaml")
    local_superset = (PROJECT_DIR / "deploy" / "local" / "superset" / "superset_config.py").read_text()
    assert superset["envFromSecret"] in SECRETS
    assert superset["secretEnv"]["create"] is False, "the chart would make an env Secret of its own"
    assert set(re.findall(r'_env\("([A-Z_]+)"\)', local_superset)) <= SECRETS[superset["envFromSecret"]]
    assert superset["image"]["tag"] == "6.1.0"
    assert superset["runAsUser"] != 0 and superset["init"]["createAdmin"] is False
