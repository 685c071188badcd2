"""dashboards: each lead collectivity's dashboards, one per pack, over its members' rows only."""


from urllib.parse import urlsplit

import dagster as dg
import psycopg

from connectors.handoffs import layout
from pipelines.dashboards import (
    grant_superset_access,
    lead_user_password,
    publish_pack_dashboard,
    retire_superset_lead,
)
from pipelines.defs.resources import CommitteeResource, ObjectStoreResource, SupersetResource, WarehouseResource
from pipelines.locks import exclusive
from pipelines.packs import EnabledPack
from pipelines.superset import Superset, SupersetError
from pipelines.warehouse import lead_access, lead_datasets, retire_lead, view_name


def dashboards_asset(packs: list[EnabledPack]) -> dg.AssetsDefinition:
    @dg.asset(key="dashboards", deps=[["warehouse", p.name] for p in packs], group_name="dashboards",
              kinds={"superset"}, pool="superset")
    def dashboards(
        context: dg.AssetExecutionContext, committee: CommitteeResource, warehouse: WarehouseResource,
        superset: SupersetResource, object_store: ObjectStoreResource,
    ) -> dg.MaterializeResult:
        with exclusive("dashboards"):
            return _dashboards(context, committee, warehouse, superset, object_store)

    return dashboards


def _dashboards(context: dg.AssetExecutionContext, committee: CommitteeResource, warehouse: WarehouseResource,
                superset: SupersetResource, object_store: ObjectStoreResource) -> dg.MaterializeResult:
    config, enabled = committee.load(), committee.packs()
    client = Superset(superset.url, superset.username, superset.password)
    store = object_store.store()
    target = urlsplit(warehouse.url)
    published, imports, grants, failed = {}, 0, 0, []
    for lead in config.leads:
        members = [config.member(m) for m in lead.members]
        access = lead_access(warehouse.url, lead.member, tuple(m.insee for m in members if m.insee),
                             tuple(m.siren for m in members))
        lead_name = config.member(lead.member).name
        granted, boards = [], {}
        for pack in enabled.values():
            # One pack's failure (a Superset error, a broken view) leaves the others standing.
            try:
                # The views' columns, as the warehouse has them (the bundle lists them).
                datasets = lead_datasets(warehouse.url, pack, access)
                record_key = layout.dashboard_key(lead.member, pack.name)
                known = store.get_json(record_key, default={})
                board, record = publish_pack_dashboard(client, lead_name, access, pack, datasets,
                                                       target.hostname, target.port or 5432,
                                                       target.path.lstrip("/"), known)
            except (SupersetError, psycopg.Error) as exc:
                failed.append(f"{lead.member}/{pack.name}: {exc}")
                context.log.error(failed[-1])
                continue
            imports += board.imported
            if record != known:
                store.put_json(record_key, record)
            tenancy = pack.pack.tenancy.column
            for dataset_id, (view, columns) in zip(board.dataset_ids, datasets.items(), strict=True):
                granted.append((dataset_id, view_name(pack.name, view),
                                access.clause(pack) if tenancy in columns else None))
            boards[pack.name] = {"dashboard": f"{superset.url}/superset/dashboard/{board.slug}/",
                                 "title": board.title, "charts": list(board.chart_ids)}
        access_key = layout.lead_access_key(lead.member)
        known = store.get_json(access_key, default={}).get("access_sha256")
        user, digest = grant_superset_access(client, lead_name, access,
                                             lead_user_password(superset.password, lead.member), granted, known)
        if digest != known:
            grants += 1
            store.put_json(access_key, {"access_sha256": digest})
        published[lead.member] = {"user": user, "dashboards": boards}
    _retire_former_leads(store, config, warehouse.url, client)
    if failed:  # after every other dashboard is done: the run says what did not work
        raise dg.Failure(description="; ".join(failed), metadata={"leads": dg.MetadataValue.json(published)})
    return dg.MaterializeResult(metadata={"leads": dg.MetadataValue.json(published), "imports": imports,
                                     "access_granted": grants})



def _retire_former_leads(store, config, warehouse_url: str, client: Superset) -> None:
    """Leads this committee had and no longer names lose their warehouse and Superset access.
    The list is kept per committee, so committees sharing a stack never retire each other's."""
    key = layout.leads_key(config.slug)
    current = sorted(lead.member for lead in config.leads)
    former = store.get_json(key, default={}).get("leads", [])
    for lead in sorted(set(former) - set(current)):
        retire_lead(warehouse_url, lead_access(warehouse_url, lead, ()))
        retire_superset_lead(client, lead)
        store.remove(layout.lead_access_key(lead))  # were it named again, it is granted again
    if former != current:
        store.put_json(key, {"leads": current})
