"""raw: the members' sources listed and their resources landed in the object store.

A run is for one member (the daemon's schedule and inbox sensor) or for a range of them
(`tdh run`: one run over every member, which spares a run's bookkeeping per member); each
member is gathered under its own lock either way, and a source down is that member's
failure, recorded, never the others'."""


import dagster as dg

from catalog.publication import in_parallel
from pipelines.defs.partitions import MEMBERS, MEMBERS_AT_ONCE
from pipelines.defs.resources import CommitteeResource, ObjectStoreResource
from pipelines.gathering import MemberGathering, gather_member
from pipelines.locks import exclusive, step_name

# A portal that times out or answers 503 is tried again later, for this member only.
GATHERING_RETRIES = dg.RetryPolicy(max_retries=2, delay=10, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


@dg.asset(key="raw", group_name="gathering", kinds={"s3"}, partitions_def=MEMBERS, pool="gathering",
          retry_policy=GATHERING_RETRIES)
def raw(
    context: dg.AssetExecutionContext, committee: CommitteeResource, object_store: ObjectStoreResource
) -> dg.MaterializeResult:
    """Raw bytes of the members' resources, content-addressed, with provenance records."""
    store, config = object_store.store(), committee.load()

    def gather(member: str) -> MemberGathering:
        with exclusive(step_name("raw", member)):
            return gather_member(store, config.member(member))

    totals, by_member = {"datasets": 0, "resources_landed": 0, "resources_unchanged": 0, "failures": 0}, {}
    # Each member's fetches are capped already: members side by side add no load on one server.
    for report in in_parallel(gather, list(context.partition_keys), MEMBERS_AT_ONCE):
        for failure in report.failures:
            context.log.warning(f"{report.member}: {failure.what} {failure.where}: {failure.why}")
        for key, value in (("datasets", report.datasets), ("resources_landed", report.landed),
                           ("resources_unchanged", report.unchanged), ("failures", len(report.failures))):
            totals[key] += value
        by_member[report.member] = {"datasets": report.datasets, "landed": report.landed,
                                    "unchanged": report.unchanged, "missing": report.missing,
                                    "archived": report.archived, "failures": [f.as_dict() for f in report.failures]}
    return dg.MaterializeResult(metadata={**totals, "by_member": dg.MetadataValue.json(by_member)})
