"""Entry point for `dagster dev -w workspace.yaml` and `tdh run`.

Member assets (raw, staged, published) have one partition per member; the graph has a
pooled, a downloads and a warehouse asset per pack the committee enables, so the
committee file ($HUB_COMMITTEE_FILE, else the demo's) is read when the definitions load.
"""

from __future__ import annotations

import dagster as dg

from pipelines.defs import automation, dashboards, gathering, pooling, projects, publication, staging
from pipelines.defs.resources import hub_resources
from pipelines.packs import committee_packs


@dg.definitions
def defs() -> dg.Definitions:
    packs = list(committee_packs().values())
    return dg.Definitions(
        assets=[gathering.raw, staging.staged, publication.published,
                *[pooling.pooled_asset(p) for p in packs], *[pooling.downloads_asset(p) for p in packs],
                *[pooling.warehouse_asset(p) for p in packs],
                publication.catalog_asset(packs), dashboards.dashboards_asset(packs), projects.ai_projects],
        jobs=[automation.member_job, automation.committee_job],
        schedules=[automation.daily],
        sensors=[automation.members_sensor, automation.inbox_sensor, automation.committee_sensor],
        resources=hub_resources(),
    )
