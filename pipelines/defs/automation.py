"""When the hub runs: a fixed daily hour, and as soon as a commune drops a file."""


import hashlib
import json

import dagster as dg

from pipelines.defs.resources import ObjectStoreResource

hub_job = dg.define_asset_job("hub_job", selection=dg.AssetSelection.all(),
                              description="Gather, normalise, publish, pool, load and chart everything.")

# A fixed hour in the committee's time zone, not a drifting interval (ckanext-harvest #559).
daily = dg.ScheduleDefinition(name="daily_gathering", job=hub_job, cron_schedule="0 6 * * *",
                              execution_timezone="Europe/Paris")


@dg.sensor(job=hub_job, minimum_interval_seconds=60)
def inbox_sensor(context: dg.SensorEvaluationContext, object_store: ObjectStoreResource):
    """A run when a file appears or changes under inbox/ (the drop folder of small communes)."""
    seen = json.loads(context.cursor) if context.cursor else {}
    # Upload time with the etag: a commune re-dropping an older version is a new drop too.
    current = {obj.key: f"{obj.etag}@{obj.last_modified}" for obj in object_store.store().list("inbox/")}
    changed = sorted(k for k, etag in current.items() if seen.get(k) != etag)
    context.update_cursor(json.dumps(current))
    if not changed:
        return dg.SkipReason("no new or changed file in inbox/")
    run_key = hashlib.sha256(json.dumps({k: current[k] for k in changed}).encode()).hexdigest()[:16]
    return dg.RunRequest(run_key=run_key, tags={"inbox_files": ",".join(changed)[:200]})
