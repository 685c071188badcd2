"""Entry point for `dagster dev -w workspace.yaml` and `tdh run`."""

from __future__ import annotations

import dagster as dg

from pipelines.defs import automation, dashboards, gathering, pooling, publication, staging
from pipelines.defs.resources import hub_resources


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[gathering.raw, staging.staged, *pooling.pooled_assets, *pooling.warehouse_assets,
                publication.catalog, dashboards.dashboards],
        jobs=[automation.hub_job],
        schedules=[automation.daily],
        sensors=[automation.inbox_sensor],
        resources=hub_resources(),
    )
