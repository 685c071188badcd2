"""raw: every member's sources listed and their resources landed in the object store."""


import dagster as dg

from pipelines.defs.resources import CommitteeResource, ObjectStoreResource
from pipelines.gathering import gather_member


@dg.asset(key="raw", group_name="gathering", kinds={"s3"}, pool="gathering")
def raw(
    context: dg.AssetExecutionContext, committee: CommitteeResource, object_store: ObjectStoreResource
) -> dg.MaterializeResult:
    """Raw bytes of every member resource, content-addressed, with provenance records."""
    store = object_store.store()
    reports = [gather_member(store, member) for member in committee.load().members]
    for report in reports:
        for failure in report.failures:
            context.log.warning(f"{report.member}: {failure.what} {failure.where}: {failure.why}")
    return dg.MaterializeResult(
        metadata={
            "datasets": sum(r.datasets for r in reports),
            "resources_landed": sum(r.landed for r in reports),
            "resources_unchanged": sum(r.unchanged for r in reports),
            "failures": sum(len(r.failures) for r in reports),
            "by_member": dg.MetadataValue.json(
                {r.member: {"datasets": r.datasets, "landed": r.landed, "unchanged": r.unchanged,
                            "missing": r.missing, "archived": r.archived,
                            "failures": [f.as_dict() for f in r.failures]} for r in reports}
            ),
        }
    )
