"""`tdh run`'s question before starting Dagster: which members changed since their last
clean run (pipelines.settled). Members' files on a stand-in host that honours conditional
requests, a drop in an inbox, the in-memory bucket; the gathering is the hub's own."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from catalog.committee import Committee
from connectors.handoffs import layout
from connectors.objectstore import MemoryObjectStore
from pipelines.gathering import gather_member
from pipelines.settled import clean_members, inputs_digest, record_run, what_to_run
from tests.standins.files import FileHost

NOW = datetime(2026, 12, 5, 6, tzinfo=UTC)
LATER = NOW + timedelta(hours=20)  # the question comes later: the times of the checks differ
CATALOGUE = {"datasets": 3, "latest": ["crach-releves", "2026-12-05T06:00:01"]}
RELEVES = b"date;volume\n01/11/2026;12,5\n"
PISTES = b"commune;km\nPluvigner;12,5\n"


def _committee(host: FileHost) -> Committee:
    def member(slug: str, insee: str, siren: str, sources: list[dict]) -> dict:
        return {"slug": slug, "name": slug.capitalize(), "kind": "commune", "insee": insee, "siren": siren,
                "contact": f"donnees@{slug}.example.fr", "sources": sources}

    files = {"type": "files", "allow_private_network": True,
             "files": [{"id": "releves", "url": f"{host.url}/crach/releves.csv", "title": "Relevés"}]}
    return Committee.model_validate({"slug": "ctd-settled", "name": "Comité", "members": [
        member("crach", "56046", "215600461", [files]),
        member("pluvigner", "56177", "215601774", [{"type": "inbox"}]),
    ]})


class Snapshot(MemoryObjectStore):
    def keys(self) -> dict[str, str]:
        return {obj.key: obj.etag for obj in self.list("")}


@dataclass
class Outcome:
    """What `pipelines.runner.RunOutcome` holds that the record reads."""

    success: bool = True
    metadata: dict = field(default_factory=dict)


@pytest.fixture
def hub():
    store = Snapshot("settled-test")
    store.put_bytes(layout.inbox_key("pluvigner", "pistes.csv"), PISTES, "text/csv")
    with FileHost({"crach/releves.csv": RELEVES}) as host:
        committee = _committee(host)
        for member in committee.members:  # the run the record speaks of
            gather_member(store, member, NOW, workers=2)
        record_run(store, committee, "inputs-1", CATALOGUE, ran=["crach", "pluvigner"],
                   clean_members=["crach", "pluvigner"], committee_clean=True, everything=True)
        yield store, committee, host


def test_nothing_to_run_when_nothing_changed_and_the_question_writes_nothing(hub):
    store, committee, _ = hub
    before = store.keys()
    todo = what_to_run(store, committee, "inputs-1", CATALOGUE, LATER)
    assert (todo.members, todo.committee, todo.nothing) == ([], False, True)
    assert store.keys() == before


def test_a_changed_file_runs_its_member_only(hub):
    store, committee, host = hub
    host.files["crach/releves.csv"] = RELEVES + b"02/11/2026;13,0\n"
    todo = what_to_run(store, committee, "inputs-1", CATALOGUE, LATER)
    assert (todo.members, todo.committee, todo.reasons) == (["crach"], True, {"crach": "a source changed"})


def test_a_new_drop_in_the_inbox_runs_its_member(hub):
    store, committee, _ = hub
    store.put_bytes(layout.inbox_key("pluvigner", "cantines.csv"), b"cantine;repas\nBourg;120\n", "text/csv")
    assert what_to_run(store, committee, "inputs-1", CATALOGUE, LATER).members == ["pluvigner"]


def test_a_source_that_fails_runs_its_member_so_the_failure_is_recorded(hub):
    store, committee, host = hub
    del host.files["crach/releves.csv"]
    todo = what_to_run(store, committee, "inputs-1", CATALOGUE, LATER)
    assert todo.members == ["crach"] and "failure" in todo.reasons["crach"]


@pytest.mark.parametrize("inputs, catalogue", [("inputs-2", CATALOGUE),
                                               ("inputs-1", {**CATALOGUE, "datasets": 2})])
def test_other_inputs_or_a_catalogue_edited_by_hand_run_everything(hub, inputs, catalogue):
    store, committee, _ = hub
    todo = what_to_run(store, committee, inputs, catalogue, LATER)
    assert (todo.members, todo.committee, todo.everything) == (["crach", "pluvigner"], True, True)


def test_no_record_runs_everything(hub):
    store, committee, _ = hub
    store.remove(layout.settled_key(committee.slug))
    assert what_to_run(store, committee, "inputs-1", CATALOGUE, LATER).everything


def test_a_member_that_failed_is_taken_again_and_a_failed_committee_run_too(hub):
    store, committee, _ = hub
    outcome = Outcome(True, {"staged": {"failures": [{"member": "pluvigner", "where": "x", "why": "y"}]}})
    clean = clean_members(outcome, ["crach", "pluvigner"])
    assert clean == ["crach"]
    record_run(store, committee, "inputs-1", CATALOGUE, ran=["crach", "pluvigner"], clean_members=clean,
               committee_clean=False, everything=False)
    todo = what_to_run(store, committee, "inputs-1", CATALOGUE, LATER)
    assert (todo.members, todo.committee) == (["pluvigner"], True)
    # The member's next run goes through; the committee run still has to.
    record_run(store, committee, "inputs-1", CATALOGUE, ran=["pluvigner"], clean_members=["pluvigner"],
               committee_clean=None, everything=False)
    todo = what_to_run(store, committee, "inputs-1", CATALOGUE, LATER)
    assert (todo.members, todo.committee) == ([], True)


@pytest.mark.parametrize("metadata", [
    {"raw": {"by_member": {"crach": {"failures": [{"why": "404"}]}, "pluvigner": {"failures": []}}}},
    {"catalog": {"stopped_members": ["crach"]}},
])
def test_failures_and_stops_keep_a_member_out_of_the_record(metadata):
    assert clean_members(Outcome(True, metadata), ["crach", "pluvigner"]) == ["pluvigner"]


def test_a_failed_run_or_a_failed_dataset_records_no_member():
    assert clean_members(Outcome(False), ["crach"]) == []
    assert clean_members(Outcome(True, {"catalog": {"failed": ["crach-releves: 500"]}}), ["crach"]) == []


def test_the_inputs_digest_follows_the_committee_its_packs_and_settings_not_secrets(tmp_path):
    folder = tmp_path / "mon-pack"
    folder.mkdir()
    (folder / "pack.yaml").write_text("name: mon_pack\n")
    path = tmp_path / "committee.yaml"
    path.write_text("slug: ctd\n")
    committee = Committee.model_construct(packs=["mon-pack"])
    environ = {"HUB_CKAN_URL": "http://ckan", "HUB_CKAN_TOKEN": "t1"}
    first = inputs_digest(path, committee, environ)
    assert inputs_digest(path, committee, {**environ, "HUB_CKAN_TOKEN": "t2"}) == first
    warehouse = {**environ, "HUB_WAREHOUSE_URL": "postgresql://hub:first-password@127.0.0.1:25432/warehouse"}
    rotated = {**warehouse, "HUB_WAREHOUSE_URL": "postgresql://hub:second-password@127.0.0.1:25432/warehouse"}
    assert inputs_digest(path, committee, rotated) == inputs_digest(path, committee, warehouse) != first
    assert inputs_digest(path, committee, {**environ, "HUB_CKAN_URL": "http://other"}) != first
    (folder / "pack.yaml").write_text("name: mon_pack\ntitle: x\n")
    assert inputs_digest(path, committee, environ) != first
