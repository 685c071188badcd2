"""`tdh run` on the stack runs what changed since its last clean run: nothing at all when
nothing did (no Dagster run, no write), one member when one member's inbox got a file,
every member when a dataset was deleted by hand in CKAN, and `--full` every step anyway.
A small committee of its own, removed from CKAN and S3 afterwards."""

import uuid

import dagster as dg
import pytest
import yaml
from ckanapi import RemoteCKAN

from connectors.handoffs import layout
from connectors.objectstore import ObjectStore, object_key
from pipelines.cli import main
from tests.committees import committee_file, inbox_commune, remove_committee
from tests.conftest import stack_setting

PISTES = "commune;annee;km_pistes\n{name};2025;12,5\n"
COMPOST = "site;annee;tonnes\nDéchetterie;2025;3,5\n"


@pytest.fixture
def committee(tmp_path):
    unique = uuid.uuid4().hex[:6]
    first, second = f"tdhtest-{unique}-nord", f"tdhtest-{unique}-sud"
    committee = {"slug": f"tdhtest-{unique}", "name": "Comité de test",
                 "members": [inbox_commune(first, "56120"), inbox_commune(second, "56101")]}
    path = tmp_path / "committee.yaml"
    path.write_text(yaml.safe_dump(committee, allow_unicode=True))
    store = ObjectStore.from_environment()
    for member, name in ((first, "Nord"), (second, "Sud")):
        store.put_bytes(object_key("inbox", member, "pistes_cyclables.csv"), PISTES.format(name=name).encode())
    try:
        with committee_file(path):
            yield {"path": str(path), "slug": committee["slug"], "members": [first, second], "store": store}
    finally:
        datasets = [f"{m}-{d}" for m in (first, second) for d in ("pistes-cyclables", "composteurs")]
        remove_committee(committee, datasets, store)


def _run(capsys, committee, *options) -> str:
    assert main(["run", "--committee", committee["path"], *options]) == 0
    return capsys.readouterr().out


def _runs() -> int:
    with dg.DagsterInstance.get() as instance:
        return len(instance.get_run_records())


def _objects(store, members) -> dict[str, str]:
    return {o.key: o.etag for m in members for p in ("raw", "staged") for o in store.list(f"{p}/{m}/")}


def test_tdh_run_runs_what_changed_and_nothing_when_nothing_did(committee, capsys):
    store, (nord, sud) = committee["store"], committee["members"]
    ckan = RemoteCKAN(stack_setting("HUB_CKAN_URL"), apikey=stack_setting("HUB_CKAN_TOKEN"))
    said = _run(capsys, committee)
    assert "Every member runs: no complete run on record" in said
    assert "2 created" in said
    record = store.get_json(layout.settled_key(committee["slug"]))
    assert sorted(record["members"]) == [nord, sud] and record["committee_clean"]

    runs, objects = _runs(), _objects(store, [nord, sud])
    said = _run(capsys, committee)
    assert said.startswith("Nothing changed since the last complete run (2 members checked)"), said
    assert (_runs(), _objects(store, [nord, sud])) == (runs, objects)  # no Dagster run, nothing written

    store.put_bytes(object_key("inbox", sud, "composteurs.csv"), COMPOST.encode())
    said = _run(capsys, committee)
    assert f"1 of 2 members to run:\n  {sud}: a source changed" in said
    assert ckan.action.package_show(id=f"{sud}-composteurs")["state"] == "active"
    assert _run(capsys, committee).startswith("Nothing changed")

    ckan.action.package_delete(id=f"{nord}-pistes-cyclables")  # by hand, in CKAN
    said = _run(capsys, committee)
    assert "Every member runs: the catalogue changed outside the hub's last run" in said
    assert _run(capsys, committee).startswith("Nothing changed")

    said = _run(capsys, committee, "--full")
    assert "Every member runs: --full" in said and "0 created, 0 updated" in said
