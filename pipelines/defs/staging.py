"""staged: the members' files as normalised Parquet, validated and screened; the checks make
the members' verdicts visible.

A non-conformant file or one with personal data is held back dataset by dataset (the
publication plan withholds it, the pooled table excludes it); the two checks saying so
warn. One check blocks: personal data the committee has not decided on (no exemption, no
`withhold`, no dropped or pseudonymised column) stops this member's publication, and only
this member's, until the committee decides: a failed blocking check in a one-member run, the
publication step leaving the member out in a run over several (`pipelines/defs/publication.py`).
Undecided personal data is a question for the committee, not something to publish around."""


import dagster as dg

from catalog.publication import in_parallel
from pipelines.defs.partitions import MEMBERS, MEMBERS_AT_ONCE
from pipelines.defs.resources import CommitteeResource, ObjectStoreResource, PrivacyResource
from pipelines.locks import exclusive, step_name
from pipelines.staging import MemberStaging, stage_member


@dg.asset(
    key="staged",
    deps=["raw"],
    group_name="normalisation",
    kinds={"polars", "parquet"},
    partitions_def=MEMBERS,
    pool="staging",
    check_specs=[
        dg.AssetCheckSpec("schema_conformity", asset="staged",
                          description="Files with a declared schema conform to it."),
        dg.AssetCheckSpec("personal_data_withheld", asset="staged",
                          description="Datasets with personal data and no exemption are withheld."),
        # Blocking: undeclared personal data stops this member's publication (this partition's
        # run) until the committee decides (exemption, withhold, dropped or pseudonymised
        # columns); the other members' runs publish.
        dg.AssetCheckSpec("personal_data_declared", asset="staged", blocking=True,
                          description="Every dataset with personal data has a committee decision."),
    ],
)
def staged(
    context: dg.AssetExecutionContext,
    committee: CommitteeResource,
    object_store: ObjectStoreResource,
    privacy: PrivacyResource,
):
    schemas = {name: pack.schema for name, pack in committee.packs().items()}
    store, key = object_store.store(), privacy.key()

    def stage(member: str) -> MemberStaging:
        with exclusive(step_name("staged", member)):
            return stage_member(store, member, key, schemas)

    # The staging work takes the process's slots (pipelines/staging.py), so the memory budget
    # holds however many members are staged side by side.
    results = in_parallel(stage, list(context.partition_keys), MEMBERS_AT_ONCE)
    for result in results:
        for failure in result.failures:
            context.log.warning(f"{result.member}: {failure.where}: {failure.why}")
    yield dg.MaterializeResult(metadata={
        "staged": sum(r.staged for r in results), "unchanged": sum(r.unchanged for r in results),
        "failures": dg.MetadataValue.json([f.as_dict() | {"member": r.member} for r in results for f in r.failures]),
    })
    # Per-dataset verdicts: a non-conformant or personal-data dataset is reported here and
    # held back by the publication plan, while every other dataset goes on.
    invalid = {r.member: r.invalid for r in results if r.invalid}
    yield dg.AssetCheckResult(
        check_name="schema_conformity", passed=not invalid, severity=dg.AssetCheckSeverity.WARN,
        metadata={"non_conformant": dg.MetadataValue.json(invalid)},
    )
    blocked = {r.member: r.blocked for r in results if r.blocked}
    yield dg.AssetCheckResult(
        check_name="personal_data_withheld", passed=not blocked, severity=dg.AssetCheckSeverity.WARN,
        metadata={"withheld": dg.MetadataValue.json(blocked)},
    )
    # A failed ERROR stops the whole run's publication, so it is an ERROR only when every
    # member of the run is stopped (always, in a one-member run); in a run over several
    # members the publication step leaves the stopped ones out itself (`published`).
    everyone = len(blocked) == len(results)
    yield dg.AssetCheckResult(
        check_name="personal_data_declared", passed=not blocked,
        severity=dg.AssetCheckSeverity.ERROR if everyone else dg.AssetCheckSeverity.WARN,
        description="; ".join(f"{member}: publication stopped, personal data without a committee decision in "
                              f"{', '.join(names)}" for member, names in blocked.items()) or None,
        metadata={"undeclared": dg.MetadataValue.json(blocked),
                  "withheld_by_committee": dg.MetadataValue.json({r.member: r.withheld for r in results
                                                                  if r.withheld})},
    )
