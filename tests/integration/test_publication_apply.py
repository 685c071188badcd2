"""Applying a publication plan to the real CKAN: datasets in parallel, each in order,
failures kept apart, and a run with nothing new reads no file and writes nothing.

`Recorder` is not a stand-in: every action goes to the stack's CKAN; it only notes which
dataset each call was for and when it ran."""

from __future__ import annotations

import hashlib
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

WRITES = {"package_create", "package_patch", "package_revise", "package_delete", "resource_create",
          "resource_patch", "resource_delete", "datastore_create", "datastore_delete", "datastore_upsert",
          "organization_create", "organization_patch", "package_create_default_resource_views"}


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
        if "package" in kwargs:
            return kwargs["package"]["name"]
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
        # The sha256s come last, with the files: a dataset stopped half-way is uploaded again.
        assert recorder.of(dataset.name) == ["package_create", "datastore_create",
                                             "package_create_default_resource_views", "package_revise"]
        held = ckan.action.package_show(id=dataset.name, use_cache=False)
        assert {r["hash"] for r in held["resources"]} == {r.sha256 for r in dataset.resources}
    creates = [(start, end) for _, action, start, end in recorder.calls if action == "package_create"]
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
    assert recorder.of(f"{org}-b") == ["package_create"]  # refused there; nothing else attempted
    assert recorder.of(f"{org}-a")[-1] == recorder.of(f"{org}-c")[-1] == "package_revise"
    with pytest.raises(NotFound):
        ckan.action.package_show(id=f"{org}-b")


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


@pytest.mark.parametrize("lives", [1, 2, 3, 5, 8])
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
