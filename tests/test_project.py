"""The project's own frame: definitions load, layering contracts hold, compose file parses."""

import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg

from pipelines.definitions import defs

PROJECT_DIR = Path(__file__).resolve().parents[1]


def test_definitions_load_with_the_whole_graph():
    definitions = defs()
    dg.Definitions.validate_loadable(definitions)
    keys = {k.to_user_string() for k in definitions.resolve_asset_graph().get_all_asset_keys()}
    assert {"raw", "staged", "pooled/water_volumes", "warehouse/water_volumes", "catalog", "dashboards"} <= keys
    assert definitions.resolve_job_def("hub_job") is not None
    assert definitions.get_schedule_def("daily_gathering").execution_timezone == "Europe/Paris"


def test_import_contracts_hold():
    result = subprocess.run([str(Path(sys.executable).parent / "lint-imports")], cwd=PROJECT_DIR,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_pure_packages_do_not_import_dagster():
    for package in ("connectors", "catalog"):
        for path in (PROJECT_DIR / package).rglob("*.py"):
            text = path.read_text()
            assert "import dagster" not in text and "from dagster" not in text, path


def test_compose_file_is_valid():
    docker = shutil.which("docker")
    assert docker, "the docker client is needed to check deploy/compose (no engine required)"
    env = PROJECT_DIR / "deploy" / "compose" / "example.env"
    result = subprocess.run(
        [docker, "compose", "-f", str(PROJECT_DIR / "deploy" / "compose" / "compose.yaml"),
         "--env-file", str(env), "config", "--quiet"],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
