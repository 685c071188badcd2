"""A water-network dashboard for each lead collectivity, as code, with its own access.

Each lead gets, in Superset: a database connection that logs into the warehouse as the
lead's own PostgreSQL role (which only sees its members' rows), a dataset on the lead's
view, charts, a dashboard; a Superset role allowed that dataset only, a user holding it,
and a row-level-security rule repeating the boundary. UUIDs are uuid5 of logical names,
so each run re-imports in place.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

from catalog.pooled import PooledTable
from pipelines.superset import Superset, bundle_uuid
from pipelines.warehouse import LeadAccess

MASK = "XXXXXXXXXX"  # Superset's placeholder: the real password travels in `passwords`
METRICS = [
    {"metric_name": "rendement", "verbose_name": "Rendement du réseau", "d3format": ".1%",
     "expression": "SUM(volume_facture_m3) / NULLIF(SUM(volume_distribue_m3), 0)"},
    {"metric_name": "pertes_m3", "verbose_name": "Pertes (m3)", "d3format": ",.0f",
     "expression": "SUM(volume_distribue_m3) - SUM(volume_facture_m3)"},
    {"metric_name": "distribue_m3", "verbose_name": "Distribué (m3)", "d3format": ",.0f",
     "expression": "SUM(volume_distribue_m3)"},
    {"metric_name": "facture_m3", "verbose_name": "Facturé (m3)", "d3format": ",.0f",
     "expression": "SUM(volume_facture_m3)"},
]
COLUMNS = [
    {"column_name": "code_insee", "type": "TEXT", "groupby": True, "filterable": True},
    {"column_name": "commune", "type": "TEXT", "groupby": True, "filterable": True},
    {"column_name": "member", "type": "TEXT", "groupby": True, "filterable": True},
    {"column_name": "mois", "type": "DATE", "is_dttm": True, "groupby": True, "filterable": True},
    {"column_name": "volume_distribue_m3", "type": "DOUBLE PRECISION"},
    {"column_name": "volume_facture_m3", "type": "DOUBLE PRECISION"},
]


@dataclass(frozen=True)
class LeadDashboard:
    lead: str
    title: str
    slug: str
    username: str
    chart_ids: tuple[int, ...]
    dataset_id: int


def lead_user_password(admin_password: str, lead: str) -> str:
    """Per-installation password of a lead's Superset user, derived, never stored."""
    return hmac.new(admin_password.encode(), f"superset-lead:{lead}".encode(), hashlib.sha256).hexdigest()[:24]


def _table_chart(name: str, title: str, dataset_uuid: str, groupby: list[str], metrics: list[str],
                 orderby: list) -> tuple[str, dict]:
    form = {"datasource": "0__table", "viz_type": "table", "query_mode": "aggregate", "groupby": groupby,
            "metrics": metrics, "adhoc_filters": [], "row_limit": 1000, "order_desc": True}
    context = {"datasource": {"id": 0, "type": "table"}, "force": False,
               "queries": [{"columns": groupby, "metrics": metrics, "orderby": orderby, "filters": [],
                            "extras": {}, "row_limit": 1000}],
               "form_data": form, "result_format": "json", "result_type": "full"}
    chart_uuid = bundle_uuid(dataset_uuid, name)
    return chart_uuid, {"slice_name": title, "viz_type": "table", "params": form,
                        "query_context": json.dumps(context), "uuid": chart_uuid,
                        "dataset_uuid": dataset_uuid, "version": "1.0.0"}


def _monthly_line_chart(name: str, title: str, dataset_uuid: str, metric: str) -> tuple[str, dict]:
    """One line per commune over the months: where the network loses water, and when."""
    form = {"datasource": "0__table", "viz_type": "echarts_timeseries_line", "x_axis": "mois",
            "time_grain_sqla": "P1M", "metrics": [metric], "groupby": ["commune"], "adhoc_filters": [],
            "row_limit": 10000, "y_axis_format": ".0%", "show_legend": True, "rich_tooltip": True}
    axis = {"columnType": "BASE_AXIS", "sqlExpression": "mois", "label": "mois", "expressionType": "SQL",
            "timeGrain": "P1M"}
    context = {"datasource": {"id": 0, "type": "table"}, "force": False,
               "queries": [{"columns": [axis, "commune"], "metrics": [metric], "orderby": [[metric, False]],
                            "filters": [], "extras": {"time_grain_sqla": "P1M"}, "row_limit": 10000,
                            "series_columns": ["commune"],
                            "post_processing": [{"operation": "pivot", "options": {
                                "index": ["mois"], "columns": ["commune"],
                                "aggregates": {metric: {"operator": "mean"}}, "drop_missing_columns": False}},
                                {"operation": "flatten"}]}],
               "form_data": form, "result_format": "json", "result_type": "full"}
    chart_uuid = bundle_uuid(dataset_uuid, name)
    return chart_uuid, {"slice_name": title, "viz_type": "echarts_timeseries_line", "params": form,
                        "query_context": json.dumps(context), "uuid": chart_uuid,
                        "dataset_uuid": dataset_uuid, "version": "1.0.0"}


def lead_bundle(lead_name: str, access: LeadAccess, table: PooledTable, host: str, port: int,
                database: str) -> tuple[dict[str, dict], dict[str, str], str]:
    """The assets bundle of one lead: files by path, passwords by path, dashboard slug."""
    db_name = f"Entrepôt - {lead_name}"
    db_file = f"databases/warehouse_{access.role}.yaml"
    db_uuid = bundle_uuid("database", access.role)
    dataset_uuid = bundle_uuid("dataset", access.role, table.name)
    files: dict[str, dict] = {
        "metadata.yaml": {"version": "1.0.0", "type": "assets", "timestamp": "2026-01-01T00:00:00+00:00"},
        db_file: {"database_name": db_name,
                  "sqlalchemy_uri": f"postgresql+psycopg2://{access.role}:{MASK}@{host}:{port}/{database}",
                  "expose_in_sqllab": True, "allow_dml": False, "extra": {}, "uuid": db_uuid, "version": "1.0.0"},
        f"datasets/warehouse_{access.role}/{table.name}.yaml": {
            "table_name": table.name, "schema": access.role, "main_dttm_col": "mois", "uuid": dataset_uuid,
            "database_uuid": db_uuid, "version": "1.0.0", "metrics": METRICS, "columns": COLUMNS},
    }
    charts = [
        _table_chart("rendement_par_commune", f"Rendement par commune - {lead_name}", dataset_uuid,
                     ["code_insee", "commune"], ["rendement", "pertes_m3", "distribue_m3", "facture_m3"],
                     [["rendement", True]]),
        _table_chart("volumes_par_mois", f"Volumes mensuels - {lead_name}", dataset_uuid,
                     ["mois"], ["distribue_m3", "facture_m3", "rendement"], [["mois", True]]),
        _monthly_line_chart("rendement_mensuel", f"Rendement mensuel par commune - {lead_name}", dataset_uuid,
                            "rendement"),
    ]
    # Two tables side by side on the first row, the monthly lines across the second.
    rows = {"ROW-1": [0, 1], "ROW-2": [2]}
    position = {"DASHBOARD_VERSION_KEY": "v2",
                "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
                "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": list(rows), "parents": ["ROOT_ID"]}}
    for row, members in rows.items():
        position[row] = {"type": "ROW", "id": row, "children": [f"CHART-{i}" for i in members],
                         "parents": ["ROOT_ID", "GRID_ID"], "meta": {"background": "BACKGROUND_TRANSPARENT"}}
        for index in members:
            chart_uuid, chart = charts[index]
            files[f"charts/{access.role}_{index}.yaml"] = chart
            position[f"CHART-{index}"] = {
                "type": "CHART", "id": f"CHART-{index}", "children": [], "parents": ["ROOT_ID", "GRID_ID", row],
                "meta": {"chartId": 0, "uuid": chart_uuid, "sliceName": chart["slice_name"],
                         "width": 12 // len(members), "height": 60}}
    slug = f"eau-{access.lead}"
    files[f"dashboards/{slug}.yaml"] = {
        "dashboard_title": f"Eau potable : rendement des réseaux - {lead_name}", "slug": slug,
        "uuid": bundle_uuid("dashboard", access.role), "version": "1.0.0", "published": True,
        "position": position, "metadata": {"color_scheme": "supersetColors", "native_filter_configuration": []},
    }
    return files, {db_file: access.password}, slug


def publish_lead_dashboard(superset: Superset, lead_name: str, access: LeadAccess, table: PooledTable,
                           host: str, port: int, database: str, user_password: str) -> LeadDashboard:
    files, passwords, slug = lead_bundle(lead_name, access, table, host, port, database)
    superset.import_bundle(files, passwords)
    dashboard = superset.get(f"/api/v1/dashboard/{slug}")["result"]
    charts = superset.get(f"/api/v1/dashboard/{slug}/charts")["result"]
    db_name = f"Entrepôt - {lead_name}"
    dataset = next(d for d in superset.get("/api/v1/dataset/", params={
        "q": f"(filters:!((col:table_name,opr:eq,value:{table.name})),page_size:100)"})["result"]
        if d["schema"] == access.role)
    username = f"lead-{access.lead}"
    _grant_superset_access(superset, access, dataset["id"], db_name, table, username, user_password)
    return LeadDashboard(lead=access.lead, title=dashboard["dashboard_title"], slug=slug, username=username,
                         chart_ids=tuple(sorted(c["id"] for c in charts)), dataset_id=dataset["id"])


def _grant_superset_access(superset: Superset, access: LeadAccess, dataset_id: int, db_name: str,
                           table: PooledTable, username: str, password: str) -> None:
    role_name = f"Lead {access.lead}"
    role = superset.find_one("security/roles", "name", role_name)
    role_id = role["id"] if role else superset.post("/api/v1/security/roles/", json={"name": role_name})["id"]
    view = superset.find_one("security/resources", "name", f"[{db_name}].[{table.name}](id:{dataset_id})")
    permission = superset.find_one("security/permissions", "name", "datasource_access")
    pvms = superset.get("/api/v1/security/permissions-resources/", params={"q": (
        f"(filters:!((col:permission,opr:rel_o_m,value:{permission['id']}),"
        f"(col:view_menu,opr:rel_o_m,value:{view['id']})))")})["result"]
    superset.post(f"/api/v1/security/roles/{role_id}/permissions",
                  json={"permission_view_menu_ids": [p["id"] for p in pvms]})
    gamma = superset.find_one("security/roles", "name", "Gamma")
    user = superset.find_one("security/users", "username", username)
    body = {"first_name": "Chef de file", "last_name": access.lead, "email": f"{username}@hub.invalid",
            "active": True, "roles": [gamma["id"], role_id], "password": password}
    if user:
        superset.put(f"/api/v1/security/users/{user['id']}", json=body)
    else:
        superset.post("/api/v1/security/users/", json={"username": username, **body})
    # Defence in depth: the PostgreSQL role already filters; Superset filters again.
    codes = ", ".join(f"'{c}'" for c in access.communes)
    rule = {"name": f"lead {access.lead} communes", "filter_type": "Regular", "tables": [dataset_id],
            "roles": [role_id], "clause": f"code_insee IN ({codes})", "group_key": "commune"}
    existing = superset.find_one("rowlevelsecurity", "name", rule["name"])
    if existing:
        superset.put(f"/api/v1/rowlevelsecurity/{existing['id']}", json=rule)
    else:
        superset.post("/api/v1/rowlevelsecurity/", json=rule)
