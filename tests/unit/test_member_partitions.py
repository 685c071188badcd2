"""Member partitions follow the committee file; the committee run waits for member runs."""

import uuid
from datetime import datetime

import dagster as dg

from pipelines.defs.automation import committee_sensor, daily, members_sensor
from pipelines.defs.partitions import MEMBERS, member_requests, sync_members
from pipelines.defs.resources import CommitteeResource


def test_partitions_follow_the_committee_file():
    with dg.instance_for_test() as instance:
        assert sync_members(instance, ["auray", "crach"]) == (["auray", "crach"], [])
        assert sync_members(instance, ["auray", "crach"]) == ([], [])
        assert sync_members(instance, ["crach", "quiberon"]) == (["quiberon"], ["auray"])
        assert sorted(instance.get_dynamic_partitions(MEMBERS.name)) == ["crach", "quiberon"]


def test_the_members_sensor_asks_to_add_and_remove(tmp_path):
    committee = tmp_path / "committee.yaml"
    committee.write_text("\n".join([
        "slug: test", "name: Test", "members:",
        "  - {slug: auray, name: Auray, kind: commune, insee: '56007', siren: '215600073',"
        " contact: donnees@auray.example.fr}", ""]))
    resources = {"committee": CommitteeResource(path=str(committee))}
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(MEMBERS.name, ["carnac"])
        result = members_sensor(dg.build_sensor_context(instance=instance, resources=resources))
        [add, delete] = result.dynamic_partitions_requests
        assert (add.partition_keys, delete.partition_keys) == (["auray"], ["carnac"])
        sync_members(instance, ["auray"])
        assert isinstance(members_sensor(dg.build_sensor_context(instance=instance, resources=resources)),
                          dg.SkipReason)
    assert member_requests([], []) == []


def test_the_daily_schedule_asks_for_one_run_per_member():
    with dg.instance_for_test() as instance:
        sync_members(instance, ["auray", "crach"])
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime(2026, 12, 5, 6))
        requests = list(daily(context))
    assert [r.partition_key for r in requests] == ["auray", "crach"]
    assert [r.run_key for r in requests] == ["2026-12-05-auray", "2026-12-05-crach"]


def test_the_committee_run_waits_for_member_runs_and_runs_once_after_them():
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance)
        assert isinstance(committee_sensor(context), dg.SkipReason)  # no member run yet
        running = dg.DagsterRun(job_name="member_job", run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.STARTED)
        instance.add_run(running)
        assert "in progress" in committee_sensor(context).skip_message
        instance.report_run_failed(running, "a portal did not answer")  # over, even if failed
        request = committee_sensor(context)
        assert isinstance(request, dg.RunRequest) and request.run_key == running.run_id
        assert isinstance(committee_sensor(dg.build_sensor_context(instance=instance, cursor=context.cursor)),
                          dg.SkipReason)  # once per batch of member runs
