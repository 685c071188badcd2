import hashlib

import pytest

from connectors.landing import land_bytes
from connectors.objectstore import UnsafeKey, object_key


def test_put_get_list_and_immutable_raw(store, unique):
    key = object_key("tests", unique, "hello.json")
    store.put_json(key, {"commune": "Crach", "insee": "56046"})
    assert store.get_json(key) == {"commune": "Crach", "insee": "56046"}
    assert [o.key for o in store.list(f"tests/{unique}/")] == [key]

    data = f"code_insee;volume\n56046;12,5\n{unique}\n".encode()
    member = f"test-{unique}"  # never a demo member's prefix: the demo's bucket stays as it was
    first = land_bytes(store, member, data, "CSV")
    again = land_bytes(store, member, data, "CSV")
    assert first[0] == f"raw/{member}/{hashlib.sha256(data).hexdigest()}.csv"
    assert first[2] is True and again[2] is False  # content-addressed: written once
    assert store.get_bytes(first[0]) == data
    assert not store.exists(object_key("tests", unique, "absent.json"))
    for written in (key, first[0]):
        store.remove(written)
    assert not store.exists(key) and not store.exists(first[0])


@pytest.mark.parametrize("part", ["..", "../etc", "a/b", "/root", "x\x00", "Auray", ""])
def test_unsafe_key_parts_are_refused(part):
    with pytest.raises(UnsafeKey):
        object_key("raw", part, "file.csv")


def test_wrong_secret_is_refused(unique):
    from minio import Minio
    from minio.error import S3Error

    from tests.conftest import stack_setting

    client = Minio(stack_setting("HUB_S3_ENDPOINT"), access_key=stack_setting("HUB_S3_ACCESS_KEY"),
                   secret_key="not-the-secret-" + unique, secure=False)
    with pytest.raises(S3Error):
        client.list_objects(stack_setting("HUB_S3_BUCKET"), prefix="raw/").__next__()
