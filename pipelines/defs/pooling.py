"""pooled/<pack>, downloads/<pack> and warehouse/<pack>: every member's conformant files of
one pack's schema, merged; the single files the catalogue offers; the PostgreSQL table and
each lead's views of it. Three assets per pack the committee enables."""


from functools import partial

import dagster as dg

from connectors.handoffs import PooledState
from pipelines.defs.resources import CommitteeResource, ObjectStoreResource, WarehouseResource
from pipelines.locks import exclusive, step_name
from pipelines.packs import EnabledPack
from pipelines.pooling import pool_pack, read_part, write_downloads
from pipelines.warehouse import grant_lead, lead_access, load_table


def pooled_asset(pack: EnabledPack) -> dg.AssetsDefinition:
    @dg.asset(key=["pooled", pack.name], deps=["staged"], group_name="pooling", kinds={"polars", "parquet"},
              description=pack.pack.description, pool=f"pooling_{pack.name}")
    def _pooled(committee: CommitteeResource, object_store: ObjectStoreResource) -> dg.MaterializeResult:
        with exclusive(step_name("pooled", pack.name)):
            result = pool_pack(object_store.store(), committee.load(), committee.pack(pack.name))
        return dg.MaterializeResult(metadata={
            "rows": result.rows, "members": dg.MetadataValue.json(result.members),
            "reread": dg.MetadataValue.json(result.reread), "changed": result.changed, "sha256": result.sha256,
            "excluded": dg.MetadataValue.json(result.excluded),
        })

    return _pooled


def downloads_asset(pack: EnabledPack) -> dg.AssetsDefinition:
    @dg.asset(key=["downloads", pack.name], deps=[["pooled", pack.name]], group_name="pooling",
              kinds={"parquet", "csv"}, pool=f"downloads_{pack.name}")
    def _downloads(committee: CommitteeResource, object_store: ObjectStoreResource) -> dg.MaterializeResult:
        """The pooled table as one Parquet and one CSV file for the catalogue, streamed from the
        members' parts when the table changed (a cost that grows with the whole table)."""
        with exclusive(step_name("downloads", pack.name)):
            done = write_downloads(object_store.store(), committee.pack(pack.name))
        return dg.MaterializeResult(metadata={"written": done is not None, "rows": done.rows if done else None})

    return _downloads


def warehouse_asset(pack: EnabledPack) -> dg.AssetsDefinition:
    @dg.asset(key=["warehouse", pack.name], deps=[["pooled", pack.name]], group_name="warehouse",
              kinds={"postgres"}, pool=f"warehouse_{pack.name}")
    def _warehouse(
        committee: CommitteeResource, object_store: ObjectStoreResource, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        """The pooled table in PostgreSQL (only changed members' rows replaced), and each lead's views."""
        config, enabled = committee.load(), committee.pack(pack.name)
        store = object_store.store()
        state = PooledState.read(store, pack.name) or PooledState()
        parts = {member: part.part_sha256 for member, part in state.with_rows().items()}
        leads = {}
        with exclusive(step_name("warehouse", pack.name)):
            rows = load_table(warehouse.url, enabled, parts, partial(read_part, store, enabled))
            for lead in config.leads:
                members = [config.member(m) for m in lead.members]
                access = lead_access(warehouse.url, lead.member, tuple(m.insee for m in members if m.insee),
                                     tuple(m.siren for m in members))
                grant_lead(warehouse.url, enabled, access)
                leads[lead.member] = {"role": access.role, "communes": list(access.communes)}
        return dg.MaterializeResult(metadata={
            "loaded": rows is not None, "rows": rows if rows is not None else state.rows,
            "leads": dg.MetadataValue.json(leads)})

    return _warehouse
