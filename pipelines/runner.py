"""Running the whole graph headlessly, and saying what happened in words a committee reads."""

from __future__ import annotations

import os
import socket
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from catalog.committee import Committee
from connectors.handoffs import Bucket
from connectors.objectstore import ObjectStore
from connectors.outages import reaching, redact_url

# Members per `tdh run` member run. Dagster records a range's result once per partition
# (the metadata too: a plan naming every dataset of the range), so a range's events grow
# with its square; 25 keeps them small while the per-run cost is paid once per 25 members.
RANGE_MEMBERS = 25
# In-process runs say where they run, so an abandoned one can be told from a live one.
HOST_TAG, PID_TAG = "tdh/host", "tdh/pid"
DEMO_COMMITTEE = Path(__file__).resolve().parents[1] / "demo" / "committee.yaml"


@dataclass
class RunOutcome:
    success: bool
    run_id: str  # the committee run's
    metadata: dict[str, dict] = field(default_factory=dict)  # asset key -> metadata, merged over members
    checks: dict[str, bool] = field(default_factory=dict)  # check -> passed for every member
    error: str | None = None
    run_ids: list[str] = field(default_factory=list)  # every run: one per member, then the committee's
    stopped: list[str] = field(default_factory=list)  # members whose publication a blocking check stopped


def run_hub(members: Collection[str] | None = None, committee: bool = True) -> RunOutcome:
    """Runs over the member partitions (gathering, staging, their publication), then the
    committee run; a member's failure does not stop the others (each member is gathered,
    staged and checked on its own inside the run's steps). `members`: only those (all when
    None); `committee`: False leaves out the committee run (`pipelines.settled` decides)."""
    from pipelines.definitions import defs

    definitions = defs()
    # The instance's own database failing mid-run stops the run where it is (Dagster cannot
    # record events); said as such rather than as SQLAlchemy's traceback.
    with reaching("PostgreSQL (instance Dagster)", redact_url(os.environ.get("HUB_DAGSTER_PG_URL", "DAGSTER_HOME"))):
        return _run(definitions, members, committee)


def _run(definitions: dg.Definitions, wanted: Collection[str] | None, committee: bool) -> RunOutcome:
    from pipelines.defs.partitions import MEMBERS, sync_members
    from pipelines.packs import read_committee

    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    release_abandoned_runs(instance)
    # dagster-postgres opens a new connection for every read and write by default (146 for
    # one member's no-op run: 0.8 s of its 2 s): `tdh run` keeps a small pool open for its
    # lifetime, as Dagster's webserver does.
    instance.optimize_for_webserver(statement_timeout=0, pool_recycle=3600, max_overflow=8)
    members = [m.slug for m in read_committee(os.environ.get("HUB_COMMITTEE_FILE") or DEMO_COMMITTEE).members]
    sync_members(instance, members)
    # Warnings and errors only on the terminal: the summary below says the rest, and every
    # event is in the run's log in the Dagster UI.
    options = {"instance": instance, "raise_on_error": False,
               "run_config": {"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
               "tags": {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}}
    outcome = RunOutcome(success=True, run_id="")
    # One run over a range of members rather than one run per member: the run's own
    # bookkeeping (some 25 events, 0.2 s) is paid once per range, and the publication plans
    # the range's datasets together, CKAN's workers busy across members. The daemon's
    # schedule and inbox sensor still run one member at a time. A range runs in the
    # instance's order of the partitions (the order they were added), which sync_members
    # made the committee's set.
    partitions = [p for p in instance.get_dynamic_partitions(MEMBERS.name) if wanted is None or p in wanted]
    member_job = definitions.resolve_job_def("member_job")
    for first in range(0, len(partitions), RANGE_MEMBERS):
        chosen = partitions[first:first + RANGE_MEMBERS]
        _collect(outcome, member_job.execute_in_process(**{**options, "tags": {
            **options["tags"], "dagster/asset_partition_range_start": chosen[0],
            "dagster/asset_partition_range_end": chosen[-1]}}))
    if committee:
        result = definitions.resolve_job_def("committee_job").execute_in_process(**options)
        _collect(outcome, result)
        outcome.run_id = result.run_id
    return outcome


def _collect(outcome: RunOutcome, result) -> None:
    outcome.run_ids.append(result.run_id)
    outcome.success = outcome.success and result.success
    seen = set()
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        key = materialization.asset_key.to_user_string()
        if key in seen:
            continue  # a run over several partitions records its one result once per partition
        seen.add(key)
        # What a member published and what the committee published read as one catalogue step.
        key = "catalog" if key == "published" else key
        values = {k: v.value for k, v in materialization.metadata.items()}
        outcome.metadata[key] = _merged(outcome.metadata[key], values) if key in outcome.metadata else values
    for evaluation in result.get_asset_check_evaluations():
        outcome.checks[evaluation.check_name] = outcome.checks.get(evaluation.check_name, True) and evaluation.passed
        # A failed blocking check stopped publication: the whole run's when an ERROR, the
        # members it names in a run over several (publication left them out).
        if not evaluation.passed and evaluation.blocking:
            outcome.stopped.append(evaluation.description or evaluation.check_name)
    if not result.success:
        failures = [e for e in result.all_events if e.is_step_failure]
        error = "; ".join(f"{e.step_key}: {_failure_text(e.step_failure_data)}" for e in failures)
        outcome.error = f"{outcome.error}; {error}" if outcome.error else error


def _failure_text(failure) -> str:
    """What failed, in the words of the code that raised: a `dg.Failure`'s description, or
    the user's exception under Dagster's "Error occurred while executing op" wrapper."""
    if failure.user_failure_data and failure.user_failure_data.description:
        return failure.user_failure_data.description.strip()
    error = failure.error
    while error.cls_name == "DagsterExecutionStepExecutionError" and error.cause is not None:
        error = error.cause
    return error.message.strip()


def _merged(before, after):
    """Two runs' metadata of one asset: counts added, lists joined, mappings merged."""
    if isinstance(before, dict) and isinstance(after, dict):
        return {k: _merged(before[k], after[k]) if k in before and k in after else after.get(k, before.get(k))
                for k in {**before, **after}}
    if isinstance(before, list) and isinstance(after, list):
        return before + after
    if isinstance(before, bool) or isinstance(after, bool):
        return after
    if isinstance(before, int | float) and isinstance(after, int | float):
        return before + after
    return after


def release_abandoned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Fail the in-process runs of this machine whose process is gone, and free their pool
    slots. Every asset is in a pool (one step of each at a time across runs); a `tdh run`
    killed mid-step would otherwise hold its slot, and every later run would wait on it.
    The daemon's run monitoring does this for the runs it launched, not for in-process ones."""
    host = socket.gethostname()
    records = instance.get_run_records(dg.RunsFilter(
        statuses=[dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED], tags={HOST_TAG: host}))
    released = []
    for record in records:
        pid = int(record.dagster_run.tags.get(PID_TAG, "0"))
        if pid and _process_alive(pid):
            continue
        instance.report_run_failed(record.dagster_run, f"its process ({pid} on {host}) is gone")
        instance.event_log_storage.free_concurrency_slots_for_run(record.dagster_run.run_id)
        released.append(record.dagster_run.run_id)
    return released


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, someone else's
    return True


def print_summary(outcome: RunOutcome, demo: bool = False) -> None:
    raw = outcome.metadata.get("raw", {})
    catalog = outcome.metadata.get("catalog", {})
    print("\n== Territorial Data Hub: run", outcome.run_id, "==")
    by_member = raw.get("by_member", {})
    print(f"members: {len(by_member)}")
    for member, info in by_member.items():
        print(f"  {member:<12} datasets {info['datasets']:>2}  landed {info['landed']:>2}  "
              f"unchanged {info['unchanged']:>2}  failures {len(info['failures'])}")
        for failure in info["failures"]:
            print(f"      ! {failure['what']} {failure['where']}: {failure['why']}")
    staged = outcome.metadata.get("staged", {})
    for failure in staged.get("failures", []):
        print(f"  ! {failure['member']}: {failure['where']}: {failure['why']}")
    if catalog:
        print(f"catalogue: {catalog['created']} created, {catalog['updated']} updated, "
              f"{catalog['uploaded']} files uploaded, {catalog.get('relabelled', 0)} relabelled, "
              f"{catalog['unchanged']} unchanged, {catalog['archived']} archived")
        for failure in catalog.get("failed", []):
            print(f"  ! not published this run (retried next run): {failure}")
        for name in catalog.get("withheld", []):
            print(f"  withheld (personal data, kept out by the committee file): {name}")
        shared = catalog.get("shared", {})
        for name in shared.get("datasets", []):
            print(f"  members only (private, read by the committee's users; docs/members-only.md): {name}")
        for failure in shared.get("failed", []):
            print(f"  ! members-only readers not set (retried next run): {failure}")
    if projects := outcome.metadata.get("ai_projects"):
        print(f"AI projects: {len(projects['projects'])} in the library; {projects['created']} created, "
              f"{projects['updated']} updated, {projects['unchanged']} unchanged, {projects['archived']} archived")
        for line in projects["missing_datasets"]:
            print(f"  ! a project names a dataset the catalogue does not hold yet: {line}")
    for key, meta in outcome.metadata.items():
        if key.startswith("pooled/"):
            print(f"{key}: {meta['rows']} rows from {', '.join(meta['members']) or 'no member'}"
                  f"{'' if meta['changed'] else ' (unchanged)'}")
            for line in meta["excluded"]:
                print(f"  excluded: {line['membre']} {line['jeu_de_donnees']}/{line['fichier']}: {line['motif']}")
        if key.startswith("warehouse/"):
            print(f"{key}: {meta['rows']} rows{' loaded' if meta['loaded'] else ', already loaded'}; "
                  f"lead roles {', '.join(v['role'] for v in meta['leads'].values())}")
    dashboards = outcome.metadata.get("dashboards", {})
    for lead, info in dashboards.get("leads", {}).items():
        print(f"dashboards for {lead} (user {info['user']}):")
        for board in info["dashboards"].values():
            print(f"  {board['title']}: {board['dashboard']}")
    if dashboards:
        print(f"Superset bundles imported this run: {dashboards['imports']}; "
              f"lead access written again: {dashboards.get('access_granted', 0)}")
    for line in outcome.stopped:
        print(f"STOPPED: {line} (the committee file decides: personal_data_exemption, withhold, "
              "drop_columns or pseudonymise_columns)")
    if outcome.error:
        print("FAILED:", outcome.error)
    if demo:
        env = os.environ
        print("\nWhere to look")
        print(f"  CKAN      {env.get('HUB_CKAN_URL')}  (user {env.get('HUB_CKAN_ADMIN_USER')}, "
              "password: HUB_CKAN_ADMIN_PASSWORD in .stack/env)")
        print(f"  Superset  {env.get('HUB_SUPERSET_URL')}  (user {env.get('HUB_SUPERSET_USER')}, "
              "password: HUB_SUPERSET_PASSWORD in .stack/env; lead users: `tdh lead-login LEAD`)")
        print("  Dagster   make ui  (then http://127.0.0.1:3000)")


def member_report(member: str, *, committee: Committee | None = None, store: Bucket | None = None) -> dict:
    """What the committee sends to one member's contact about its last gathering
    (`tdh report MEMBER`): name and contact, when, each failure (what, where, why, when),
    datasets missing or archived, and the message itself (`subject`, `text`).

    `member` is a slug or a name; the committee file is $HUB_COMMITTEE_FILE (else the
    demo's), the store the one of the HUB_S3_* settings.
    """
    from catalog.committee import load_committee
    from catalog.naming import slugify
    from connectors.handoffs import Manifest, PooledState, layout
    from pipelines.gathering import member_report as report_of

    path = os.environ.get("HUB_COMMITTEE_FILE") or str(DEMO_COMMITTEE)
    committee = committee or load_committee(path)
    found = [m for m in committee.members if m.slug == slugify(member) or m.name == member]
    if not found:
        slugs = ", ".join(m.slug for m in committee.members)
        raise LookupError(f"{path}: no member {member!r} in committee {committee.slug} (members: {slugs})")
    store = store or ObjectStore.from_environment()
    slug = found[0].slug
    report = report_of(found[0], Manifest.read(store, slug)).as_dict()
    # Files the member sent for a pack but that the pooled table left out, and why.
    parts = {pack: PooledState.read(store, pack).members.get(slug) for pack in layout.pooled_packs(store)}
    report["pooled_exclusions"] = [
        {"pack": pack, **line} for pack, part in parts.items() if part
        for line in part.sources if line["statut"] == "exclu"
    ]
    return report
