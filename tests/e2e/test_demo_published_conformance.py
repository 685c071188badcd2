"""Every published CSV of the demo that declares a schema conforms at least as well as the
file the member sent: frictionless, the reference validator, counts the errors of both
against the schema. (Named to run after test_demo.py, which leaves the demo as
`make demo` does.)"""

from pathlib import Path

from frictionless import Resource, Schema

from catalog.committee import load_committee
from connectors.handoffs.layout import manifest_key, staged_key
from connectors.objectstore import ObjectStore
from pipelines.packs import enabled_packs
from pipelines.runner import DEMO_COMMITTEE, run_hub
from pipelines.staging import declared_schema


def _errors(path: Path, schema: Schema) -> int:
    report = Resource(path=path.name, basepath=str(path.parent), schema=schema).validate(limit_errors=100_000)
    return sum(len(task.errors) for task in report.tasks) + len(report.errors)


def test_published_csvs_keep_their_schemas_conformance(tmp_path):
    store = ObjectStore.from_environment()
    committee = load_committee(DEMO_COMMITTEE)
    if store.get_json(manifest_key(committee.members[0].slug)) is None:
        run_hub()  # alone, without test_demo.py before it
    packs = {name: pack.schema for name, pack in enabled_packs(committee, DEMO_COMMITTEE).items()}
    checked = []
    for member in committee.members:
        manifest = store.get_json(manifest_key(member.slug))
        for dataset, entry in manifest["datasets"].items():
            schema = declared_schema(entry.get("override") or {}, packs)
            if entry.get("status") != "present" or schema is None:
                continue
            for resource, landing in entry["resources"].items():
                if landing["format"].upper() != "CSV":
                    continue
                received = tmp_path / f"{member.slug}-{dataset}-{resource}-recu.csv"
                published = tmp_path / f"{member.slug}-{dataset}-{resource}-publie.csv"
                received.write_bytes(store.get_bytes(landing["key"]))
                published.write_bytes(store.get_bytes(staged_key(member.slug, dataset, resource, "csv")))
                descriptor = Schema.from_descriptor(schema.descriptor)
                before, after = _errors(received, descriptor), _errors(published, descriptor)
                checked.append((f"{member.slug}/{dataset}", before, after))
    assert len(checked) >= 10, checked
    worse = [c for c in checked if c[2] > c[1]]
    assert not worse, f"(dataset, errors as received, errors as published): {worse}"
