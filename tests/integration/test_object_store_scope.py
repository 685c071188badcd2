"""The hub's S3 key is scoped to the hub's bucket (SECURITY.md: its own access key with a
bucket-scoped policy, never a root key): it reads, writes, lists and deletes there, and is
refused creating a bucket, writing to another bucket or opening its bucket with a policy."""

import io
import json

import pytest
from minio import Minio
from minio.error import S3Error

from connectors.objectstore import object_key
from tests.conftest import stack_setting


@pytest.fixture(scope="module")
def hub_client() -> Minio:
    return Minio(stack_setting("HUB_S3_ENDPOINT"), access_key=stack_setting("HUB_S3_ACCESS_KEY"),
                 secret_key=stack_setting("HUB_S3_SECRET_KEY"), secure=False)


def test_hub_key_cannot_create_another_bucket(hub_client, unique):
    with pytest.raises(S3Error) as refused:
        hub_client.make_bucket(f"tdh-scope-{unique}")
    assert refused.value.code == "AccessDenied"


def test_hub_key_cannot_write_to_another_bucket(hub_client, unique):
    with pytest.raises(S3Error) as refused:
        hub_client.put_object(f"tdh-scope-{unique}", "x.txt", io.BytesIO(b"x"), 1)
    assert refused.value.code == "AccessDenied"


def test_hub_key_cannot_make_its_bucket_public(hub_client):
    bucket = stack_setting("HUB_S3_BUCKET")
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["s3:GetObject"],
        "Resource": [f"arn:aws:s3:::{bucket}/*"]}]}
    with pytest.raises(S3Error) as refused:
        hub_client.set_bucket_policy(bucket, json.dumps(policy))
    assert refused.value.code == "AccessDenied"


def test_hub_key_writes_reads_lists_deletes_in_its_bucket(store, unique):
    # `store` is ObjectStore.connect(...) with the hub's key: bucket_exists works scoped.
    key = object_key("tests", f"scope-{unique}", "probe.json")
    store.put_json(key, {"scope": unique})
    assert store.exists(key)
    assert store.get_json(key) == {"scope": unique}
    assert [o.key for o in store.list(f"tests/scope-{unique}/")] == [key]
    store.client.remove_object(store.bucket, key)
    assert not store.exists(key)
    assert list(store.list(f"tests/scope-{unique}/")) == []
