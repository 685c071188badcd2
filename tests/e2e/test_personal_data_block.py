"""Undecided personal data stops its member's publication, and only its member's: a failed
blocking check in that member's run, while the other member publishes; once the committee
decides (`withhold`), the member's other datasets go out. A small committee of its own
(test names), removed from CKAN and S3 afterwards."""

import uuid

import pytest
import yaml
from ckanapi import RemoteCKAN, errors

from connectors.objectstore import ObjectStore, object_key
from pipelines.runner import run_hub
from tests.committees import committee_file, inbox_commune, remove_committee
from tests.conftest import stack_setting

CLEAN = "commune;annee;km_pistes\n{name};2025;12,5\n"
CONTACTS = ("cantine;gestionnaire;courriel;telephone\n"
            "École du bourg;Marie Le Gall;marie.legall@example.fr;06 12 34 56 78\n"
            "École de la gare;Yann Kerboul;yann.kerboul@example.fr;06 98 76 54 32\n")


def _write(folder, committee) -> None:
    (folder / "committee.yaml").write_text(yaml.safe_dump(committee, allow_unicode=True))


def _exists(ckan, name: str) -> bool:
    try:
        return ckan.action.package_show(id=name)["state"] == "active"
    except errors.NotFound:
        return False


@pytest.fixture
def committee(tmp_path):
    unique = uuid.uuid4().hex[:6]
    calm, careless = f"tdhtest-{unique}-calme", f"tdhtest-{unique}-distraite"
    committee = {"slug": f"tdhtest-{unique}", "name": "Comité de test",
                 "members": [inbox_commune(calm, "56120"), inbox_commune(careless, "56101")]}
    _write(tmp_path, committee)
    store = ObjectStore.from_environment()
    store.put_bytes(object_key("inbox", calm, "pistes_cyclables.csv"), CLEAN.format(name="Calme").encode())
    store.put_bytes(object_key("inbox", careless, "pistes_cyclables.csv"), CLEAN.format(name="Distraite").encode())
    store.put_bytes(object_key("inbox", careless, "cantines_contacts.csv"), CONTACTS.encode())
    try:
        with committee_file(tmp_path / "committee.yaml"):
            yield {"committee": committee, "folder": tmp_path, "calm": calm, "careless": careless}
    finally:
        _clean(committee, store)


# Both members in one run (the check fails as a WARN naming the careless member, the
# publication leaves it out), or one run each (Dagster's blocking check fails as an ERROR
# in the careless member's run and its publication step does not run).
@pytest.mark.parametrize("range_members", [25, 1], ids=["one-run", "run-per-member"])
def test_undecided_personal_data_stops_only_its_members_publication(committee, range_members, monkeypatch):
    monkeypatch.setattr("pipelines.runner.RANGE_MEMBERS", range_members)
    ckan = RemoteCKAN(stack_setting("HUB_CKAN_URL"), apikey=stack_setting("HUB_CKAN_TOKEN"))
    calm, careless = committee["calm"], committee["careless"]

    first = run_hub()
    assert len(first.run_ids) == 1 + (2 if range_members == 1 else 1)  # member runs, then the committee's
    assert first.checks["personal_data_declared"] is False
    [stopped] = first.stopped  # the run says whose publication stopped, and why
    assert careless in stopped and "cantines-contacts" in stopped
    assert _exists(ckan, f"{calm}-pistes-cyclables")
    assert not _exists(ckan, f"{careless}-pistes-cyclables")  # its clean file waits with the rest
    assert not _exists(ckan, f"{careless}-cantines-contacts")

    # The committee decides: the contacts file stays out; the member's other data goes out.
    committee["committee"]["members"][1] = inbox_commune(careless, "56101", {
        "cantines-contacts": {"withhold": "contacts nominatifs des gestionnaires"}})
    _write(committee["folder"], committee["committee"])
    second = run_hub()
    assert second.success, second.error
    assert second.checks["personal_data_declared"] is True
    assert _exists(ckan, f"{careless}-pistes-cyclables")
    assert not _exists(ckan, f"{careless}-cantines-contacts")
    assert f"{careless}-cantines-contacts" in second.metadata["catalog"]["withheld"]


def _clean(committee: dict, store: ObjectStore) -> None:
    members = [m["slug"] for m in committee["members"]]
    remove_committee(committee, [f"{m}-{d}" for m in members for d in ("pistes-cyclables", "cantines-contacts")],
                     store)
