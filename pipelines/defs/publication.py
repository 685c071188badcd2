"""catalog: the shared CKAN catalogue, organizations and datasets, published by plan."""


import dagster as dg

from pipelines.defs.resources import (
    CatalogueResource,
    CommitteeResource,
    ObjectStoreResource,
    SupersetResource,
)
from pipelines.packs import EnabledPack
from pipelines.publishing import publish


def catalog_asset(packs: list[EnabledPack]) -> dg.AssetsDefinition:
    @dg.asset(key="catalog", deps=["staged", *[["downloads", p.name] for p in packs]],
              group_name="publication", kinds={"ckan"}, pool="ckan")
    def catalog(
        context: dg.AssetExecutionContext,
        committee: CommitteeResource,
        object_store: ObjectStoreResource,
        catalogue: CatalogueResource,
        superset: SupersetResource,
    ) -> dg.MaterializeResult:
        """Every publishable dataset in CKAN, each member in its organization, pooled ones in the committee's."""
        result = publish(object_store.store(), committee.load(), catalogue.client(),
                         list(committee.packs().values()), superset.url, workers=catalogue.workers)
        for name in result.withheld:
            context.log.warning(f"{name}: withheld, personal data without exemption")
        plan = result.plan
        return dg.MaterializeResult(metadata={
            "created": len(plan["create"]), "updated": len(plan["update"]),
            "uploaded": len(plan["upload"]), "relabelled": len(plan["relabel"]),
            "unchanged": len(plan["unchanged"]), "archived": len(plan["archive"]), "removed": len(plan["remove"]),
            "failed": dg.MetadataValue.json(plan["failed"]), "withheld": dg.MetadataValue.json(result.withheld),
            "organizations_created": dg.MetadataValue.json(result.organizations_created),
            "plan": dg.MetadataValue.json(plan),
        })

    return catalog
