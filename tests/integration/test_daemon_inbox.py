"""The daemon fires the inbox sensor: a file dropped again in a demo member's inbox starts
a run of that member only, within two minutes. The sensor is turned on for the test and
off afterwards; the file dropped is the demo's own, same bytes, so the member's run
changes nothing and the demo stays as `make demo` left it."""

import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from catalog.committee import load_committee
from connectors.objectstore import ObjectStore, object_key
from pipelines.defs.partitions import sync_members
from pipelines.demo import seed_inbox
from pipelines.runner import DEMO_COMMITTEE
from tests.conftest import PROJECT_DIR

DAGSTER = str(Path(sys.executable).with_name("dagster"))
IN_PROGRESS = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
               dg.DagsterRunStatus.STARTED]


def _sensor(verb: str) -> None:
    subprocess.run([DAGSTER, "sensor", verb, "inbox_sensor", "-w", str(PROJECT_DIR / "workspace.yaml")],  # noqa: S603
                   check=True, capture_output=True, cwd=PROJECT_DIR)


def _wait(condition, seconds: float, what: str):
    deadline = time.time() + seconds
    while time.time() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(3)
    pytest.fail(f"not within {seconds:.0f} s: {what}")


def _ticks(instance, name: str) -> list:
    states = [s for s in instance.all_instigator_state() if s.name == name]
    return [t for state in states for t in instance.get_ticks(state.instigator_origin_id, state.selector_id)]


def _member_runs(instance, after: float):
    return [r for r in instance.get_run_records(dg.RunsFilter(job_name="member_job"), limit=20)
            if r.create_timestamp.timestamp() > after]


def test_a_dropped_file_runs_its_member_within_two_minutes():
    assert os.environ.get("DAGSTER_HOME")
    seed_inbox()  # the demo's inbox files, as `make demo` drops them
    store = ObjectStore.from_environment()
    [path] = sorted((PROJECT_DIR / "demo" / "inbox" / "quiberon").glob("*.csv"))[:1]
    key = object_key("inbox", "quiberon", path.name)
    with dg.DagsterInstance.get() as instance:
        # Earlier tests ran committees of their own: the partitions are the demo's again.
        sync_members(instance, [m.slug for m in load_committee(DEMO_COMMITTEE).members])
        name = "inbox_sensor"
        _sensor("start")
        try:
            # The first tick records what the inbox holds and asks for nothing.
            started = time.time()
            _wait(lambda: [t for t in _ticks(instance, name) if t.timestamp > started], 150,
                  "a first tick of the inbox sensor")
            dropped = time.time()
            store.put_bytes(key, path.read_bytes(), "text/csv")
            [run] = _wait(lambda: _member_runs(instance, dropped), 120, "a member run after the drop")
        finally:
            _sensor("stop")
        assert run.dagster_run.tags["dagster/partition"] == "quiberon"
        assert key in run.dagster_run.tags["inbox_files"]
        finished = _wait(lambda: instance.get_run_by_id(run.dagster_run.run_id).status not in IN_PROGRESS
                         and instance.get_run_by_id(run.dagster_run.run_id), 240, "the member run to finish")
        assert finished.status == dg.DagsterRunStatus.SUCCESS
        # The dropping member only: no other member's run was asked for.
        assert {r.dagster_run.tags.get("dagster/partition") for r in _member_runs(instance, dropped)} == {"quiberon"}
