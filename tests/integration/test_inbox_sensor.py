"""The inbox sensor on the real object store: a dropped file asks for a run, once; a
changed file asks for a new one."""

from __future__ import annotations

import dagster as dg
import pytest

from connectors.objectstore import object_key
from pipelines.defs.automation import inbox_sensor
from pipelines.defs.resources import ObjectStoreResource
from tests.conftest import stack_setting


@pytest.fixture
def drop(store, unique):
    """Where a test commune drops its file; removed after the test."""
    key = object_key("inbox", f"sensor-{unique}", "releves_compteurs.csv")
    yield key
    for obj in store.list(f"inbox/sensor-{unique}/"):
        store.client.remove_object(store.bucket, obj.key)


def evaluate(cursor: str | None) -> tuple[dg.RunRequest | dg.SkipReason, str | None]:
    object_store = ObjectStoreResource(
        endpoint=stack_setting("HUB_S3_ENDPOINT"),
        access_key=stack_setting("HUB_S3_ACCESS_KEY"),
        secret_key=stack_setting("HUB_S3_SECRET_KEY"),
        bucket=stack_setting("HUB_S3_BUCKET"),
    )
    context = dg.build_sensor_context(cursor=cursor, resources={"object_store": object_store})
    return inbox_sensor(context), context.cursor


def test_a_new_file_runs_once_and_a_changed_file_runs_again(store, drop):
    _, before = evaluate(None)  # whatever the inbox already holds

    store.put_bytes(drop, b"compteur;volume\nC1;120\n", "text/csv")
    dropped, after_drop = evaluate(before)
    unchanged, after_nothing = evaluate(after_drop)
    store.put_bytes(drop, b"compteur;volume\nC1;125\n", "text/csv")
    changed, _ = evaluate(after_nothing)

    assert isinstance(dropped, dg.RunRequest)
    assert dropped.tags["inbox_files"] == drop
    assert isinstance(unchanged, dg.SkipReason)
    assert "no new or changed file" in unchanged.skip_message
    assert after_nothing == after_drop
    assert isinstance(changed, dg.RunRequest)
    assert changed.tags["inbox_files"] == drop
    assert changed.run_key != dropped.run_key
