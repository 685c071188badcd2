"""Applying a publication plan to the real CKAN: datasets in parallel, each in order,
failures kept apart, and a run with nothing new reads no file and writes nothing.

`Recorder` is not a stand-in: every action goes to the stack's CKAN; it only notes which
dataset each call was for and when it ran."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import date

import polars as pl
import pytest
import requests
from ckanapi import NotFound, RemoteCKAN

from catalog.committee import Committee
from catalog.naming import resource_id
from catalog.packs import BUILTIN, load_pack
from catalog.publication import DesiredDataset, DesiredResource, apply, plan, plan_against_catalogue
from connectors.handoffs.layout import manifest_key
from connectors.objectstore import MemoryObjectStore
from pipelines.packs import EnabledPack, pack_schema
from pipelines.pooling import pool_pack, write_downloads
from pipelines.publishing import publish
from pipelines.staging import stage_member
from tests.ckan_cleanup import purge_dataset
from tests.conftest import stack_setting

WRITES = {"hub_dataset_create", "package_create", "package_patch", "package_revise", "package_delete",
          "resource_create", "resource_patch", "resource_delete", "datastore_create", "datastore_delete",
          "datastore_upsert", "organization_create", "organization_patch", "package_create_default_resource_views"}


class Recorder:
    def __init__(self, ckan: RemoteCKAN, resources: dict[str, str] | None = None) -> None:
        self.ckan = ckan
        self.resources = resources or {}  # resource id -> dataset name
        self.calls: list[tuple[str, str, float, float]] = []  # (dataset, action, start, end)
        self.packages: dict[str, str] = {}  # package id -> name
        self.lock = threading.Lock()
        self.action = self

    def __getattr__(self, action: str):
        def call(**kwargs):
            start = time.monotonic()
            try:
                answer = getattr(self.ckan.action, action)(**kwargs)
                if action == "package_create":  # later calls name the package by its id
                    with self.lock:
                        self.packages[answer["id"]] = answer["name"]
                return answer
            finally:
                with self.lock:
                    self.calls.append((self._dataset(kwargs), action, start, time.monotonic()))
        return call

    def _dataset(self, kwargs: dict) -> str:
        if "package" in kwargs:  # hub_dataset_create's is a JSON file
            package = kwargs["package"]
            return (json.loads(package.getvalue()) if hasattr(package, "getvalue") else package)["name"]
        for key in ("name", "match__id", "package_id"):
            if key in kwargs:
                return self.packages.get(kwargs[key], kwargs[key])
        owner = kwargs.get("resource_id") or kwargs.get("id")
        return self.resources.get(owner, owner or "?")

    def of(self, dataset: str) -> list[str]:
        return [action for name, action, _, _ in sorted(self.calls, key=lambda c: c[2]) if name == dataset]


@pytest.fixture
def org(ckan, unique):
    name = f"tdhtest-{unique}"
    ckan.action.organization_create(name=name, title="Test publication")
    yield name
    # By name: the search index may not hold the last packages yet.
    for suffix in "abc":
        purge_dataset(ckan, f"{name}-{suffix}")
    ckan.action.organization_purge(id=name)


def _resource(dataset: str, role: str, data: bytes, table: pl.DataFrame | None = None) -> DesiredResource:
    return DesiredResource(id=resource_id(dataset, role), name=role, format="CSV", filename=f"{role}.csv",
                           sha256=hashlib.sha256(data).hexdigest(), content=lambda: data,
                           table=(lambda: table) if table is not None else None,
                           rows=table.height if table is not None else 0)


def _dataset(name: str, org: str) -> DesiredDataset:
    table = pl.DataFrame({"code": ["56007"], "volume": [1.5], "mois": [date(2024, 1, 1)]})
    return DesiredDataset(name=name, fields={"title": name, "notes": "test", "owner_org": org}, resources=[
        _resource(name, "csv", f"code,volume,mois\n56007,1.5,2024-01-01\n# {name}\n".encode(), table),
        _resource(name, "parquet", f"PAR1 {name}".encode())])


def _ids(datasets: list[DesiredDataset]) -> dict[str, str]:
    return {r.id: d.name for d in datasets for r in d.resources}


def test_datasets_are_published_in_parallel_each_one_in_order(ckan, org):
    datasets = [_dataset(f"{org}-{x}", org) for x in "abc"]
    recorder = Recorder(ckan, _ids(datasets))
    todo = plan(datasets, {})
    apply(todo, recorder, workers=3)
    assert todo.failed == []
    for dataset in datasets:
        # One request: the package, its files, its DataStore table and its preview.
        assert recorder.of(dataset.name) == ["hub_dataset_create"]
        held = ckan.action.package_show(id=dataset.name, use_cache=False)
        assert {r["hash"] for r in held["resources"]} == {r.sha256 for r in dataset.resources}
        assert all(r["url_type"] == "upload" and r["size"] for r in held["resources"])
        [view] = ckan.action.resource_view_list(id=next(r["id"] for r in held["resources"] if r["name"] == "csv"))
        assert view["view_type"] == "datatables_view"
    creates = [(start, end) for _, action, start, end in recorder.calls if action == "hub_dataset_create"]
    assert max(s for s, _ in creates) < min(e for _, e in creates)  # all three were in flight at once
    preview = next(r for r in held["resources"] if r["name"] == "csv")
    stored = ckan.action.datastore_search(resource_id=preview["id"])
    assert {f["id"]: f["type"] for f in stored["fields"]}["mois"] == "date"
    assert stored["records"][0]["mois"].startswith("2024-01-01")


def test_a_failing_dataset_is_recorded_and_the_others_go_on(ckan, org):
    datasets = [_dataset(f"{org}-a", org), _dataset(f"{org}-b", f"{org}-missing"), _dataset(f"{org}-c", org)]
    recorder = Recorder(ckan, _ids(datasets))
    todo = plan(datasets, {})
    apply(todo, recorder, workers=2)
    assert len(todo.failed) == 1 and todo.failed[0].startswith(f"{org}-b: ValidationError")
    assert recorder.of(f"{org}-b") == ["hub_dataset_create"]
    assert recorder.of(f"{org}-a") == recorder.of(f"{org}-c") == ["hub_dataset_create"]
    with pytest.raises(NotFound):
        ckan.action.package_show(id=f"{org}-b")


def test_a_dataset_ckan_cannot_finish_is_purged_and_made_again_by_the_next_run(ckan, org):
    good = _dataset(f"{org}-a", org)
    # The DataStore refuses a column whose name starts with "_": the package and its files
    # were made by then, and are purged with it.
    refused = pl.DataFrame({"_code": ["56007"]})
    broken = DesiredDataset(name=good.name, fields=good.fields, resources=[
        DesiredResource(**{**good.resources[0].__dict__, "table": lambda: refused}), good.resources[1]])
    todo = plan([broken], {})
    apply(todo, ckan)
    assert len(todo.failed) == 1 and todo.failed[0].startswith(f"{good.name}: ValidationError"), todo.failed
    with pytest.raises(NotFound):
        ckan.action.package_show(id=good.name)
    with pytest.raises(NotFound):
        ckan.action.datastore_info(id=good.resources[0].id)
    again = plan([good], {})
    apply(again, ckan)
    assert again.failed == [] and [d.name for d in again.create] == [good.name]
    held = ckan.action.package_show(id=good.name, use_cache=False)
    assert {r["hash"] for r in held["resources"]} == {r.sha256 for r in good.resources}


def test_one_request_creation_refuses_who_may_not_create_the_package(org):
    url = stack_setting("HUB_CKAN_URL") + "/api/action/hub_dataset_create"
    package = json.dumps({"name": f"{org}-a", "title": "a", "owner_org": org, "resources": []}).encode()
    answer = requests.post(url, files={"package": ("package.json", package)}, timeout=30)  # no API token
    assert answer.status_code == 403, answer.text[:300]


def test_a_table_of_ten_thousand_rows_goes_in_the_one_request(ckan, org):
    # About 600 KB of rows as JSON: more than Werkzeug takes in a text field (500 KB).
    table = pl.DataFrame({"code": [f"{56000 + i % 999:05d}" for i in range(10_000)],
                          "commune": ["Saint-Étienne-de-Montluc"] * 10_000,
                          "volume": [i / 3 for i in range(10_000)]})
    data = table.write_csv().encode()
    dataset = DesiredDataset(name=f"{org}-a", fields={"title": "grand", "notes": "test", "owner_org": org},
                             resources=[_resource(f"{org}-a", "csv", data, table)])
    recorder = Recorder(ckan, _ids([dataset]))
    todo = plan([dataset], {})
    apply(todo, recorder)
    assert todo.failed == [] and recorder.of(dataset.name) == ["hub_dataset_create"]
    assert ckan.action.datastore_search(resource_id=dataset.resources[0].id, limit=1)["total"] == 10_000


def test_a_table_longer_than_one_datastore_request_goes_the_long_way(ckan, org, monkeypatch):
    monkeypatch.setattr("catalog.publication.DATASTORE_CHUNK", 2)  # 5 rows: three requests
    table = pl.DataFrame({"code": [f"5600{i}" for i in range(5)], "volume": [float(i) for i in range(5)]})
    data = table.write_csv().encode()
    dataset = DesiredDataset(name=f"{org}-a", fields={"title": "long", "notes": "test", "owner_org": org},
                             resources=[_resource(f"{org}-a", "csv", data, table)])
    recorder = Recorder(ckan, _ids([dataset]))
    todo = plan([dataset], {})
    apply(todo, recorder)
    assert todo.failed == []
    assert recorder.of(dataset.name) == ["package_create", "datastore_create", "datastore_upsert", "datastore_upsert",
                                         "package_create_default_resource_views", "package_revise"]
    assert ckan.action.datastore_search(resource_id=dataset.resources[0].id)["total"] == 5
    held = ckan.action.package_show(id=dataset.name, use_cache=False)
    assert [r["hash"] for r in held["resources"]] == [dataset.resources[0].sha256]


def test_creating_a_dataset_another_run_made_updates_it_without_touching_it_first(ckan, org):
    dataset = _dataset(f"{org}-a", org)
    apply(plan([dataset], {}), ckan)
    csv = dataset.resources[0]
    newer = b"code,volume,mois\n56007,2.5,2024-02-01\n"
    changed = DesiredDataset(name=dataset.name, fields=dataset.fields, resources=[
        DesiredResource(**{**csv.__dict__, "sha256": hashlib.sha256(newer).hexdigest(), "content": lambda: newer}),
        dataset.resources[1]])
    todo = plan([changed], {})  # as a plan that had not seen the other run's dataset
    apply(todo, ckan)
    assert todo.failed == []
    held = ckan.action.package_show(id=dataset.name, use_cache=False)
    assert sorted(r["hash"] for r in held["resources"]) == sorted(r.sha256 for r in changed.resources)
    assert len(held["resources"]) == 2  # none twice
    url = next(r["url"] for r in held["resources"] if r["id"] == csv.id)
    assert requests.get(url, timeout=10).content == newer


def test_a_preview_whose_table_is_gone_is_filled_again(ckan, org):
    dataset = _dataset(f"{org}-a", org)
    apply(plan([dataset], {}), ckan)
    previewed = dataset.resources[0]
    ckan.action.datastore_delete(resource_id=previewed.id, force=True, filters={})  # rows gone, flag kept
    ckan.action.datastore_delete(resource_id=previewed.id, force=True)  # the table too (flag now False)
    ckan.action.resource_patch(id=previewed.id, datastore_active=True)  # as a CKAN killed mid-request leaves it
    todo = plan_against_catalogue(ckan, [dataset])
    assert [(name, resource.id, exists) for name, resource, exists in todo.upload] == [
        (dataset.name, previewed.id, True)]
    apply(todo, ckan)
    assert ckan.action.datastore_search(resource_id=previewed.id)["total"] == 1
    assert plan_against_catalogue(ckan, [dataset]).unchanged == [dataset.name]


def _unreadable(resource: DesiredResource) -> DesiredResource:
    def refuse():
        raise AssertionError(f"{resource.name} was read")

    return DesiredResource(**{**resource.__dict__, "content": refuse, "table": resource.table and refuse})


def test_a_plan_with_nothing_to_do_reads_no_file_and_writes_nothing(ckan, org):
    dataset = _dataset(f"{org}-a", org)
    apply(plan([dataset], {}), ckan)
    time.sleep(1.5)  # Solr's soft commit: the search index then holds the package
    unread = DesiredDataset(name=dataset.name, fields=dataset.fields,
                            resources=[_unreadable(r) for r in dataset.resources])
    recorder = Recorder(ckan, _ids([dataset]))
    todo = plan_against_catalogue(recorder, [unread], workers=4)
    apply(todo, recorder, workers=4)
    assert todo.unchanged == [dataset.name]
    assert not {action for _, action, _, _ in recorder.calls} & WRITES


def test_publishing_again_with_nothing_new_reads_no_staged_file_and_writes_nothing(ckan, unique):
    slug = f"tdhtest-{unique}-m"
    member = {"slug": slug, "name": "Commune test", "kind": "commune", "insee": "56046", "siren": "215600461",
              "contact": "donnees@crach.example.fr"}
    committee = Committee.model_validate({"slug": f"tdhtest-{unique}", "name": "Comité test",
                                          "members": [member]})
    pack = load_pack(BUILTIN / "eau_potable")
    enabled = EnabledPack(pack, pack_schema(pack))
    store = MemoryObjectStore()
    data = b"code_insee;commune;mois;volume_distribue_m3;volume_facture_m3\n56046;Crach;01/01/2024;120,5;100\n"
    raw = f"raw/{slug}/" + hashlib.sha256(data).hexdigest() + ".csv"
    store.put_bytes(raw, data)
    landing = {"member": slug, "dataset": f"{slug}-volumes", "resource": "volumes", "key": raw, "size": len(data),
               "sha256": hashlib.sha256(data).hexdigest(), "format": "CSV", "name": "volumes.csv",
               "fetched_at": "2026-01-01T00:00:00+00:00"}
    store.put_json(manifest_key(slug), {"datasets": {f"{slug}-volumes": {
        "status": "present", "override": {"pooled_as": "eau_potable"},
        "remote": {"title": "Volumes d'eau", "remote_id": "volumes"}, "resources": {"volumes": landing}}}})
    assert stage_member(store, slug, b"key", {"eau_potable": enabled.schema}).staged == 1
    pool_pack(store, committee, enabled)
    write_downloads(store, enabled)
    try:
        first = publish(store, committee, ckan, [enabled], workers=4)
        assert sorted(first.plan["create"]) == sorted([f"{slug}-volumes", f"tdhtest-{unique}-eau-potable"])
        assert first.plan["failed"] == []
        time.sleep(1.5)  # Solr's soft commit
        reads = []
        store.get_bytes = lambda key, get=store.get_bytes: reads.append(key) or get(key)
        recorder = Recorder(ckan)
        again = publish(store, committee, recorder, [enabled], workers=4)
        assert sorted(again.plan["unchanged"]) == sorted(first.plan["create"])
        assert all(key.endswith(".json") for key in reads), reads
        assert not {action for _, action, _, _ in recorder.calls} & WRITES
    finally:
        for name in (f"{slug}-volumes", f"tdhtest-{unique}-eau-potable"):
            purge_dataset(ckan, name)
        for name in (slug, f"tdhtest-{unique}"):
            try:
                ckan.action.organization_purge(id=name)
            except NotFound:
                pass


class DyingCKAN(Recorder):
    """The real CKAN until it dies: every call after the `lives`-th write fails as a
    stopped CKAN does (connection refused), as if its process were killed mid-publication."""

    def __init__(self, ckan: RemoteCKAN, lives: int) -> None:
        super().__init__(ckan)
        self.lives = lives

    def __getattr__(self, action: str):
        call = super().__getattr__(action)

        def dying(**kwargs):
            with self.lock:
                dead = self.lives <= 0
                if action in WRITES:
                    self.lives -= 1
            if dead:
                raise requests.ConnectionError("Connection refused (CKAN stopped)")
            return call(**kwargs)
        return dying


@pytest.mark.parametrize("lives", [0, 1, 2])
def test_ckan_stopped_mid_publication_the_next_run_converges_without_duplicates(ckan, org, lives):
    datasets = [_dataset(f"{org}-{x}", org) for x in "abc"]
    interrupted = plan(datasets, {})
    apply(interrupted, DyingCKAN(ckan, lives), workers=2)
    assert interrupted.failed  # CKAN went away before the end
    time.sleep(1.5)  # Solr's soft commit
    again = plan_against_catalogue(ckan, datasets, workers=2)
    apply(again, ckan, workers=2)
    assert again.failed == []
    for dataset in datasets:
        held = ckan.action.package_show(id=dataset.name, use_cache=False)
        assert sorted(r["name"] for r in held["resources"]) == ["csv", "parquet"]  # no duplicate resource
        assert {r["hash"] for r in held["resources"]} == {r.sha256 for r in dataset.resources}
    time.sleep(1.5)
    names = [p["name"] for p in ckan.action.package_search(fq=f"owner_org:{held['owner_org']}", rows=50)["results"]]
    assert sorted(names) == sorted(d.name for d in datasets)  # one package each
    final = plan_against_catalogue(ckan, datasets, workers=2)
    assert sorted(final.unchanged) == sorted(d.name for d in datasets)  # a third run has nothing to do
