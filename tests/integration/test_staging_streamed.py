"""The streaming path against the stack's object store: the raw object downloaded to disk
in chunks, the staged files uploaded from disk, the same as the in-memory path's."""

import pytest

from connectors.handoffs.layout import manifest_key, staged_key
from connectors.landing import land_bytes
from pipelines import staging
from pipelines.staging import stage_member
from tests.conftest import SAMPLES

SAMPLE = "scdl_budget_crach_CA2021.csv"


@pytest.fixture
def members(store, unique):
    made = [f"test-{unique}-memory", f"test-{unique}-streamed"]
    yield made
    for member in made:
        for prefix in (f"raw/{member}/", f"staged/{member}/"):
            for obj in list(store.list(prefix)):
                store.remove(obj.key)


def _stage(store, member: str) -> dict:
    data = (SAMPLES / SAMPLE).read_bytes()
    key, sha256, _ = land_bytes(store, member, data, "CSV")
    landing = {"member": member, "dataset": "budget", "resource": "ca2021", "key": key, "sha256": sha256,
               "size": len(data), "format": "CSV", "name": SAMPLE, "fetched_at": "2026-01-01T00:00:00+00:00"}
    store.put_json(manifest_key(member), {"datasets": {"budget": {
        "status": "present", "override": {}, "resources": {"ca2021": landing}}}})
    result = stage_member(store, member, b"pseudonymisation-key-of-the-test")
    assert result.staged == 1 and not result.failures, result.failures
    return store.get_json(staged_key(member, "budget", "ca2021", "json"))


def test_a_file_above_the_budget_is_staged_through_disk_as_in_memory(store, members, monkeypatch):
    in_memory = _stage(store, members[0])
    monkeypatch.setattr(staging, "MEMORY_BUDGET", len((SAMPLES / SAMPLE).read_bytes()) - 1)
    streamed = _stage(store, members[1])
    assert streamed["normalisation"].pop("streamed") is True and "streamed" not in in_memory["normalisation"]
    for report, member in ((in_memory, members[0]), (streamed, members[1])):
        assert report.pop("source_key").startswith(f"raw/{member}/")
        written = report.pop("written_sha256", {})
        assert {key.rsplit("/", 1)[1] for key in written} <= {"ca2021.csv", "ca2021.parquet"}
    assert streamed == in_memory
    csv = [store.get_bytes(staged_key(member, "budget", "ca2021", "csv")) for member in members]
    assert csv[0] == csv[1] and csv[0].startswith(b"bgt_natdec,")
