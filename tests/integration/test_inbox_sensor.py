"""The inbox sensor on the real object store: a file dropped in a member's inbox asks for a
run of that member, once; a changed file asks for a new one; a file outside any member's
folder asks for nothing."""

from __future__ import annotations

import dagster as dg
import pytest

from connectors.objectstore import object_key
from pipelines.defs.automation import inbox_sensor
from pipelines.defs.partitions import MEMBERS
from pipelines.defs.resources import ObjectStoreResource
from tests.conftest import stack_setting


@pytest.fixture
def drop(store, unique):
    """Where a test commune drops its file; removed after the test."""
    key = object_key("inbox", f"sensor-{unique}", "releves_compteurs.csv")
    yield key
    for obj in store.list(f"inbox/sensor-{unique}/"):
        store.client.remove_object(store.bucket, obj.key)


@pytest.fixture
def instance(unique):
    """An instance whose member partitions are the test commune alone."""
    with dg.instance_for_test() as found:
        found.add_dynamic_partitions(MEMBERS.name, [f"sensor-{unique}"])
        yield found


def evaluate(instance, cursor: str | None) -> tuple[list[dg.RunRequest] | dg.SkipReason, str | None]:
    object_store = ObjectStoreResource(
        endpoint=stack_setting("HUB_S3_ENDPOINT"),
        access_key=stack_setting("HUB_S3_ACCESS_KEY"),
        secret_key=stack_setting("HUB_S3_SECRET_KEY"),
        bucket=stack_setting("HUB_S3_BUCKET"),
    )
    context = dg.build_sensor_context(cursor=cursor, instance=instance, resources={"object_store": object_store})
    return inbox_sensor(context), context.cursor


def test_a_new_file_runs_its_member_once_and_a_changed_file_runs_it_again(store, drop, instance, unique):
    _, before = evaluate(instance, None)  # whatever the inbox already holds

    store.put_bytes(drop, b"compteur;volume\nC1;120\n", "text/csv")
    [dropped], after_drop = evaluate(instance, before)
    unchanged, after_nothing = evaluate(instance, after_drop)
    store.put_bytes(drop, b"compteur;volume\nC1;125\n", "text/csv")
    [changed], _ = evaluate(instance, after_nothing)

    assert dropped.partition_key == f"sensor-{unique}" and dropped.tags["inbox_files"] == drop
    assert isinstance(unchanged, dg.SkipReason)
    assert "no new or changed file" in unchanged.skip_message
    assert after_nothing == after_drop
    assert changed.partition_key == f"sensor-{unique}" and changed.tags["inbox_files"] == drop
    assert changed.run_key != dropped.run_key


def test_a_file_outside_any_members_folder_asks_for_nothing(store, instance, unique):
    _, before = evaluate(instance, None)
    stray = object_key("inbox", f"stray-{unique}", "x.csv")
    store.put_bytes(stray, b"a;b\n1;2\n", "text/csv")
    try:
        skipped, _ = evaluate(instance, before)
        assert isinstance(skipped, dg.SkipReason)
    finally:
        store.client.remove_object(store.bucket, stray)
