"""Applying a publication plan: datasets in parallel, each in order, failures kept apart;
files read only when they must be uploaded, and a run with nothing new reads none."""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from datetime import date

import polars as pl
import pytest
from ckanapi import NotFound, ValidationError

from catalog.committee import Committee
from catalog.naming import resource_id
from catalog.packs import BUILTIN, load_pack
from catalog.publication import DesiredDataset, DesiredResource, apply, plan, plan_against_catalogue
from connectors.objectstore import MemoryObjectStore
from pipelines.gathering import manifest_key
from pipelines.packs import EnabledPack, pack_schema
from pipelines.pooling import pool_pack
from pipelines.publishing import desired_datasets, publish
from pipelines.staging import stage_member, staged_key


class FakeCKAN:
    """Answers the actions publication calls, as CKAN would, keeping the packages; records
    each call under its dataset (thread-safe) and fails the (dataset, action) pairs told."""

    def __init__(self, fail: set[tuple[str, str]] = frozenset(), meet: int = 0) -> None:
        self.packages: dict[str, dict] = {}
        self.organizations: dict[str, dict] = {}
        self.index: dict[str, dict] | None = None  # what package_search finds, when not the packages
        self.calls: dict[str, list[str]] = {}
        self.fail = fail
        self.lock = threading.Lock()
        # `meet` datasets must be in package_create at the same time, or the call fails.
        self.barrier = threading.Barrier(meet, timeout=5) if meet else None
        self.action = self

    def __getattr__(self, action: str):
        return lambda **kwargs: self._call(action, kwargs)

    def _dataset(self, kwargs: dict) -> str:
        for key in ("name", "match__id", "package_id", "id"):
            if key in kwargs and (kwargs[key] in self.packages or key == "name"):
                return kwargs[key]
        owner = kwargs.get("resource_id") or kwargs.get("id") or (kwargs.get("resource") or {}).get("id")
        return next((name for name, p in self.packages.items() if owner in {r["id"] for r in p["resources"]}), "?")

    def _call(self, action: str, kwargs: dict):
        dataset = self._dataset(kwargs) if action != "package_create_default_resource_views" \
            else kwargs["package"]["name"]
        with self.lock:
            self.calls.setdefault(dataset, []).append(action)
        if (dataset, action) in self.fail:
            raise ValidationError({"title": ["refused by the test"]})
        if action == "organization_show":
            if kwargs["id"] not in self.organizations:
                raise NotFound()
            return self.organizations[kwargs["id"]]
        if action == "organization_create":
            self.organizations[kwargs["name"]] = kwargs
        if action == "organization_list":
            return [self.organizations[name] for name in kwargs["organizations"] if name in self.organizations]
        if action == "package_create":
            if self.barrier:
                self.barrier.wait()
            package = {**kwargs, "id": kwargs["name"], "state": "active", "organization": {"name": kwargs["owner_org"]},
                       "resources": [{"datastore_active": False, **r} for r in kwargs.get("resources", ())]}
            with self.lock:
                self.packages[kwargs["name"]] = package
            return package
        if action == "package_search":  # the index holds the packages as package_show gives them
            index = self.packages if self.index is None else self.index
            return {"results": [p for name, p in index.items() if f'"{name}"' in kwargs["fq"]]}
        if action == "package_show":
            if kwargs["id"] not in self.packages:
                raise NotFound()
            return self.packages[kwargs["id"]]
        if action == "package_revise":
            package = self.packages[kwargs["match__id"]]
            for resource in package["resources"]:
                prefix = f"update__resources__{resource['id']}__"
                assert kwargs[prefix + "upload"].read()
                resource["hash"] = json.loads(kwargs[prefix + "hash"])  # CKAN's json_or_string
            return {"package": package}
        return {}


def _resource(dataset: str, role: str, data: bytes, table: pl.DataFrame | None = None) -> DesiredResource:
    return DesiredResource(id=resource_id(dataset, role), name=role, format="CSV", filename=f"{role}.csv",
                           sha256=hashlib.sha256(data).hexdigest(), content=lambda: data,
                           table=(lambda: table) if table is not None else None,
                           rows=table.height if table is not None else 0)


def _dataset(name: str) -> DesiredDataset:
    table = pl.DataFrame({"code": ["56007"], "volume": [1.5]})
    return DesiredDataset(name=name, fields={"title": name, "owner_org": "auray"}, resources=[
        _resource(name, "csv", f"code,volume\n56007,1.5\n# {name}\n".encode(), table),
        _resource(name, "parquet", f"PAR1 {name}".encode())])


def test_datasets_are_published_in_parallel_each_one_in_order():
    ckan = FakeCKAN(meet=3)  # the three package_create calls must overlap
    todo = plan([_dataset("auray-a"), _dataset("auray-b"), _dataset("auray-c")], {})
    apply(todo, ckan, workers=3)
    assert todo.failed == []
    for name in ("auray-a", "auray-b", "auray-c"):
        # The sha256s come last, with the files: a dataset stopped half-way is uploaded again.
        assert ckan.calls[name] == ["package_create", "datastore_create", "package_create_default_resource_views",
                                    "package_revise"]
        assert {r["hash"] for r in ckan.packages[name]["resources"]} == {r.sha256 for r in _dataset(name).resources}


def test_a_failing_dataset_is_recorded_and_the_others_go_on():
    ckan = FakeCKAN(fail={("auray-b", "datastore_create")})
    todo = plan([_dataset("auray-a"), _dataset("auray-b"), _dataset("auray-c")], {})
    summary = todo.summary()
    apply(todo, ckan, workers=2)
    assert len(todo.failed) == 1 and todo.failed[0].startswith("auray-b: ValidationError")
    assert ckan.calls["auray-b"] == ["package_create", "datastore_create"]  # stopped there, no sha256
    assert ckan.calls["auray-a"][-1] == ckan.calls["auray-c"][-1] == "package_revise"
    assert {k: v for k, v in todo.summary().items() if k != "failed"} == {
        k: v for k, v in summary.items() if k != "failed"}
    # The next run uploads the half-made dataset's files again, and fills its preview.
    again = plan([_dataset("auray-b")], {"auray-b": ckan.packages["auray-b"]})
    assert [(r.name, exists) for _, r, exists in again.upload] == [("csv", True), ("parquet", True)]


def test_what_the_index_says_differs_is_read_again_before_anything_is_written():
    ckan = FakeCKAN()
    datasets = [_dataset("auray-a"), _dataset("auray-b"), _dataset("auray-c")]
    apply(plan(datasets, {}), ckan)
    # The index lags: auray-a as package_create left it (no sha256 yet), auray-c not there yet.
    ckan.index = {"auray-a": copy.deepcopy(ckan.packages["auray-a"]), "auray-b": ckan.packages["auray-b"]}
    for resource in ckan.index["auray-a"]["resources"]:
        del resource["hash"]
    ckan.calls.clear()
    todo = plan_against_catalogue(ckan, datasets, workers=2)
    assert todo.unchanged == ["auray-a", "auray-b", "auray-c"] and not todo.upload
    shown = sorted(name for name, calls in ckan.calls.items() if "package_show" in calls)
    assert shown == ["auray-a", "auray-c"]  # what the index lacked, then what it said differed


def _unreadable(resource: DesiredResource) -> DesiredResource:
    def refuse():
        raise AssertionError(f"{resource.name} was read")

    return DesiredResource(**{**resource.__dict__, "content": refuse, "table": resource.table and refuse})


def test_a_plan_with_nothing_to_do_reads_no_file_and_calls_nothing():
    ckan = FakeCKAN()
    apply(plan([_dataset("auray-a")], {}), ckan)
    published = {"auray-a": ckan.packages["auray-a"]}
    unread = DesiredDataset(name="auray-a", fields=_dataset("auray-a").fields,
                            resources=[_unreadable(r) for r in _dataset("auray-a").resources])
    todo = plan([unread], published)
    ckan.calls.clear()
    apply(todo, ckan, workers=4)
    assert todo.unchanged == ["auray-a"] and ckan.calls == {}


# --- From the object store: staged reports and pooled states carry the sha256s --------------

MEMBER = {"slug": "crach", "name": "Crach", "kind": "commune", "insee": "56046", "siren": "215600461",
          "contact": "donnees@crach.example.fr"}
PACK = load_pack(BUILTIN / "eau_potable")
ENABLED = EnabledPack(PACK, pack_schema(PACK))


class ReadCountingStore(MemoryObjectStore):
    def __init__(self) -> None:
        super().__init__()
        self.read: list[str] = []

    def get_bytes(self, key: str) -> bytes:
        self.read.append(key)
        return super().get_bytes(key)


def _staged_member(store: MemoryObjectStore) -> Committee:
    """A member's file landed, then staged by the real staging code, declared for a pack."""
    data = "code_insee;commune;mois;volume_distribue_m3;volume_facture_m3\n56046;Crach;01/01/2024;120,5;100\n"
    raw = "raw/crach/" + hashlib.sha256(data.encode()).hexdigest() + ".csv"
    store.put_bytes(raw, data.encode())
    landing = {"member": "crach", "dataset": "crach-volumes", "resource": "volumes", "key": raw, "size": len(data),
               "sha256": hashlib.sha256(data.encode()).hexdigest(), "format": "CSV", "name": "volumes.csv",
               "fetched_at": "2026-01-01T00:00:00+00:00"}
    store.put_json(manifest_key("crach"), {"datasets": {"crach-volumes": {
        "status": "present", "override": {"pooled_as": "eau_potable"},
        "remote": {"title": "Volumes d'eau", "remote_id": "volumes"}, "resources": {"volumes": landing}}}})
    result = stage_member(store, "crach", b"key", {"eau_potable": ENABLED.schema})
    assert result.staged == 1 and not result.failures, result.failures
    return Committee.model_validate({"slug": "ctd", "name": "Comité", "members": [MEMBER]})


def test_staging_records_the_sha256_of_each_file_it_writes():
    store = MemoryObjectStore()
    _staged_member(store)
    report = store.get_json(staged_key("crach", "crach-volumes", "volumes", "json"))
    suffixes = ("csv", "parquet", "errors.csv")
    assert report["written_sha256"] == {
        staged_key("crach", "crach-volumes", "volumes", s): hashlib.sha256(
            store.get_bytes(staged_key("crach", "crach-volumes", "volumes", s))).hexdigest() for s in suffixes}


def test_desired_datasets_read_only_bookkeeping_and_files_when_asked():
    store = ReadCountingStore()
    committee = _staged_member(store)
    pool_pack(store, committee, ENABLED)
    store.read.clear()
    desired, _, _ = desired_datasets(store, committee, [ENABLED], "http://superset")
    assert [d.name for d in desired] == ["crach-volumes", "ctd-eau-potable"]
    assert all(key.endswith(".json") for key in store.read), store.read
    for dataset in desired:
        for resource in dataset.resources:
            assert hashlib.sha256(resource.content()).hexdigest() == resource.sha256, resource.name
    pooled = desired[1].resources
    assert [r.rows for r in pooled if r.table] == [1, 1]  # the table's rows, the sources' lines
    assert pooled[0].table().height == 1 and pooled[-1].table()["statut"].to_list() == ["inclus"]


def test_files_staged_before_the_sha256s_were_recorded_are_read_to_compute_them():
    store = ReadCountingStore()
    committee = _staged_member(store)
    key = staged_key("crach", "crach-volumes", "volumes", "json")
    report = store.get_json(key)
    recorded = report.pop("written_sha256")
    store.put_json(key, report)
    store.read.clear()
    desired, _, _ = desired_datasets(store, committee, [], "")
    assert {r.sha256 for r in desired[0].resources} == set(recorded.values())
    assert sorted(k.rsplit(".", 1)[-1] for k in store.read) == ["csv", "csv", "json", "parquet"]


@pytest.mark.parametrize("workers", [1, 4])
def test_publishing_again_with_nothing_new_reads_no_staged_file_and_writes_nothing(workers):
    store = ReadCountingStore()
    committee = _staged_member(store)
    pool_pack(store, committee, ENABLED)
    ckan = FakeCKAN()
    first = publish(store, committee, ckan, [ENABLED], workers=workers)
    assert sorted(first.plan["create"]) == ["crach-volumes", "ctd-eau-potable"] and first.plan["failed"] == []
    store.read.clear()
    ckan.calls.clear()
    again = publish(store, committee, ckan, [ENABLED], workers=workers)
    assert sorted(again.plan["unchanged"]) == ["crach-volumes", "ctd-eau-potable"]
    assert all(key.endswith(".json") for key in store.read), store.read
    assert {action for calls in ckan.calls.values() for action in calls} == {"organization_list", "package_search"}


def test_dates_reach_the_datastore_as_iso_text():
    ckan = FakeCKAN()
    sent: list[dict] = []
    table = pl.DataFrame({"mois": [date(2024, 1, 1)]})
    dataset = DesiredDataset(name="auray-d", fields={"title": "d", "owner_org": "auray"},
                             resources=[_resource("auray-d", "csv", b"mois\n2024-01-01\n", table)])
    original = ckan._call

    def record(action, kwargs):
        if action == "datastore_create":
            sent.append(kwargs)
        return original(action, kwargs)

    ckan._call = record
    apply(plan([dataset], {}), ckan)
    assert sent[0]["records"] == [{"mois": "2024-01-01"}] and sent[0]["fields"] == [{"id": "mois", "type": "date"}]
