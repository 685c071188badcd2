"""The per-member report (`tdh report MEMBER`): what the committee sends to a member's
contact after a gathering, from the manifest in the real object store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from catalog.committee import Committee, FileEntry, Member, Source
from catalog.naming import dataset_slug
from connectors.handoffs.layout import manifest_key
from connectors.http import FetchPolicy
from pipelines.gathering import gather_member
from pipelines.runner import member_report
from tests.standins.ckan import CkanPortal, ckan_package
from tests.standins.faults import FaultyFiles

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
POLICY = FetchPolicy(retries=0, read_timeout=2.0)
SECRET = "s3cr3t-0f-th3-c0mmun3"


@pytest.fixture
def slug(store, unique):
    name = f"report-{unique}"
    yield name
    for obj in store.list(f"raw/{name}/"):
        store.client.remove_object(store.bucket, obj.key)


@pytest.fixture
def files():
    with FaultyFiles({"stays.csv": b"a;b\n1;2\n", "gone.csv": b"a;b\n3;4\n", "budget.csv": b"a;b\n5;6\n"}) as host:
        yield host


@pytest.fixture
def portal(files):
    def package(name: str) -> dict:
        resource = {"id": f"r-{name}", "name": f"{name}.csv", "format": "CSV", "url": f"{files.url}/{name}.csv"}
        return ckan_package(name, f"Jeu {name}", resources=(resource,))

    with CkanPortal([package("stays"), package("gone")]) as running:
        yield running


def test_the_report_names_the_member_each_failure_and_the_datasets_gone(store, slug, files, portal):
    budget_url = f"{files.url}/budget.csv?api_key={SECRET}"
    crach = Member(
        slug=slug,
        name="Crach (test)",
        kind="commune",
        insee="56046",
        siren="215600461",
        contact="donnees@crach.example.fr",
        sources=(
            Source(type="ckan", url=portal.url, allow_private_network=True, private_origins=(files.url,)),
            Source(
                type="files",
                allow_private_network=True,
                files=(FileEntry(id="budget", url=budget_url, title="Budget primitif"),),
            ),
        ),
    )
    committee = Committee(slug="ctd-test", name="Comité de test", members=(crach,))
    files.faults = {"budget.csv": "error"}

    def report(now: datetime) -> dict:
        gather_member(store, crach, now, policy=POLICY)
        return member_report(slug, committee=committee, store=store)

    never = member_report("Crach (test)", committee=committee, store=store)  # by name, before any gathering
    first = report(T0)
    portal.packages = [p for p in portal.packages if p["id"] != "gone"]
    day1 = report(T0 + timedelta(days=1))
    day8 = report(T0 + timedelta(days=8))
    files.faults = {}
    day9 = report(T0 + timedelta(days=9))

    assert (never["gathered_at"], never["needs_sending"]) == (None, False)
    assert "pas encore été collectées" in never["text"]

    masked = f"{files.url}/budget.csv?api_key=***"
    assert (first["member"], first["name"], first["contact"]) == (slug, "Crach (test)", "donnees@crach.example.fr")
    assert first["gathered_at"] == T0.isoformat(timespec="seconds")
    (failure,) = first["failures"]
    assert (failure["what"], failure["where"], failure["when"]) == ("resource", masked, first["gathered_at"])
    assert failure["why"].startswith(masked) and "HTTP 500" in failure["why"]
    assert (failure["dataset"], failure["title"]) == (dataset_slug(slug, "budget"), "Budget primitif")
    assert first["needs_sending"] and (first["missing"], first["archived"]) == ([], [])
    assert first["text"].startswith("À : donnees@crach.example.fr\nObjet : Collecte des données de Crach (test)")
    assert (
        f"- fichier {masked} (jeu de données « Budget primitif »), le {T0.isoformat(timespec='seconds')}"
        in first["text"]
    )
    assert SECRET not in repr(first)
    assert SECRET not in json.dumps(store.get_json(manifest_key(slug)))

    gone = {
        "dataset": dataset_slug(slug, "gone"),
        "title": "Jeu gone",
        "since": (T0 + timedelta(days=1)).isoformat(timespec="seconds"),
        "last_seen": T0.isoformat(timespec="seconds"),
    }
    assert (day1["missing"], day1["archived"]) == ([gone], [])
    assert f"« Jeu gone » ({gone['dataset']}), absent depuis le {gone['since']}" in day1["text"]

    archived = {**gone, "since": (T0 + timedelta(days=8)).isoformat(timespec="seconds")}
    assert (day8["missing"], day8["archived"]) == ([], [archived])

    # All fetched again, the archive is old news: nothing to send.
    assert (day9["failures"], day9["missing"], day9["archived"]) == ([], [], [archived])
    assert not day9["needs_sending"]
    assert "aucune action n'est nécessaire" in day9["text"]


def test_an_unknown_member_is_named_with_the_members_there_are(store):
    committee = Committee.model_validate(
        {
            "slug": "ctd-test",
            "name": "Comité de test",
            "members": [
                {
                    "slug": "crach",
                    "name": "Crach",
                    "kind": "commune",
                    "insee": "56046",
                    "siren": "215600461",
                    "contact": "donnees@crach.example.fr",
                }
            ],
        }
    )
    with pytest.raises(LookupError, match=r"no member 'carnac' in committee ctd-test \(members: crach\)"):
        member_report("carnac", committee=committee, store=store)
