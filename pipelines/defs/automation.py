"""When the hub runs. Two jobs: `member_job` (one member's gathering, staging and
publication: one partition) and `committee_job` (pooled tables, downloads, warehouse, the
committee's catalogue entries, dashboards). With the daemon and `tdh automation on`:
- `members_sensor` keeps the member partitions in step with the committee file;
- `daily_gathering`, at a fixed hour in the committee's time zone (not a drifting interval,
  ckanext-harvest #559), asks for one run per member;
- `inbox_sensor` asks for a run of the member whose inbox changed, as soon as it changed;
- `committee_sensor` runs the committee job once the member runs are over.
Runs wait in the queue (deploy/local/dagster/dagster.yaml): one run per member at a time,
one committee run at a time."""


import hashlib
import json

import dagster as dg

from connectors.handoffs import layout
from pipelines.defs.partitions import MEMBERS, member_requests
from pipelines.defs.resources import CommitteeResource, ObjectStoreResource

MEMBER_ASSETS = dg.AssetSelection.assets("raw", "staged", "published")
member_job = dg.define_asset_job(
    "member_job", selection=MEMBER_ASSETS,
    description="One member: gather its sources, normalise, validate and screen its files, publish its datasets.")
committee_job = dg.define_asset_job(
    "committee_job", selection=dg.AssetSelection.all() - MEMBER_ASSETS,
    description="The committee: pool every pack, write the downloads, load the warehouse, publish the pooled "
                "datasets, chart them for each lead.")


@dg.schedule(name="daily_gathering", job=member_job, cron_schedule="0 6 * * *", execution_timezone="Europe/Paris")
def daily(context: dg.ScheduleEvaluationContext):
    """One run per member every morning; the committee run follows them (committee_sensor)."""
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    for slug in context.instance.get_dynamic_partitions(MEMBERS.name):
        yield dg.RunRequest(run_key=f"{day}-{slug}", partition_key=slug)


@dg.sensor(minimum_interval_seconds=60)
def members_sensor(context: dg.SensorEvaluationContext, committee: CommitteeResource):
    """Members added to or removed from the committee file become or stop being partitions."""
    slugs = [m.slug for m in committee.load().members]
    requests = member_requests(slugs, context.instance.get_dynamic_partitions(MEMBERS.name))
    if not requests:
        return dg.SkipReason("the member partitions match the committee file")
    return dg.SensorResult(dynamic_partitions_requests=requests)


@dg.sensor(job=member_job, minimum_interval_seconds=60)
def inbox_sensor(context: dg.SensorEvaluationContext, object_store: ObjectStoreResource):
    """A run of a member when a file appears or changes under its inbox (`inbox/<member>/`)."""
    # Upload time with the etag: a commune re-dropping an older version is a new drop too.
    current = {obj.key: f"{obj.etag}@{obj.last_modified}" for obj in object_store.store().list(layout.INBOX)}
    if not context.cursor:
        # Just turned on: what the inbox already holds is the baseline (the daily runs gather
        # it); turning the sensor on does not start a run per member.
        context.update_cursor(json.dumps(current))
        return dg.SkipReason(f"first look at the inbox: {len(current)} files recorded")
    seen = json.loads(context.cursor)
    changed = sorted(k for k, etag in current.items() if seen.get(k) != etag)
    context.update_cursor(json.dumps(current))
    members = set(context.instance.get_dynamic_partitions(MEMBERS.name))
    by_member: dict[str, list[str]] = {}
    for key in changed:
        member = layout.inbox_member(key)
        if member in members:  # files outside a member's folder ask for nothing
            by_member.setdefault(member, []).append(key)
    if not by_member:
        return dg.SkipReason("no new or changed file in a member's inbox")
    return [dg.RunRequest(run_key=hashlib.sha256(json.dumps({k: current[k] for k in keys}).encode()).hexdigest()[:16],
                          partition_key=member, tags={"inbox_files": ",".join(keys)[:200]})
            for member, keys in sorted(by_member.items())]


@dg.sensor(job=committee_job, minimum_interval_seconds=60)
def committee_sensor(context: dg.SensorEvaluationContext):
    """The committee run, once member runs have finished since the last committee run and
    none is waiting or running (pooling reads every member's staged files)."""
    waiting = context.instance.get_run_records(dg.RunsFilter(job_name="member_job", statuses=[
        dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
        dg.DagsterRunStatus.STARTED]), limit=1)
    if waiting:
        return dg.SkipReason("member runs still in progress")
    [last_member] = context.instance.get_run_records(dg.RunsFilter(job_name="member_job"), limit=1) or [None]
    if last_member is None or (context.cursor or "") == last_member.dagster_run.run_id:
        return dg.SkipReason("no member run since the last committee run")
    context.update_cursor(last_member.dagster_run.run_id)
    return dg.RunRequest(run_key=last_member.dagster_run.run_id)
