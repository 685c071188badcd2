"""dashboards: one Superset dashboard per lead collectivity, over its members' rows only."""


from urllib.parse import urlsplit

import dagster as dg

from catalog.pooled import WATER_VOLUMES
from pipelines.dashboards import lead_user_password, publish_lead_dashboard
from pipelines.defs.resources import CommitteeResource, SupersetResource, WarehouseResource
from pipelines.superset import Superset
from pipelines.warehouse import lead_access


@dg.asset(key="dashboards", deps=[["warehouse", WATER_VOLUMES.name]], group_name="dashboards",
          kinds={"superset"})
def dashboards(
    committee: CommitteeResource, warehouse: WarehouseResource, superset: SupersetResource
) -> dg.MaterializeResult:
    config = committee.load()
    client = Superset(superset.url, superset.username, superset.password)
    target = urlsplit(warehouse.url)
    published = {}
    for lead in config.leads:
        communes = tuple(config.member(m).insee for m in lead.members if config.member(m).insee)
        access = lead_access(warehouse.url, lead.member, communes)
        board = publish_lead_dashboard(
            client, config.member(lead.member).name, access, WATER_VOLUMES,
            target.hostname, target.port or 5432, target.path.lstrip("/"),
            lead_user_password(superset.password, lead.member),
        )
        published[lead.member] = {"dashboard": f"{superset.url}/superset/dashboard/{board.slug}/",
                                  "user": board.username, "charts": list(board.chart_ids)}
    return dg.MaterializeResult(metadata={"dashboards": dg.MetadataValue.json(published)})
