"""The stack's Dagster instance: PostgreSQL storage, a live daemon and webserver, a run
queue, pools that make overlapping runs take turns, and no slot held by a dead run."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid

import dagster as dg
import pytest
import requests

from pipelines.runner import HOST_TAG, PID_TAG, release_abandoned_runs
from tests.conftest import PROJECT_DIR


@pytest.fixture(scope="module")
def instance():
    assert os.environ.get("DAGSTER_HOME"), "make test sets DAGSTER_HOME to the stack's instance"
    with dg.DagsterInstance.get() as found:
        yield found


def test_the_instance_keeps_runs_in_postgres_queues_them_and_sends_no_telemetry(instance):
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
    assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
    assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
    assert instance.telemetry_enabled is False
    assert instance.global_op_concurrency_default_limit == 1


def test_the_daemon_and_the_webserver_are_up(instance):
    # The daemon writes a heartbeat per loop; the stack started it with the hub's definitions.
    deadline = time.time() + 90
    while True:
        beats = instance.get_daemon_heartbeats()
        fresh = {name for name, beat in beats.items() if time.time() - beat.timestamp < 120}
        if {"SCHEDULER", "SENSOR", "QUEUED_RUN_COORDINATOR"} <= fresh or time.time() > deadline:
            break
        time.sleep(5)
    assert {"SCHEDULER", "SENSOR", "QUEUED_RUN_COORDINATOR"} <= fresh, beats
    query = '{ repositoriesOrError { ... on RepositoryConnection { nodes { jobs { name } schedules { name }'
    query += ' sensors { name } } } } }'
    answer = requests.post("http://127.0.0.1:23000/graphql", json={"query": query}, timeout=30).json()
    [repository] = answer["data"]["repositoriesOrError"]["nodes"]
    assert {"member_job", "committee_job"} <= {j["name"] for j in repository["jobs"]}
    assert [s["name"] for s in repository["schedules"]] == ["daily_gathering"]
    assert {s["name"] for s in repository["sensors"]} == {"members_sensor", "inbox_sensor", "committee_sensor"}


def test_a_run_whose_process_died_frees_its_pool_slot(instance):
    pool, run_id = f"test_pool_{uuid.uuid4().hex[:8]}", str(uuid.uuid4())
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],  # noqa: S603
                          capture_output=True, text=True, check=True).stdout.strip()
    run = dg.DagsterRun(job_name="test_abandoned", run_id=run_id, status=dg.DagsterRunStatus.STARTED,
                        tags={HOST_TAG: socket.gethostname(), PID_TAG: dead})
    instance.add_run(run)
    try:
        instance.event_log_storage.set_concurrency_slots(pool, 1)
        assert instance.event_log_storage.claim_concurrency_slot(pool, run_id, "step").is_claimed
        assert release_abandoned_runs(instance) == [run_id]
        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
        assert instance.event_log_storage.get_concurrency_info(pool).active_slot_count == 0
    finally:
        instance.event_log_storage.delete_concurrency_limit(pool)
        instance.delete_run(run_id)


STEP_TIMES = """
import json, sys
import dagster as dg
from pipelines.runner import run_hub
outcome = run_hub()
with dg.DagsterInstance.get() as instance:
    steps, blocked = {}, []
    for run_id in outcome.run_ids:
        tags = instance.get_run_by_id(run_id).tags
        # `tdh run` runs the members as one range, then the committee.
        where = "members" if "dagster/asset_partition_range_start" in tags else "committee"
        for record in instance.all_logs(run_id):
            event = record.dagster_event
            if event and event.event_type_value in ("STEP_START", "STEP_SUCCESS", "STEP_FAILURE"):
                steps.setdefault(where + "/" + event.step_key, {})[event.event_type_value] = record.timestamp
            if event and "blocked by limit for pool" in (record.message or ""):
                blocked.append(record.message)
print(json.dumps({"success": outcome.success, "error": outcome.error, "steps": steps, "blocked": blocked}))
"""


def test_two_overlapping_runs_take_turns_step_by_step():
    """Two `tdh run` at once on the demo committee: each committee step of one never
    overlaps the same step of the other (pools of one slot, and the step's lock), so two
    publications never write CKAN at once; both succeed. The member steps go member by
    member under each member's lock (next test), so only the committee's are timed here."""
    def start():
        return subprocess.Popen([sys.executable, "-c", STEP_TIMES], cwd=PROJECT_DIR,  # noqa: S603
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    first, second = start(), start()
    results = []
    for process in (first, second):
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert all(r["success"] for r in results), [r["error"] for r in results]
    assert results[0]["blocked"] or results[1]["blocked"]  # one of them waited for a slot
    a, b = (r["steps"] for r in results)
    for step in ("committee/catalog", "committee/dashboards", "committee/pooled__eau_potable",
                 "committee/warehouse__eau_potable"):
        (a_start, a_end), (b_start, b_end) = ((s[step]["STEP_START"], s[step]["STEP_SUCCESS"]) for s in (a, b))
        assert a_end <= b_start or b_end <= a_start, (step, a[step], b[step])


LOCKED_RUN = """
import json
import dagster as dg
from pipelines.runner import run_hub
outcome = run_hub()
with dg.DagsterInstance.get() as instance:
    ranged = "dagster/asset_partition_range_start"
    [member_run] = [r for r in outcome.run_ids if ranged in instance.get_run_by_id(r).tags]
    stats = {s.step_key: s for s in instance.get_run_step_stats(member_run)}
print(json.dumps({"success": outcome.success, "error": outcome.error,
                  "steps": {k: [s.start_time, s.end_time] for k, s in stats.items()}}))
"""


@pytest.mark.parametrize("step", ["raw", "staged", "published"])
def test_a_member_held_elsewhere_makes_the_run_wait_for_it(step):
    """What keeps two runs from writing one member at once is the member's lock per step
    (`pipelines/locks.py`): while another process holds it for one demo member, `tdh run`'s
    step over every member cannot finish; it completes once the lock is released."""
    from pipelines.locks import exclusive, step_name

    hold = 6.0
    with exclusive(step_name(step, "carnac")):
        process = subprocess.Popen([sys.executable, "-c", LOCKED_RUN], cwd=PROJECT_DIR,  # noqa: S603
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(hold)
        assert process.poll() is None  # still waiting for carnac
        released = time.time()
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err[-3000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert result["success"], result["error"]
    started, ended = result["steps"][step]
    assert ended >= released > started, (step, started, released, ended)
