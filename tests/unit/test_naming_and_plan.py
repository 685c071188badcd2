import hashlib
from pathlib import Path

from catalog.naming import dataset_slug, resource_id
from catalog.publication import DesiredDataset, DesiredResource, plan


def _resource(name: str, data: bytes) -> DesiredResource:
    return DesiredResource(
        id=resource_id("auray-x", name),
        name=name,
        format="CSV",
        filename=f"{name}.csv",
        sha256=hashlib.sha256(data).hexdigest(),
        content=lambda: data,
    )


def _dataset(title="Volumes", data=b"a,b\n1,2\n") -> DesiredDataset:
    return DesiredDataset(
        name="auray-x",
        fields={"title": title, "notes": "n", "owner_org": "auray", "private": False},
        tags=("eau",),
        resources=[_resource("csv", data)],
    )


def _published(dataset: DesiredDataset) -> dict:
    return {
        **dataset.fields,
        # CKAN answers owner_org as the organization's id, not the name the hub sent.
        "owner_org": "54b27e14-ec83-4c11-bf74-fdeea063e20a",
        "name": dataset.name,
        "state": "active",
        "organization": {"name": "auray"},
        "tags": [{"name": t} for t in dataset.tags],
        "resources": [
            {"id": r.id, "hash": r.sha256, "name": r.name, "description": r.description, "format": r.format}
            for r in dataset.resources
        ],
    }


def test_names_are_deterministic_and_safe():
    assert dataset_slug("crach", "volumes-eau") == "crach-volumes-eau"
    uuid_like = dataset_slug("auray", "Données 2024 / Eau")
    assert uuid_like == dataset_slug("auray", "Données 2024 / Eau") and "/" not in uuid_like
    assert resource_id("a", "csv") == resource_id("a", "csv") != resource_id("a", "parquet")


def test_new_dataset_is_created_with_its_uploads():
    todo = plan([_dataset()], {})
    assert [d.name for d in todo.create] == ["auray-x"] and len(todo.upload) == 1


def test_unchanged_dataset_needs_nothing():
    dataset = _dataset()
    todo = plan([dataset], {"auray-x": _published(dataset)})
    assert todo.unchanged == ["auray-x"] and not todo.create and not todo.update and not todo.upload


def test_changed_title_updates_metadata_only():
    todo = plan([_dataset(title="Volumes 2025")], {"auray-x": _published(_dataset())})
    assert [d.name for d in todo.update] == ["auray-x"] and not todo.upload


def test_changed_bytes_reupload_the_same_resource_id():
    old, new = _dataset(), _dataset(data=b"a,b\n1,3\n")
    todo = plan([new], {"auray-x": _published(old)})
    ((name, resource, exists),) = todo.upload
    assert exists and resource.id == old.resources[0].id


def test_archive_only_what_is_still_active():
    published = {"auray-gone": {"state": "active"}, "auray-old": {"state": "deleted"}}
    assert plan([], published, archive=["auray-gone", "auray-old", "auray-never"]).archive == ["auray-gone"]


def test_validation_summary_travels_into_the_resource_description():
    import io

    import polars as pl

    from catalog.committee import load_committee
    from catalog.packages import Rendering, StagedFile, member_dataset

    committee = load_committee(Path(__file__).resolve().parents[2] / "demo" / "committee.yaml")
    frame = pl.DataFrame({"id": ["1"], "nb_places": [10]})
    parquet = io.BytesIO()
    frame.write_parquet(parquet)
    report = {"name": "parkings.csv", "validation": {"schema": "stationnement", "version": "0.1.5",
                                                     "valid": False, "errors": 3}}
    staged = StagedFile(slug="r1", report=report, csv=Rendering.of(b"id,nb_places\n1,10\n"),
                        parquet=Rendering.of(parquet.getvalue()),
                        errors_csv=Rendering.of(b"row,column,value,rule,message\n"))
    dataset = member_dataset(committee.member("carnac"), "carnac-parkings",
                             {"remote": {"title": "Parkings", "remote_id": "p"}}, [staged])
    csv = next(r for r in dataset.resources if r.format == "CSV" and "rapport" not in r.name)
    assert "Non conforme au schéma stationnement 0.1.5 : 3 erreurs" in csv.description
    assert dataset.fields["conforms_to"] == ["stationnement"]
    assert any(r.filename == "parkings_validation.csv" for r in dataset.resources)


def test_new_description_relabels_without_upload():
    published = _published(_dataset())
    published["resources"][0]["description"] = "ancienne description"
    todo = plan([_dataset()], {"auray-x": published})
    assert [r.name for _, r in todo.relabel] == ["csv"] and not todo.upload and not todo.unchanged


def test_archived_dataset_coming_back_is_reactivated_not_recreated():
    published = _published(_dataset())
    published["state"] = "deleted"
    todo = plan([_dataset()], {"auray-x": published})
    assert not todo.create and [d.name for d in todo.update] == ["auray-x"]
    assert not todo.upload  # its resources are still there: nothing is created twice


def test_a_file_no_longer_published_is_removed():
    published = _published(_dataset())
    published["resources"].append({"id": "old-resource", "hash": "x"})
    todo = plan([_dataset()], {"auray-x": published})
    assert todo.remove == [("auray-x", "old-resource")]


def test_unknown_licences_are_never_relabelled():
    from catalog.packages import licence_id

    assert licence_id(None) == "etalab-2.0" and licence_id("Licence Ouverte v2.0") == "etalab-2.0"
    assert licence_id("ODbL-1.0") == "odc-odbl" and licence_id("CC-BY-SA-4.0") == "CC-BY-SA-4.0"
