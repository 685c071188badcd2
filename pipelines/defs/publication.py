"""published and catalog: the shared CKAN catalogue, published by plan. Each member's
datasets in its organization (`published`, one partition per member); the committee's
organization and the pooled datasets (`catalog`)."""


import dagster as dg

from pipelines.defs.partitions import MEMBERS
from pipelines.defs.resources import (
    CatalogueResource,
    CommitteeResource,
    ObjectStoreResource,
    SupersetResource,
)
from pipelines.locks import exclusive, step_name
from pipelines.packs import EnabledPack
from pipelines.publishing import Publication, publish


@dg.asset(key="published", deps=["staged"], group_name="publication", kinds={"ckan"}, partitions_def=MEMBERS,
          pool="ckan")
def published(
    context: dg.AssetExecutionContext,
    committee: CommitteeResource,
    object_store: ObjectStoreResource,
    catalogue: CatalogueResource,
) -> dg.MaterializeResult:
    """The members' publishable datasets in their CKAN organizations; withheld ones archived.
    In a run over several members, one plan for all of them (CKAN's workers kept busy across
    members), each member under its lock; a member whose staging found personal data nobody
    decided on is left as it stands in CKAN (the blocking check's effect, member by member)."""
    members = list(context.partition_keys)
    with exclusive(*(step_name("published", member) for member in members)):
        result = publish(object_store.store(), committee.load(), catalogue.client(),
                         list(committee.packs().values()), workers=catalogue.workers, members=members,
                         pooled=False, stop_undecided=True)
    for member in result.stopped:
        context.log.warning(f"{member}: publication stopped (personal data without a committee decision)")
    return _report(context, result)


def catalog_asset(packs: list[EnabledPack]) -> dg.AssetsDefinition:
    @dg.asset(key="catalog", deps=[["downloads", p.name] for p in packs],
              group_name="publication", kinds={"ckan"}, pool="ckan")
    def catalog(
        context: dg.AssetExecutionContext,
        committee: CommitteeResource,
        object_store: ObjectStoreResource,
        catalogue: CatalogueResource,
        superset: SupersetResource,
    ) -> dg.MaterializeResult:
        """The committee's organization and its pooled datasets, with links to the lead dashboards."""
        with exclusive("catalog"):
            result = publish(object_store.store(), committee.load(), catalogue.client(),
                             list(committee.packs().values()), superset.url, workers=catalogue.workers, members=[])
        return _report(context, result)

    return catalog


def _report(context: dg.AssetExecutionContext, result: Publication) -> dg.MaterializeResult:
    for name in result.withheld:
        context.log.warning(f"{name}: withheld (personal data: the committee keeps it out)")
    for line in result.sharing.failed:
        context.log.error(f"members-only readers not set (retried next run): {line}")
    plan = result.plan
    return dg.MaterializeResult(metadata={
        "created": len(plan["create"]), "updated": len(plan["update"]),
        "uploaded": len(plan["upload"]), "relabelled": len(plan["relabel"]),
        "unchanged": len(plan["unchanged"]), "archived": len(plan["archive"]), "removed": len(plan["remove"]),
        "failed": dg.MetadataValue.json(plan["failed"]), "withheld": dg.MetadataValue.json(result.withheld),
        "organizations_created": dg.MetadataValue.json(result.organizations_created),
        # Members-only datasets: who was given or lost read access (CKAN user ids), and failures.
        "shared": dg.MetadataValue.json({"datasets": result.sharing.datasets, "granted": result.sharing.granted,
                                         "revoked": result.sharing.revoked, "failed": result.sharing.failed}),
        "plan": dg.MetadataValue.json(plan),
        "stopped_members": dg.MetadataValue.json(result.stopped),
    })
