"""staged: normalised Parquet, validated and screened; the checks make verdicts visible."""


import dagster as dg

from pipelines.defs.resources import CommitteeResource, ObjectStoreResource, PrivacyResource
from pipelines.staging import stage_member


@dg.asset(
    key="staged",
    deps=["raw"],
    group_name="normalisation",
    kinds={"polars", "parquet"},
    pool="staging",
    check_specs=[
        dg.AssetCheckSpec("schema_conformity", asset="staged",
                          description="Files with a declared schema conform to it."),
        dg.AssetCheckSpec("personal_data_withheld", asset="staged",
                          description="Datasets with personal data and no exemption are withheld."),
    ],
)
def staged(
    context: dg.AssetExecutionContext,
    committee: CommitteeResource,
    object_store: ObjectStoreResource,
    privacy: PrivacyResource,
):
    store = object_store.store()
    schemas = {name: pack.schema for name, pack in committee.packs().items()}
    results = [stage_member(store, m.slug, privacy.key(), schemas) for m in committee.load().members]
    invalid = {r.member: r.invalid for r in results if r.invalid}
    blocked = {r.member: r.blocked for r in results if r.blocked}
    for result in results:
        for failure in result.failures:
            context.log.warning(f"{result.member}: {failure.where}: {failure.why}")
    yield dg.MaterializeResult(
        metadata={
            "staged": sum(r.staged for r in results),
            "unchanged": sum(r.unchanged for r in results),
            "failures": dg.MetadataValue.json(
                [f.as_dict() | {"member": r.member} for r in results for f in r.failures]
            ),
        }
    )
    # Per-dataset verdicts: a non-conformant or personal-data dataset is reported here and
    # held back by the publication plan, while every other dataset goes on.
    yield dg.AssetCheckResult(
        check_name="schema_conformity", passed=not invalid,
        severity=dg.AssetCheckSeverity.WARN, metadata={"non_conformant": dg.MetadataValue.json(invalid)},
    )
    yield dg.AssetCheckResult(
        check_name="personal_data_withheld", passed=not blocked,
        severity=dg.AssetCheckSeverity.WARN, metadata={"withheld": dg.MetadataValue.json(blocked)},
    )
