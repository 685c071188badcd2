"""pooled/<table>: every member's conformant file of one schema, merged; and its warehouse copy."""


import io

import dagster as dg
import polars as pl

from catalog.pooled import POOLED_TABLES, PooledTable
from pipelines.defs.resources import CommitteeResource, ObjectStoreResource, WarehouseResource
from pipelines.pooling import pool_members, pooled_key
from pipelines.warehouse import grant_lead, lead_access, load_pooled


def pooled_asset(table: PooledTable) -> dg.AssetsDefinition:
    @dg.asset(key=["pooled", table.name], deps=["staged"], group_name="pooling", kinds={"polars", "parquet"},
              description=table.description)
    def _pooled(committee: CommitteeResource, object_store: ObjectStoreResource) -> dg.MaterializeResult:
        members = {m.slug: m.insee for m in committee.load().members}
        result = pool_members(object_store.store(), members, table)
        return dg.MaterializeResult(metadata={
            "rows": result.rows, "members": dg.MetadataValue.json(result.members),
            "changed": result.changed, "sha256": result.sha256,
            "rejected": dg.MetadataValue.json(result.rejected),
        })

    return _pooled


def warehouse_asset(table: PooledTable) -> dg.AssetsDefinition:
    @dg.asset(key=["warehouse", table.name], deps=[["pooled", table.name]], group_name="warehouse",
              kinds={"postgres"})
    def _warehouse(
        committee: CommitteeResource, object_store: ObjectStoreResource, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        """The pooled table in PostgreSQL, and one filtered view per lead collectivity."""
        config = committee.load()
        frame = pl.read_parquet(io.BytesIO(object_store.store().get_bytes(pooled_key(table, "parquet"))))
        rows = load_pooled(warehouse.url, table, frame)
        leads = {}
        for lead in config.leads:
            communes = tuple(config.member(m).insee for m in lead.members if config.member(m).insee)
            access = lead_access(warehouse.url, lead.member, communes)
            grant_lead(warehouse.url, table, access)
            leads[lead.member] = {"role": access.role, "communes": list(access.communes)}
        return dg.MaterializeResult(metadata={"rows": rows, "leads": dg.MetadataValue.json(leads)})

    return _warehouse


pooled_assets = [pooled_asset(t) for t in POOLED_TABLES.values()]
warehouse_assets = [warehouse_asset(t) for t in POOLED_TABLES.values()]
