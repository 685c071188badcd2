"""ai_projects: the committee's library of AI projects in the shared catalogue, after its
data (the projects link to the datasets they use)."""


import dagster as dg

from pipelines.defs.resources import CatalogueResource, CommitteeResource
from pipelines.locks import exclusive
from pipelines.projects import publish_projects


@dg.asset(key="ai_projects", deps=["catalog"], group_name="publication", kinds={"ckan"}, pool="ckan")
def ai_projects(context: dg.AssetExecutionContext, committee: CommitteeResource,
                catalogue: CatalogueResource) -> dg.MaterializeResult:
    """Each project file of `projets-ia/` as a `projet-ia` dataset of its member, the CSV and
    JSON exports for the national library; projects whose file is gone archived."""
    with exclusive("ai_projects"):
        result = publish_projects(committee.load(), committee.path, list(committee.packs()), catalogue.client(),
                                  catalogue.url.rstrip("/"), workers=catalogue.workers)
    for line in result.missing_datasets:
        context.log.warning(f"{line}: not in the catalogue (yet): the project page links to it all the same")
    plan = result.plan
    return dg.MaterializeResult(metadata={
        "projects": dg.MetadataValue.json(result.projects),
        "created": len(plan["create"]), "updated": len(plan["update"]), "uploaded": len(plan["upload"]),
        "unchanged": len(plan["unchanged"]), "archived": len(plan["archive"]),
        "failed": dg.MetadataValue.json(plan["failed"]),
        "missing_datasets": dg.MetadataValue.json(result.missing_datasets),
        "plan": dg.MetadataValue.json(plan),
    })
