"""The gathering fault suite: one member whose sources fail in every way the field knows
(FIELD.md), landed into the real object store. Each failure is recorded with what, where,
why and when; everything else lands; the next run retries and converges."""

from __future__ import annotations

import hashlib
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from catalog.committee import FileEntry, Member, Source
from catalog.naming import dataset_slug
from connectors.handoffs import Failure
from connectors.handoffs.layout import manifest_key
from connectors.http import FetchPolicy
from connectors.landing import UNCHANGED_BY_LISTING
from pipelines.gathering import gather_member
from tests.standins.ckan import CkanPortal, ckan_package
from tests.standins.dcat import DcatCatalog, dcat_dataset, dcat_distribution
from tests.standins.faults import FailingCkan, FaultyFiles
from tests.standins.files import FileHost
from tests.standins.udata import UdataPortal, udata_dataset, udata_resource

# The hub's limits, shrunk so that a timeout takes a second, not minutes.
POLICY = FetchPolicy(connect_timeout=1.0, read_timeout=0.5, deadline=10.0, retries=1, backoff=0.05, max_bytes=64 * 1024)
T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
PUBLISHED = "2026-01-01T00:00:00"


def csv(value: str) -> bytes:
    return f"commune;valeur\nCrach;{value}\n".encode()


def closed_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def member(slug: str, *sources: Source) -> Member:
    return Member(
        slug=slug,
        name="Crach (test)",
        kind="commune",
        insee="56046",
        siren="215600461",
        contact="donnees@crach.example.fr",
        sources=sources,
    )


def ckan_source(url: str, *files: str) -> Source:
    """A portal on the loopback, its files on the stand-in file hosts `files` (other origins)."""
    return Source(type="ckan", url=url, allow_private_network=True, private_origins=files)


def package(package_id: str, files: FileHost, name: str, modified: str = PUBLISHED) -> dict:
    resource = {
        "id": f"r-{package_id}",
        "name": name,
        "format": "CSV",
        "url": f"{files.url}/{name}",
        "last_modified": modified,
    }
    return ckan_package(package_id, f"Jeu {package_id}", resources=(resource,))


def raw_objects(store, slug: str) -> set[str]:
    return {o.key for o in store.list(f"raw/{slug}/") if not o.key.endswith("manifest.json")}


def by_where(failures: list[Failure]) -> dict[str, Failure]:
    return {f.where: f for f in failures}


@pytest.fixture
def slug(store, unique):
    name = f"faults-{unique}"
    yield name
    for obj in store.list(f"raw/{name}/"):
        store.client.remove_object(store.bucket, obj.key)


@dataclass
class World:
    """A member with seven sources, each failing its own way, and the servers behind them."""

    member: Member
    files: FaultyFiles
    portal: CkanPortal
    failing: FailingCkan
    down: CkanPortal
    down_port: int
    loop: DcatCatalog
    duplicates: DcatCatalog
    udata: UdataPortal
    running: list = field(default_factory=list)

    def url(self, name: str) -> str:
        return f"{self.files.url}/{name}"


@pytest.fixture
def world(slug):
    names = [
        "ok-a",
        "ok-b",
        "slow",
        "error-page",
        "metadata",
        "big",
        "failing-1",
        "down-1",
        "loop-1",
        "loop-2",
        "loop-3",
        "dup-a",
        "dup-b",
        "dup-c",
        "declared",
        "mirror-ok-a",
    ]
    files = FaultyFiles({f"{n}.csv": csv(n) for n in names})
    files.files["big.csv"] = b"commune;valeur\n" + b"Crach;123456\n" * 8000  # 104 kB: over the 64 kB cap
    files.faults = {"slow.csv": "slow", "error-page.csv": "html", "metadata.csv": "metadata"}
    files.start()
    portal = CkanPortal(
        [package(n, files, f"{n}.csv") for n in ("ok-a", "ok-b", "slow", "error-page", "metadata", "big")]
    ).start()
    failing = FailingCkan([package("failing-1", files, "failing-1.csv")]).start()
    down, down_port = CkanPortal([package("down-1", files, "down-1.csv")]), closed_port()

    def dcat_entry(name: str) -> dict:
        return dcat_dataset(
            f"https://data.crach.example.fr/dataset/{name}",
            f"Jeu {name}",
            distributions=(dcat_distribution(f"{files.url}/{name}.csv", format="CSV"),),
        )

    loop = DcatCatalog([dcat_entry(f"loop-{n}") for n in (1, 2, 3)], per_page=2, last_page_points_to=2).start()
    duplicates = DcatCatalog([dcat_entry(n) for n in ("dup-a", "dup-b", "dup-a", "dup-c")], per_page=2).start()
    # The member's dataset ok-a, harvested by a udata portal: the same dataset by another path.
    copy = udata_dataset(
        "udata-ok-a",
        "Jeu ok-a (copie)",
        harvest={"uri": f"{portal.url}/dataset/ok-a"},
        resources=(udata_resource("udata-r-ok-a", f"{files.url}/mirror-ok-a.csv"),),
    )
    udata = UdataPortal({"crach": [copy]}).start()
    sources = (
        ckan_source(portal.url, files.url),
        ckan_source(failing.url, files.url),
        ckan_source(f"http://127.0.0.1:{down_port}", files.url),
        Source(type="dcat", url=loop.catalog_url, allow_private_network=True, private_origins=(files.url,)),
        Source(type="dcat", url=duplicates.catalog_url, allow_private_network=True, private_origins=(files.url,)),
        Source(
            type="files",
            allow_private_network=True,
            files=(FileEntry(id="declared", url=f"{files.url}/declared.csv", title="Fichier déclaré"),),
        ),
        Source(type="udata", url=udata.url, organization="crach", allow_private_network=True,
               private_origins=(files.url,)),
    )
    built = World(
        member(slug, *sources),
        files,
        portal,
        failing,
        down,
        down_port,
        loop,
        duplicates,
        udata,
        running=[files, portal, failing, down, loop, duplicates, udata],
    )
    yield built
    for stand_in in built.running:
        stand_in.stop()


def gather(store, world: World, now: datetime):
    return gather_member(store, world.member, now, policy=POLICY)


def test_each_fault_is_recorded_and_every_other_dataset_lands(store, world, slug):
    report = gather(store, world, T0)

    failures = by_where(report.failures)
    expected = {
        world.failing.url: ("source", "HTTP 500"),
        f"http://127.0.0.1:{world.down_port}": ("source", "cannot connect"),
        world.loop.catalog_url: ("source", "next-page loop"),
        world.url("slow.csv"): ("resource", "timed out"),
        world.url("error-page.csv"): ("resource", "expected CSV, got an HTML page"),
        world.url("metadata.csv"): ("resource", "169.254.169.254 is a link-local address (the cloud metadata"),
        world.url("big.csv"): ("resource", "over the cap of 65536 bytes"),
    }
    assert set(failures) == set(expected)
    for where, (what, cause) in expected.items():
        failure = failures[where]
        assert failure.what == what
        assert cause in failure.why and where in failure.why, failure.why  # the message names the URL
        assert failure.when == T0.isoformat(timespec="seconds")
    assert failures[world.url("slow.csv")].dataset == dataset_slug(slug, "slow")

    # Everything else landed: ok-a, ok-b, the first page of the looping catalogue, the
    # deduplicated catalogue, the declared file; ok-a's copy on the udata portal is ok-a.
    manifest = store.get_json(manifest_key(slug))
    landed = {entry["remote"]["remote_id"]: entry for entry in manifest["datasets"].values() if entry["resources"]}
    dcat_uri = "https://data.crach.example.fr/dataset/{}".format
    assert set(landed) == {
        "ok-a",
        "ok-b",
        dcat_uri("loop-1"),
        dcat_uri("loop-2"),
        dcat_uri("dup-a"),
        dcat_uri("dup-b"),
        dcat_uri("dup-c"),
        "declared",
    }
    assert (report.datasets, report.landed, report.unchanged) == (12, 8, 0)
    for entry in landed.values():
        (record,) = entry["resources"].values()
        assert hashlib.sha256(store.get_bytes(record["key"])).hexdigest() == record["sha256"]
        assert record["changed"] and record["http_status"] == 200
    assert len(raw_objects(store, slug)) == 8
    # Failed resources stay listed, with their error, and are not landed.
    slow = manifest["datasets"][dataset_slug(slug, "slow")]
    assert slow["resources"] == {} and slow["errors"][0]["where"] == world.url("slow.csv")
    assert manifest["failures"] == [f.as_dict() for f in report.failures]

    # Duplicate ids across pages: dup-a came twice, was landed once.
    assert world.files.requests_for("dup-a.csv") == 1
    # The same dataset by two paths: landed once, from the first path.
    assert report.reached_twice == [dataset_slug(slug, "udata-ok-a")]
    assert dataset_slug(slug, "udata-ok-a") not in manifest["datasets"]
    assert world.files.requests_for("mirror-ok-a.csv") == 0


def test_the_next_runs_retry_what_failed_keep_what_landed_and_converge(store, world, slug):
    gather(store, world, T0)
    first = store.get_json(manifest_key(slug))
    landed_first = raw_objects(store, slug)
    ok_b = dataset_slug(slug, "ok-b")
    (ok_b_record,) = first["datasets"][ok_b]["resources"].values()

    # Every fault healed; but ok-b is re-published (new date in the listing) and its server fails.
    world.files.faults = {"ok-b.csv": "error"}
    world.files.files["big.csv"] = csv("big")
    world.failing.failing = False
    world.down.start(port=world.down_port)
    world.loop.last_page_points_to = None
    world.portal.packages = [
        package("ok-b", world.files, "ok-b.csv", modified="2026-02-01T00:00:00") if p["id"] == "ok-b" else p
        for p in world.portal.packages
    ]
    second = gather(store, world, T0 + timedelta(hours=1))

    assert [(f.what, f.where) for f in second.failures] == [("resource", world.url("ok-b.csv"))]
    assert "HTTP 500" in second.failures[0].why
    # The seven items that failed are landed now; what was landed is not fetched again.
    assert (second.landed, second.unchanged, second.missing) == (7, 7, [])
    manifest = store.get_json(manifest_key(slug))
    for name in ("slow", "error-page", "metadata", "big", "failing-1", "down-1"):
        (record,) = manifest["datasets"][dataset_slug(slug, name)]["resources"].values()
        assert record["changed"] and record["key"] in raw_objects(store, slug)
    (ok_a,) = manifest["datasets"][dataset_slug(slug, "ok-a")]["resources"].values()
    assert ok_a["http_status"] == UNCHANGED_BY_LISTING and not ok_a["changed"]
    assert world.files.requests_for("ok-a.csv") == 1
    (declared,) = manifest["datasets"][dataset_slug(slug, "declared")]["resources"].values()
    assert (declared["http_status"], declared["detected_by"]) == (304, "not-modified")
    # ok-b failed: its last landing is kept, bytes included.
    assert manifest["datasets"][ok_b]["resources"] == first["datasets"][ok_b]["resources"]
    assert manifest["datasets"][ok_b]["errors"][0]["where"] == world.url("ok-b.csv")
    assert landed_first <= raw_objects(store, slug)

    world.files.faults = {}
    landed_second = raw_objects(store, slug)
    third = gather(store, world, T0 + timedelta(hours=2))

    # Converged: nothing fails, nothing new is written (ok-b's bytes did not change).
    assert third.failures == [] and (third.landed, third.unchanged) == (0, 15)
    assert raw_objects(store, slug) == landed_second
    (ok_b_now,) = store.get_json(manifest_key(slug))["datasets"][ok_b]["resources"].values()
    assert (ok_b_now["key"], ok_b_now["changed"], ok_b_now["detected_by"]) == (
        ok_b_record["key"],
        False,
        "not-modified",
    )
    assert ok_b_now["declared"]["last_modified"] == "2026-02-01T00:00:00+00:00"


def test_a_dataset_deleted_upstream_is_missing_then_archived_and_never_removed(store, slug):
    with FileHost({"stays.csv": csv("stays"), "gone.csv": csv("gone"), "elsewhere.csv": csv("elsewhere")}) as files:
        portal = CkanPortal([package("stays", files, "stays.csv"), package("gone", files, "gone.csv")]).start()
        other = CkanPortal([package("elsewhere", files, "elsewhere.csv")]).start()
        try:
            crach = member(slug, ckan_source(portal.url, files.url), ckan_source(other.url, files.url))
            gather_member(store, crach, T0, policy=POLICY)
            gone, elsewhere = dataset_slug(slug, "gone"), dataset_slug(slug, "elsewhere")
            gone_resources = store.get_json(manifest_key(slug))["datasets"][gone]["resources"]

            portal.packages = [p for p in portal.packages if p["id"] != "gone"]
            other.stop()  # an outage of the other source must not make its datasets missing
            day1 = gather_member(store, crach, T0 + timedelta(days=1), policy=POLICY)
            day7 = gather_member(store, crach, T0 + timedelta(days=7, hours=23), policy=POLICY)
            day8 = gather_member(store, crach, T0 + timedelta(days=8), policy=POLICY)
            day9 = gather_member(store, crach, T0 + timedelta(days=9), policy=POLICY)
        finally:
            portal.stop()
            other.stop()

    assert (day1.missing, day1.archived) == ([gone], [])
    assert [f.where for f in day1.failures] == [other.url]
    assert (day7.missing, day7.archived) == ([], [])
    assert (day8.missing, day8.archived) == ([], [gone])
    assert (day9.missing, day9.archived) == ([], [])
    manifest = store.get_json(manifest_key(slug))
    entry = manifest["datasets"][gone]
    assert entry["status"] == "archived"
    assert entry["status_since"] == (T0 + timedelta(days=8)).isoformat(timespec="seconds")
    assert entry["last_seen"] == T0.isoformat(timespec="seconds")
    assert entry["resources"] == gone_resources
    assert all(store.exists(record["key"]) for record in gone_resources.values())
    assert manifest["datasets"][elsewhere]["status"] == "present"
    assert manifest["datasets"][dataset_slug(slug, "stays")]["status"] == "present"
