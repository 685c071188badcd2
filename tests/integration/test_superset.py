from datetime import date
from urllib.parse import urlsplit

import polars as pl

from catalog.pooled import WATER_VOLUMES, PooledTable
from pipelines.dashboards import lead_user_password, publish_lead_dashboard
from pipelines.superset import Superset
from pipelines.warehouse import grant_lead, lead_access, load_pooled
from tests.conftest import stack_setting

# Fixed names: a re-run re-imports in place (uuid5), so tests never pile up dashboards.
TABLE = PooledTable(name="test_water_volumes", title="t", description="d", columns=WATER_VOLUMES.columns,
                    primary_key=WATER_VOLUMES.primary_key)


def test_dashboard_as_code_returns_rows_and_lead_sees_only_its_communes():
    url = stack_setting("HUB_WAREHOUSE_URL")
    frame = pl.DataFrame({
        "code_insee": ["56007", "56046", "56186"], "commune": ["Auray", "Crach", "Quiberon"],
        "mois": [date(2024, 1, 1)] * 3, "volume_distribue_m3": [100.0, 200.0, 300.0],
        "volume_facture_m3": [90.0, 150.0, 270.0], "member": ["auray", "crach", "quiberon"],
    })
    load_pooled(url, TABLE, frame)
    access = lead_access(url, "tdh-test", ("56007", "56046"))
    grant_lead(url, TABLE, access)

    admin = Superset(stack_setting("HUB_SUPERSET_URL"), stack_setting("HUB_SUPERSET_USER"),
                     stack_setting("HUB_SUPERSET_PASSWORD"))
    target = urlsplit(url)
    password = lead_user_password(stack_setting("HUB_SUPERSET_PASSWORD"), "tdh-test")
    board = publish_lead_dashboard(admin, "Test", access, TABLE, target.hostname, target.port,
                                   target.path.lstrip("/"), password)
    again = publish_lead_dashboard(admin, "Test", access, TABLE, target.hostname, target.port,
                                   target.path.lstrip("/"), password)
    assert again.chart_ids == board.chart_ids and again.dataset_id == board.dataset_id  # no duplicate
    assert len(board.chart_ids) == 3

    by_commune = next(c for c in board.chart_ids if any("code_insee" in r for r in admin.chart_data(c)))
    rows = admin.chart_data(by_commune)
    # The PostgreSQL role already hides Quiberon, even from Superset's admin.
    assert sorted(r["code_insee"] for r in rows) == ["56007", "56046"]
    crach = next(r for r in rows if r["code_insee"] == "56046")
    assert abs(crach["rendement"] - 0.75) < 1e-9

    lead = Superset(stack_setting("HUB_SUPERSET_URL"), board.username, password)
    assert sorted(r["code_insee"] for r in lead.chart_data(by_commune)) == ["56007", "56046"]
