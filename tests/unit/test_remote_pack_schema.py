"""A pack's schema by URL: fetched once through the safe fetcher, cached, version pinned."""

import pytest

from catalog.validation import SchemaError
from connectors.http import FetchPolicy
from pipelines.schemas import cached_remote_schema
from tests.conftest import SAMPLES
from tests.standins.files import FileHost

PATH = "schemas/scdl/subventions/2.1.1/schema.json"
LOCAL = FetchPolicy(allow_private_hosts=frozenset({"127.0.0.1"}), retries=0)


def test_a_pinned_schema_is_fetched_once_then_read_from_the_cache(tmp_path):
    descriptor = (SAMPLES / "scdl_subventions_schema_v2.1.1.json").read_bytes()
    with FileHost({PATH: descriptor}) as host:
        first = cached_remote_schema(f"{host.url}/{PATH}", "2.1.1", tmp_path, LOCAL)
        again = cached_remote_schema(f"{host.url}/{PATH}", "2.1.1", tmp_path, LOCAL)
        assert host.paths() == [f"/{PATH}"]  # the second read came from the cache
    assert first.name == again.name == "subventions" and "montant" in first.field_names


def test_a_schema_whose_version_is_not_the_pinned_one_is_refused(tmp_path):
    descriptor = (SAMPLES / "scdl_subventions_schema_v2.1.1.json").read_bytes()
    with FileHost({PATH: descriptor}) as host:
        with pytest.raises(SchemaError, match=r"the schema's version is '2.1.1', the pack pins '2.2.0'"):
            cached_remote_schema(f"{host.url}/{PATH}", "2.2.0", tmp_path, LOCAL)
    assert not list(tmp_path.rglob("*.json"))  # nothing cached


def test_a_private_address_is_refused_without_an_allow_list(tmp_path):
    with FileHost({PATH: b"{}"}) as host, pytest.raises(Exception, match="127.0.0.1"):
        cached_remote_schema(f"{host.url}/{PATH}", "2.1.1", tmp_path)
