"""Each lead collectivity's dashboards, generated from the packs, with its own access.

For every lead and every pack, an assets bundle: a database connection that logs into
the warehouse as the lead's own PostgreSQL role (which only sees its members' rows),
one dataset per table or view of the pack (columns as the warehouse has them, French
labels from the schema, the pack's measures as metrics), the pack's charts and layout,
and a commune filter. UUIDs are uuid5 of logical names, so a re-import updates in place;
a bundle whose hash did not change is not imported again.

Then, per lead: a Superset role allowed those datasets, its own database in SQL Lab and
nothing else, a user holding it, and row-level-security rules repeating the boundary.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

import yaml

from catalog.packs import Chart, Measure
from pipelines.packs import EnabledPack
from pipelines.superset import Superset, bundle_uuid
from pipelines.warehouse import LeadAccess, view_name

MASK = "XXXXXXXXXX"  # Superset's placeholder: the real password travels in `passwords`
TEMPORAL = {"date", "timestamp with time zone", "timestamptz", "timestamp without time zone"}
HUB_LABELS = {"membre": "Membre", "collectivite": "Collectivité", "jeu_source": "Jeu de données source",
              "recu_le": "Reçu le"}
# What a lead's analysts need for SQL Lab, besides access to their own database.
SQL_LAB_PERMISSIONS = [("menu_access", "SQL Lab"), ("menu_access", "SQL Editor"), ("can_sqllab", "Superset"),
                       ("can_read", "SQLLab"), ("can_execute_sql_query", "SQLLab"), ("can_get_results", "SQLLab"),
                       ("can_export_csv", "SQLLab"), ("can_format_sql", "SQLLab"), ("can_read", "Query"),
                       ("can_activate", "TabStateView"), ("can_get", "TabStateView"), ("can_post", "TabStateView"),
                       ("can_put", "TabStateView"), ("can_delete", "TabStateView"),
                       ("can_delete_query", "TabStateView"), ("can_migrate_query", "TabStateView"),
                       ("can_sqllab_history", "Superset"), ("can_read", "SavedQuery"), ("can_write", "SavedQuery")]


@dataclass(frozen=True)
class PackDashboard:
    lead: str
    pack: str
    title: str
    slug: str
    chart_ids: tuple[int, ...]
    dataset_ids: tuple[int, ...]
    imported: bool  # False when the bundle was unchanged


def lead_user_password(admin_password: str, lead: str) -> str:
    """Per-installation password of a lead's Superset user, derived, never stored."""
    return hmac.new(admin_password.encode(), f"superset-lead:{lead}".encode(), hashlib.sha256).hexdigest()[:24]


def lead_username(lead: str) -> str:
    return f"lead-{lead}"


def database_name(lead_name: str) -> str:
    return f"Entrepôt - {lead_name}"


def dashboard_slug(pack: str, lead: str) -> str:
    return f"{pack.replace('_', '-')}-{lead}"


def _dataset_file(access: LeadAccess, pack: EnabledPack, view: str | None, columns: dict[str, str]) -> dict:
    titles = {f.name: f.title for f in pack.schema.fields if f.title}
    spec = next((v for v in pack.pack.views if v.name == view), None)
    measures: tuple[Measure, ...] = pack.pack.measures if view is None else spec.measures
    time_column = pack.pack.time_column if view is None else spec.time_column
    return {
        "table_name": view_name(pack.name, view), "schema": access.role,
        "description": pack.pack.title if view is None else spec.title,
        "main_dttm_col": time_column, "uuid": bundle_uuid("dataset", access.role, view_name(pack.name, view)),
        "database_uuid": bundle_uuid("database", access.role), "version": "1.0.0",
        "metrics": [{"metric_name": m.name, "verbose_name": m.label, "d3format": m.format, "expression": m.sql}
                    for m in measures] + [{"metric_name": "count", "verbose_name": "Nombre de lignes",
                                           "expression": "COUNT(*)", "d3format": ",d"}],
        "columns": [{"column_name": name, "type": kind.upper(), "is_dttm": kind in TEMPORAL,
                     "groupby": True, "filterable": True,
                     "verbose_name": _label(pack, name) or HUB_LABELS.get(name) or titles.get(name)}
                    for name, kind in columns.items()],
    }


def _label(pack: EnabledPack, column: str) -> str | None:
    spec = pack.pack.columns.get(column)
    return spec.label if spec else None


def _chart_file(chart: Chart, dataset_uuid: str, time_column: str | None, formats: dict[str, str],
                lead_name: str, pack: EnabledPack) -> dict:
    builders = {"big_number": _big_number, "time_series": _time_series, "bar": _bar, "table": _table}
    form, query = builders[chart.type](chart, time_column, formats)
    if chart.type == "table":  # numbers of raw columns are formatted only when told how
        form["column_config"] = {c: {"d3NumberFormat": pack.pack.columns[c].format}
                                 for c in (*chart.columns, *chart.group_by)
                                 if c in pack.pack.columns and pack.pack.columns[c].format}
    form = {"datasource": "0__table", "viz_type": form["viz_type"], "adhoc_filters": [],
            "row_limit": chart.row_limit, **form}
    query = {"filters": [], "extras": query.pop("extras", {}), "row_limit": chart.row_limit, **query}
    context = {"datasource": {"id": 0, "type": "table"}, "force": False, "queries": [query],
               "form_data": form, "result_format": "json", "result_type": "full"}
    return {"slice_name": chart.title, "description": f"{chart.title} ({lead_name})", "viz_type": form["viz_type"],
            "params": form, "query_context": json.dumps(context), "uuid": bundle_uuid(dataset_uuid, chart.name),
            "dataset_uuid": dataset_uuid, "version": "1.0.0"}


def _axis_format(chart: Chart, formats: dict[str, str]) -> str:
    return chart.format or formats.get(chart.metrics[0], ",.0f")


def _big_number(chart: Chart, time_column, formats):
    metric = chart.metrics[0]
    return ({"viz_type": "big_number_total", "metric": metric, "y_axis_format": _axis_format(chart, formats),
             "header_font_size": 0.4, "subheader_font_size": 0.15},
            {"columns": [], "metrics": [metric]})


def _base_axis(column: str, grain: str | None) -> dict:
    axis = {"columnType": "BASE_AXIS", "sqlExpression": column, "label": column, "expressionType": "SQL"}
    return axis | ({"timeGrain": grain} if grain else {})


def _series(chart: Chart, x: str, grain: str | None) -> dict:
    series = list(chart.group_by)
    query = {"columns": [_base_axis(x, grain), *series], "metrics": list(chart.metrics),
             "orderby": [[chart.metrics[0], False]], "series_columns": series,
             "post_processing": [{"operation": "pivot", "options": {
                 "index": [x], "columns": series, "drop_missing_columns": False,
                 "aggregates": {m: {"operator": "mean"} for m in chart.metrics}}}, {"operation": "flatten"}]}
    if grain:
        query["extras"] = {"time_grain_sqla": grain}
    return query


def _time_series(chart: Chart, time_column, formats):
    if not time_column:
        raise ValueError(f"chart {chart.name}: a time series needs a dataset with a time column")
    form = {"viz_type": "echarts_timeseries_line", "x_axis": time_column, "time_grain_sqla": chart.time_grain,
            "metrics": list(chart.metrics), "groupby": list(chart.group_by), "show_legend": True,
            "legendOrientation": "top", "rich_tooltip": True, "y_axis_format": _axis_format(chart, formats),
            "x_axis_time_format": chart.time_format or "%b %Y",
            "tooltipTimeFormat": "%d/%m/%Y %H:%M" if chart.time_grain == "PT1H" else "%B %Y",
            "markerEnabled": True, "markerSize": 4}
    return form, _series(chart, time_column, chart.time_grain)


def _bar(chart: Chart, time_column, formats):
    form = {"viz_type": "echarts_timeseries_bar", "x_axis": chart.x, "metrics": list(chart.metrics),
            "groupby": list(chart.group_by), "orientation": "vertical", "show_value": True,
            "y_axis_format": _axis_format(chart, formats), "x_axis_sort_asc": True,
            "show_legend": len(chart.metrics) > 1 or bool(chart.group_by), "legendOrientation": "top"}
    return form, _series(chart, chart.x, None)


def _table(chart: Chart, time_column, formats):
    # No search box: Superset 6.1's French catalogue translates its "%s record" as "%s Erreur".
    common = {"viz_type": "table", "table_timestamp_format": chart.time_format or "%d/%m/%Y", "page_length": 25,
              "include_search": False, "server_pagination": False, "show_cell_bars": False}
    ascending = chart.ascending
    if chart.metrics:
        order = chart.order_by or chart.metrics[0]
        form = {**common, "query_mode": "aggregate", "groupby": list(chart.group_by), "metrics": list(chart.metrics),
                "timeseries_limit_metric": order if order in chart.metrics else None, "order_desc": not ascending}
        return form, {"columns": list(chart.group_by), "metrics": list(chart.metrics),
                      "orderby": [[order, ascending]]}
    order = chart.order_by or chart.columns[0]
    form = {**common, "query_mode": "raw", "all_columns": list(chart.columns),
            "order_by_cols": [json.dumps([order, ascending])]}
    return form, {"columns": list(chart.columns), "metrics": [], "orderby": [[order, ascending]]}


def pack_bundle(lead_name: str, access: LeadAccess, pack: EnabledPack, datasets: dict[str | None, dict[str, str]],
                host: str, port: int, database: str) -> tuple[dict[str, dict], dict[str, str], str]:
    """The assets bundle of one pack for one lead: files by path, passwords by path, slug."""
    db_file = f"databases/warehouse_{access.role}.yaml"
    files: dict[str, dict] = {
        "metadata.yaml": {"version": "1.0.0", "type": "assets", "timestamp": "2026-01-01T00:00:00+00:00"},
        db_file: {"database_name": database_name(lead_name),
                  "sqlalchemy_uri": f"postgresql+psycopg2://{access.role}:{MASK}@{host}:{port}/{database}",
                  "expose_in_sqllab": True, "allow_dml": False, "allow_run_async": False, "extra": {},
                  "uuid": bundle_uuid("database", access.role), "version": "1.0.0"},
    }
    uuids, time_columns, formats = {}, {}, {}
    for view, columns in datasets.items():
        spec = _dataset_file(access, pack, view, columns)
        files[f"datasets/warehouse_{access.role}/{spec['table_name']}.yaml"] = spec
        uuids[view], time_columns[view] = spec["uuid"], spec["main_dttm_col"]
        formats[view] = {m["metric_name"]: m["d3format"] for m in spec["metrics"]}
    charts = {}
    for chart in pack.pack.dashboard.charts:
        charts[chart.name] = _chart_file(chart, uuids[chart.dataset], time_columns[chart.dataset],
                                         formats[chart.dataset], lead_name, pack)
        files[f"charts/{access.role}_{pack.name}_{chart.name}.yaml"] = charts[chart.name]
    slug = dashboard_slug(pack.name, access.lead)
    board = pack.pack.dashboard
    files[f"dashboards/{slug}.yaml"] = {
        "dashboard_title": f"{board.title} - {lead_name}", "slug": slug,
        "uuid": bundle_uuid("dashboard", access.role, pack.name), "version": "1.0.0", "published": True,
        "position": _position(board.layout, charts),
        "metadata": {"color_scheme": "supersetColors", "refresh_frequency": 0,
                     "native_filter_configuration": [_commune_filter(board.filter_column, board.filter_label,
                                                                     uuids[None])]},
    }
    return files, {db_file: access.password}, slug


def _position(layout, charts: dict[str, dict]) -> dict:
    position = {"DASHBOARD_VERSION_KEY": "v2",
                "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
                "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]}}
    for index, row in enumerate(layout):
        row_id = f"ROW-{index + 1}"
        position["GRID_ID"]["children"].append(row_id)
        position[row_id] = {"type": "ROW", "id": row_id, "children": [f"CHART-{n}" for n in row],
                            "parents": ["ROOT_ID", "GRID_ID"], "meta": {"background": "BACKGROUND_TRANSPARENT"}}
        big_numbers_only = all(charts[n]["viz_type"] == "big_number_total" for n in row)
        for name in row:
            position[f"CHART-{name}"] = {
                "type": "CHART", "id": f"CHART-{name}", "children": [], "parents": ["ROOT_ID", "GRID_ID", row_id],
                "meta": {"chartId": 0, "uuid": charts[name]["uuid"], "sliceName": charts[name]["slice_name"],
                         "width": 12 // len(row), "height": 30 if big_numbers_only else 60}}
    return position


def _commune_filter(column: str, label: str, dataset_uuid: str) -> dict:
    return {"id": "NATIVE_FILTER-commune", "name": label, "filterType": "filter_select", "type": "NATIVE_FILTER",
            "targets": [{"column": {"name": column}, "datasetUuid": dataset_uuid}],
            "controlValues": {"multiSelect": True, "enableEmptyFilter": False, "defaultToFirstItem": False,
                              "inverseSelection": False, "searchAllOptions": False},
            "defaultDataMask": {"filterState": {}, "extraFormData": {}, "ownState": {}},
            "cascadeParentIds": [], "scope": {"rootPath": ["ROOT_ID"], "excluded": []}, "description": ""}


def bundle_hash(files: dict[str, dict], passwords: dict[str, str]) -> str:
    """Keyed by the passwords: a new warehouse password (rotated owner password) re-imports
    the bundle, though its files did not change; the hash reveals nothing of them."""
    content = yaml.safe_dump(files, sort_keys=True, allow_unicode=True).encode()
    key = json.dumps(passwords, sort_keys=True).encode()
    return hmac.new(key, content, hashlib.sha256).hexdigest()


def publish_pack_dashboard(superset: Superset, lead_name: str, access: LeadAccess, pack: EnabledPack,
                           datasets: dict[str | None, dict[str, str]], host: str, port: int, database: str,
                           known: dict) -> tuple[PackDashboard, dict]:
    """Import the bundle unless Superset already has this very bundle. `known` is what the
    last run recorded (the bundle's hash and the ids Superset gave its objects); returns
    the dashboard and the record to keep."""
    files, passwords, slug = pack_bundle(lead_name, access, pack, datasets, host, port, database)
    digest = bundle_hash(files, passwords)
    unchanged = superset.find_one("dashboard", "slug", slug) is not None and digest == known.get("bundle_sha256")
    if unchanged and "dataset_ids" in known:
        # Re-imports overwrite by UUID and keep the objects' ids, so the recorded ones hold
        # (saves 2 + one per view calls a lead and pack, most of a no-op run's Superset time).
        return PackDashboard(lead=access.lead, pack=pack.name, title=known["title"], slug=slug,
                             chart_ids=tuple(known["chart_ids"]), dataset_ids=tuple(known["dataset_ids"]),
                             imported=False), known
    if not unchanged:
        superset.import_bundle(files, passwords)
    dashboard = superset.get(f"/api/v1/dashboard/{slug}")["result"]
    charts = superset.get(f"/api/v1/dashboard/{slug}/charts")["result"]
    dataset_ids = []
    for view in datasets:
        found = superset.get("/api/v1/dataset/", params={"q": (
            f"(filters:!((col:table_name,opr:eq,value:'{view_name(pack.name, view)}')),page_size:100)")})["result"]
        dataset_ids.append(next(d["id"] for d in found if d["schema"] == access.role))
    board = PackDashboard(lead=access.lead, pack=pack.name, title=dashboard["dashboard_title"], slug=slug,
                          chart_ids=tuple(sorted(c["id"] for c in charts)), dataset_ids=tuple(dataset_ids),
                          imported=not unchanged)
    return board, {"bundle_sha256": digest, "title": board.title, "chart_ids": list(board.chart_ids),
                   "dataset_ids": list(board.dataset_ids)}


def access_digest(lead_name: str, access: LeadAccess, password: str,
                  datasets: list[tuple[int, str, str | None]]) -> str:
    """What a lead's access is made of, keyed by its password (a new password grants again;
    the digest reveals nothing of it)."""
    content = json.dumps({"lead": lead_name, "role": access.role, "datasets": datasets,
                          "sql_lab": SQL_LAB_PERMISSIONS}, sort_keys=True).encode()
    return hmac.new(password.encode(), content, hashlib.sha256).hexdigest()


def grant_superset_access(superset: Superset, lead_name: str, access: LeadAccess, password: str,
                          datasets: list[tuple[int, str, str | None]], known: str | None = None) -> tuple[str, str]:
    """The lead's role (its datasets, its database in SQL Lab), user and RLS rules.

    `datasets`: (id, table name, RLS clause or None when the dataset has no tenancy column);
    `known`: the access digest the last grant recorded. Returns the username and the digest.
    When the digest is the same and the role and the active user are there, nothing is
    written: the grant is some 160 calls, 3 s of a no-op run (a permission edited by hand
    in Superset is put back when the access changes, or once the record is removed)."""
    role_name = f"Lead {access.lead}"
    username = lead_username(access.lead)
    digest = access_digest(lead_name, access, password, datasets)
    role = superset.find_one("security/roles", "name", role_name)
    if known == digest and role:
        user = superset.find_one("security/users", "username", username)
        if user and user.get("active", True):
            return username, digest
    role_id = role["id"] if role else superset.post("/api/v1/security/roles/", json={"name": role_name})["id"]
    db_name = database_name(lead_name)
    database = superset.find_one("database", "database_name", db_name)
    wanted = [("datasource_access", f"[{db_name}].[{table}](id:{ds})") for ds, table, _ in datasets]
    wanted += [("database_access", f"[{db_name}].(id:{database['id']})"), *SQL_LAB_PERMISSIONS]
    superset.post(f"/api/v1/security/roles/{role_id}/permissions",
                  json={"permission_view_menu_ids": _permission_views(superset, wanted)})
    gamma = superset.find_one("security/roles", "name", "Gamma")
    user = superset.find_one("security/users", "username", username)
    body = {"first_name": "Chef de file", "last_name": lead_name, "email": f"{username}@hub.invalid",
            "active": True, "roles": [gamma["id"], role_id], "password": password}
    if user:
        superset.put(f"/api/v1/security/users/{user['id']}", json=body)
    else:
        superset.post("/api/v1/security/users/", json={"username": username, **body})
    # Defence in depth: the PostgreSQL role already filters; Superset filters again.
    _row_level_rules(superset, access.lead, role_id, datasets)
    return username, digest


def _row_level_rules(superset: Superset, lead: str, role_id: int, datasets: list[tuple[int, str, str | None]]) -> None:
    """One rule per distinct clause; rules left over from a former set are deleted (rules
    sharing a group key are OR-ed by Superset: a stale one would widen the filter)."""
    by_clause: dict[str, list[int]] = {}
    for ds, _, clause in datasets:
        if clause:
            by_clause.setdefault(clause, []).append(ds)
    wanted = {}
    for index, (clause, ids) in enumerate(sorted(by_clause.items())):
        wanted[f"lead {lead} rule {index + 1}"] = {"filter_type": "Regular", "tables": sorted(ids),
                                                  "roles": [role_id], "clause": clause, "group_key": "tenancy"}
    prefix = f"lead {lead} rule ".replace("!", "!!").replace("'", "!'")
    held = superset.get("/api/v1/rowlevelsecurity/", params={"q": (
        f"(filters:!((col:name,opr:sw,value:'{prefix}')),page_size:100)")})["result"]
    for rule in held:
        if rule["name"] not in wanted:
            superset.delete(f"/api/v1/rowlevelsecurity/{rule['id']}")
    existing = {rule["name"]: rule["id"] for rule in held}
    for name, rule in wanted.items():
        if name in existing:
            superset.put(f"/api/v1/rowlevelsecurity/{existing[name]}", json={"name": name, **rule})
        else:
            superset.post("/api/v1/rowlevelsecurity/", json={"name": name, **rule})


def _permission_views(superset: Superset, wanted: list[tuple[str, str]]) -> list[int]:
    ids = []
    for permission_name, view_name_ in wanted:
        permission = superset.find_one("security/permissions", "name", permission_name)
        view = superset.find_one("security/resources", "name", view_name_)
        if not permission or not view:
            continue  # e.g. a menu this Superset version does not have
        found = superset.get("/api/v1/security/permissions-resources/", params={"q": (
            f"(filters:!((col:permission,opr:rel_o_m,value:{permission['id']}),"
            f"(col:view_menu,opr:rel_o_m,value:{view['id']})))")})["result"]
        ids.extend(p["id"] for p in found)
    return sorted(set(ids))


def retire_superset_lead(superset: Superset, lead: str) -> None:
    """A former lead's Superset user is deactivated, its role emptied, its rules deleted."""
    user = superset.find_one("security/users", "username", lead_username(lead))
    if user:
        superset.put(f"/api/v1/security/users/{user['id']}", json={"active": False})
    role = superset.find_one("security/roles", "name", f"Lead {lead}")
    if role:
        superset.post(f"/api/v1/security/roles/{role['id']}/permissions", json={"permission_view_menu_ids": []})
        _row_level_rules(superset, lead, role["id"], [])
