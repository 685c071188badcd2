from datetime import date

import polars as pl
import psycopg
import pytest
from psycopg import sql

from catalog.pooled import PooledTable
from pipelines.warehouse import grant_lead, lead_access, load_pooled
from tests.conftest import stack_setting


def test_each_lead_sees_only_its_members_rows(unique):
    url = stack_setting("HUB_WAREHOUSE_URL")
    table = PooledTable(name=f"test_volumes_{unique}", title="t", description="d",
                        columns={"code_insee": pl.String(), "mois": pl.Date(), "volume_distribue_m3": pl.Float64()},
                        primary_key=("code_insee", "mois"))
    frame = pl.DataFrame({"code_insee": ["56007", "56046", "56186"], "mois": [date(2024, 1, 1)] * 3,
                          "volume_distribue_m3": [1.0, 2.0, 3.0], "member": ["auray", "crach", "quiberon"]})
    assert load_pooled(url, table, frame) == 3
    assert load_pooled(url, table, frame) == 3  # a reload replaces, never appends

    access = lead_access(url, f"test-{unique}", ("56007", "56046"))
    grant_lead(url, table, access)
    grant_lead(url, table, access)  # idempotent
    with psycopg.connect(access.url(url)) as conn:
        view = sql.Identifier(access.role, table.name)
        rows = conn.execute(sql.SQL("SELECT code_insee FROM {} ORDER BY 1").format(view)).fetchall()
        assert rows == [("56007",), ("56046",)]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier("pooled", table.name)))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP VIEW "{access.role}"."{table.name}"')
        conn.execute(f'DROP SCHEMA "{access.role}"')
        conn.execute(f'DROP TABLE pooled."{table.name}"')
        conn.execute(f'DROP ROLE "{access.role}"')
