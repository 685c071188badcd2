"""The project's own frame: definitions load, layering contracts hold, compose file parses."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg

from pipelines.definitions import defs
from pipelines.defs.partitions import MEMBERS

PROJECT_DIR = Path(__file__).resolve().parents[1]
# Built by deploy/local/tools/docker-compose.sh (STACK_DIR as in deploy/local/stack.sh).
PLUGIN_DIR = PROJECT_DIR / os.environ.get("STACK_DIR", ".stack") / "bin" / "cli-plugins"


def test_definitions_load_with_the_whole_graph():
    definitions = defs()
    dg.Definitions.validate_loadable(definitions)
    keys = {k.to_user_string() for k in definitions.resolve_asset_graph().get_all_asset_keys()}
    packs = ["eau_potable", "restauration_collective", "budget", "subventions", "hauteurs_eau"]
    assert {"raw", "staged", "published", "catalog", "dashboards"} <= keys
    assert {f"pooled/{p}" for p in packs} | {f"warehouse/{p}" for p in packs} <= keys
    graph = definitions.resolve_asset_graph()
    member_assets = {k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).partitions_def == MEMBERS}
    assert member_assets == {"raw", "staged", "published"}  # one partition per member
    member_job = {k.to_user_string() for k in definitions.resolve_job_def("member_job").asset_layer.selected_asset_keys}
    assert member_job == member_assets
    assert "raw" not in {k.to_user_string()
                         for k in definitions.resolve_job_def("committee_job").asset_layer.selected_asset_keys}
    assert definitions.get_schedule_def("daily_gathering").execution_timezone == "Europe/Paris"
    [raw_node] = [n for n in definitions.resolve_job_def("member_job").graph.node_defs if n.name == "raw"]
    assert raw_node.retry_policy.max_retries == 2 and raw_node.retry_policy.backoff == dg.Backoff.EXPONENTIAL


def test_import_contracts_hold():
    result = subprocess.run([str(Path(sys.executable).parent / "lint-imports")], cwd=PROJECT_DIR,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    # Every contract of pyproject.toml was checked, none broken.
    contracts = (PROJECT_DIR / "pyproject.toml").read_text().count("[[tool.importlinter.contracts]]")
    assert f"{contracts} kept, 0 broken" in result.stdout


def test_pure_packages_do_not_import_dagster():
    for package in ("connectors", "catalog"):
        for path in (PROJECT_DIR / package).rglob("*.py"):
            text = path.read_text()
            assert "import dagster" not in text and "from dagster" not in text, path


def _docker_compose_config(docker, compose_file, tmp_path):
    """`docker compose config --quiet` with the stack's own compose plugin and example.env.

    The plugin is built by deploy/local/tools/docker-compose.sh (run by `make test`) into
    $STACK_DIR/bin/cli-plugins; a throw-away DOCKER_CONFIG lists that folder in
    cliPluginsExtraDirs, so ~/.docker is neither needed nor read. The environment is minimal
    so that only example.env feeds the interpolation (not the stack's exported secrets).
    """
    compose_dir = PROJECT_DIR / "deploy" / "compose"
    docker_config = tmp_path / "docker-config"
    docker_config.mkdir(exist_ok=True)
    (docker_config / "config.json").write_text(json.dumps({"cliPluginsExtraDirs": [str(PLUGIN_DIR)]}))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DOCKER_CONFIG": str(docker_config)}
    return subprocess.run(
        [docker, "compose", "-f", str(compose_file), "--project-directory", str(compose_dir),
         "--env-file", str(compose_dir / "example.env"), "config", "--quiet"],
        capture_output=True, text=True, env=env, timeout=120,
    )


def test_compose_file_is_valid(tmp_path):
    docker = shutil.which("docker")
    assert docker, "the docker client is needed to check deploy/compose (no engine required)"
    assert os.access(PLUGIN_DIR / "docker-compose", os.X_OK), (
        f"no compose plugin in {PLUGIN_DIR}: run deploy/local/tools/docker-compose.sh")
    compose_file = PROJECT_DIR / "deploy" / "compose" / "compose.yaml"
    result = _docker_compose_config(docker, compose_file, tmp_path)
    assert result.returncode == 0, result.stderr

    # The check really checks: a copy with an unknown service attribute is refused.
    text = compose_file.read_text()
    assert "\nservices:\n" in text
    broken = tmp_path / "broken-compose.yaml"
    broken.write_text(text.replace("\nservices:\n", "\nservices:\n  broken:\n    image: busybox\n"
                                   "    restrat: always\n", 1))
    result = _docker_compose_config(docker, broken, tmp_path)
    assert result.returncode != 0, "docker compose config accepted a broken compose file"
    assert "restrat" in result.stderr, result.stderr
