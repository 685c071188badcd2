"""staged: one member's files as normalised Parquet, validated and screened; the checks make
the member's verdicts visible.

A non-conformant file or one with personal data is held back dataset by dataset (the
publication plan withholds it, the pooled table excludes it); the two checks saying so
warn. One check blocks: personal data the committee has not decided on (no exemption, no
`withhold`, no dropped or pseudonymised column) stops this member's publication, in this
member's run only, until the committee decides. Undecided personal data is a question
for the committee, not something to publish around."""


import dagster as dg

from pipelines.defs.partitions import MEMBERS
from pipelines.defs.resources import CommitteeResource, ObjectStoreResource, PrivacyResource
from pipelines.locks import exclusive, step_name
from pipelines.staging import stage_member


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
    with exclusive(step_name("staged", context.partition_key)):
        result = stage_member(object_store.store(), context.partition_key, privacy.key(), schemas)
    for failure in result.failures:
        context.log.warning(f"{result.member}: {failure.where}: {failure.why}")
    yield dg.MaterializeResult(metadata={
        "staged": result.staged, "unchanged": result.unchanged,
        "failures": dg.MetadataValue.json([f.as_dict() | {"member": result.member} for f in result.failures]),
    })
    # Per-dataset verdicts: a non-conformant or personal-data dataset is reported here and
    # held back by the publication plan, while every other dataset goes on.
    yield dg.AssetCheckResult(
        check_name="schema_conformity", passed=not result.invalid, severity=dg.AssetCheckSeverity.WARN,
        metadata={"non_conformant": dg.MetadataValue.json({result.member: result.invalid} if result.invalid else {})},
    )
    yield dg.AssetCheckResult(
        check_name="personal_data_withheld", passed=not result.blocked, severity=dg.AssetCheckSeverity.WARN,
        metadata={"withheld": dg.MetadataValue.json({result.member: result.blocked} if result.blocked else {})},
    )
    yield dg.AssetCheckResult(
        check_name="personal_data_declared", passed=not result.blocked, severity=dg.AssetCheckSeverity.ERROR,
        description=(f"{result.member}: publication stopped, personal data without a committee decision in "
                     f"{', '.join(result.blocked)}" if result.blocked else None),
        metadata={"undeclared": dg.MetadataValue.json(result.blocked),
                  "withheld_by_committee": dg.MetadataValue.json(result.withheld)},
    )
