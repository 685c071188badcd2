"""Running the whole graph headlessly, and saying what happened in words a committee reads."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from catalog.committee import Committee
from connectors.objectstore import ObjectStore

# In-process runs say where they run, so an abandoned one can be told from a live one.
HOST_TAG, PID_TAG = "tdh/host", "tdh/pid"
DEMO_COMMITTEE = Path(__file__).resolve().parents[1] / "demo" / "committee.yaml"


@dataclass
class RunOutcome:
    success: bool
    run_id: str
    metadata: dict[str, dict] = field(default_factory=dict)  # asset key -> metadata values
    checks: dict[str, bool] = field(default_factory=dict)
    error: str | None = None


def run_hub() -> RunOutcome:
    from pipelines.definitions import defs

    job = defs().resolve_job_def("hub_job")
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    release_abandoned_runs(instance)
    # Warnings and errors only on the terminal: the summary below says the rest, and every
    # event is in the run's log in the Dagster UI.
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=quiet,
                                    tags={HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())})
    outcome = RunOutcome(success=result.success, run_id=result.run_id)
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        outcome.metadata[materialization.asset_key.to_user_string()] = {
            k: v.value for k, v in materialization.metadata.items()
        }
    for evaluation in result.get_asset_check_evaluations():
        outcome.checks[evaluation.check_name] = evaluation.passed
    if not result.success:
        failures = [e for e in result.all_events if e.is_step_failure]
        outcome.error = "; ".join(
            f"{e.step_key}: {e.step_failure_data.error.message.strip()}" for e in failures
        )
    return outcome


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
            print(f"  withheld (personal data, no exemption in the committee file): {name}")
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
        print(f"Superset bundles imported this run: {dashboards['imports']}")
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


def member_report(member: str, *, committee: Committee | None = None, store: ObjectStore | None = None) -> dict:
    """What the committee sends to one member's contact about its last gathering
    (`tdh report MEMBER`): name and contact, when, each failure (what, where, why, when),
    datasets missing or archived, and the message itself (`subject`, `text`).

    `member` is a slug or a name; the committee file is $HUB_COMMITTEE_FILE (else the
    demo's), the store the one of the HUB_S3_* settings.
    """
    from catalog.committee import load_committee
    from catalog.naming import slugify
    from pipelines.gathering import manifest_key
    from pipelines.gathering import member_report as report_of

    path = os.environ.get("HUB_COMMITTEE_FILE") or str(DEMO_COMMITTEE)
    committee = committee or load_committee(path)
    found = [m for m in committee.members if m.slug == slugify(member) or m.name == member]
    if not found:
        slugs = ", ".join(m.slug for m in committee.members)
        raise LookupError(f"{path}: no member {member!r} in committee {committee.slug} (members: {slugs})")
    store = store or ObjectStore.from_environment()
    report = report_of(found[0], store.get_json(manifest_key(found[0].slug))).as_dict()
    # Files the member sent for a pack but that the pooled table left out, and why.
    report["pooled_exclusions"] = [
        {"pack": obj.key.split("/")[1], **line}
        for obj in store.list("pooled/") if obj.key.endswith("/state.json")
        for line in store.get_json(obj.key)["members"].get(found[0].slug, {}).get("sources", [])
        if line["statut"] == "exclu"
    ]
    return report
