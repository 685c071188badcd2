"""raw: one member's sources listed and their resources landed in the object store."""


import dagster as dg

from pipelines.defs.partitions import MEMBERS
from pipelines.defs.resources import CommitteeResource, ObjectStoreResource
from pipelines.gathering import gather_member
from pipelines.locks import exclusive, step_name

# A portal that times out or answers 503 is tried again later, for this member only.
GATHERING_RETRIES = dg.RetryPolicy(max_retries=2, delay=10, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


@dg.asset(key="raw", group_name="gathering", kinds={"s3"}, partitions_def=MEMBERS, pool="gathering",
          retry_policy=GATHERING_RETRIES)
def raw(
    context: dg.AssetExecutionContext, committee: CommitteeResource, object_store: ObjectStoreResource
) -> dg.MaterializeResult:
    """Raw bytes of the member's resources, content-addressed, with provenance records."""
    with exclusive(step_name("raw", context.partition_key)):
        report = gather_member(object_store.store(), committee.load().member(context.partition_key))
    for failure in report.failures:
        context.log.warning(f"{report.member}: {failure.what} {failure.where}: {failure.why}")
    return dg.MaterializeResult(
        metadata={
            "datasets": report.datasets,
            "resources_landed": report.landed,
            "resources_unchanged": report.unchanged,
            "failures": len(report.failures),
            "by_member": dg.MetadataValue.json(
                {report.member: {"datasets": report.datasets, "landed": report.landed, "unchanged": report.unchanged,
                                 "missing": report.missing, "archived": report.archived,
                                 "failures": [f.as_dict() for f in report.failures]}}
            ),
        }
    )
