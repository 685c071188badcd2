"""The CKAN connector and the gathering against a member's own CKAN portal.

The stack's second CKAN (`ckan_member` on HUB_MEMBER_CKAN_URL: its own databases, its own
Solr core, the DCAT-AP scheming schema) plays a member's portal. The module seeds it through
its API with the member's sysadmin token: an organization of 25 public datasets with
uploaded files and 2 private ones, and a neighbouring organization of 2 datasets. Names
are unique per run and everything created is purged at the end, in CKAN and in S3.
"""

from __future__ import annotations

import hashlib
import io
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from ckanapi import RemoteCKAN

from catalog.committee import Member, Source
from connectors.handoffs.layout import manifest_key
from connectors.http import FetchPolicy
from connectors.portals.ckan import list_datasets
from pipelines.gathering import gather_member
from tests.ckan_cleanup import purge_dataset
from tests.conftest import stack_setting

LOCAL = frozenset({"127.0.0.1"})  # the member portal runs on the loopback: allow-listed
MONTHLY = "http://publications.europa.eu/resource/authority/frequency/MONTHLY"
ENVIRONMENT = "http://publications.europa.eu/resource/authority/data-theme/ENVI"
SHA256_URI = "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"
PUBLIC_DATASETS = 25


@dataclass(frozen=True)
class SeededResource:
    id: str
    url: str
    format: str
    size: int
    sha256: str


@dataclass(frozen=True)
class SeededDataset:
    id: str
    name: str
    title: str
    notes: str
    licence: str
    tags: tuple[str, ...]
    year: int
    private: bool
    resources: tuple[SeededResource, ...]


@dataclass(frozen=True)
class MemberPortal:
    url: str
    token: str
    ckan: RemoteCKAN
    run: str  # unique per run: keeps this run's names apart from any other's
    organization: str
    neighbour: str  # a second organization of the same portal
    datasets: dict[str, list[SeededDataset]]  # by organization name

    def public(self, organization: str) -> list[SeededDataset]:
        return [d for d in self.datasets[organization] if not d.private]


def _tags(index: int) -> tuple[str, ...]:
    return (("eau", "potable"), ("eau",), ("dechets",))[index % 3]


def _upload(ckan: RemoteCKAN, package_id: str, filename: str, fmt: str, data: bytes) -> SeededResource:
    digest = hashlib.sha256(data).hexdigest()
    resource = ckan.action.resource_create(
        package_id=package_id,
        name=filename,
        format=fmt,
        hash=digest,
        hash_algorithm=SHA256_URI,
        upload=(filename, io.BytesIO(data)),
    )
    return SeededResource(id=resource["id"], url=resource["url"], format=fmt, size=len(data), sha256=digest)


def _seed_dataset(ckan: RemoteCKAN, organization: str, name: str, index: int, private: bool) -> SeededDataset:
    licence = ("etalab-2.0", "odc-odbl")[index % 2]
    year = 2019 + index % 5
    package = ckan.action.package_create(
        name=name,
        title=f"Volumes d'eau distribués, jeu {index}",
        owner_org=organization,
        private=private,
        notes=f"Volumes mensuels distribués par le réseau, jeu {index} ({name}).",
        license_id=licence,
        tags=[{"name": tag} for tag in _tags(index)],
        frequency=MONTHLY,
        theme=[ENVIRONMENT],
        temporal_coverage=[{"start": f"{year}-01-01", "end": f"{year}-12-31"}],
        spatial_coverage=[{"uri": "https://id.insee.fr/geo/commune/56046"}],
        issued=f"{year + 1}-01-15",
    )
    resources = [
        _upload(
            ckan,
            package["id"],
            f"volumes-{index}.csv",
            "CSV",
            f"mois;volume_m3\n{year}-01;{1000 + index}\n# {name}\n".encode(),
        )
    ]
    if index % 5 == 0:  # some datasets carry a second file
        resources.append(
            _upload(
                ckan,
                package["id"],
                f"compteurs-{index}.json",
                "JSON",
                f'{{"jeu": "{name}", "compteurs": {index}}}'.encode(),
            )
        )
    return SeededDataset(
        id=package["id"],
        name=name,
        title=package["title"],
        notes=package["notes"],
        licence=licence,
        tags=_tags(index),
        year=year,
        private=private,
        resources=tuple(resources),
    )


@pytest.fixture(scope="module")
def portal() -> Iterator[MemberPortal]:
    url, token = stack_setting("HUB_MEMBER_CKAN_URL"), stack_setting("HUB_MEMBER_CKAN_TOKEN")
    ckan = RemoteCKAN(url, apikey=token)
    run = uuid.uuid4().hex[:8]
    organization, neighbour = f"tdh-membre-{run}", f"tdh-voisin-{run}"
    datasets: dict[str, list[SeededDataset]] = {organization: [], neighbour: []}
    organizations: list[str] = []
    try:
        for name in (organization, neighbour):
            ckan.action.organization_create(name=name, title=f"Organisation de test {name}")
            organizations.append(name)
        for index in range(PUBLIC_DATASETS + 2):
            private = index >= PUBLIC_DATASETS
            datasets[organization].append(_seed_dataset(ckan, organization, f"{run}-jeu-{index:02d}", index, private))
        for index in range(2):
            datasets[neighbour].append(_seed_dataset(ckan, neighbour, f"{run}-voisin-{index}", index, False))
        yield MemberPortal(url, token, ckan, run, organization, neighbour, datasets)
    finally:
        for seeded in datasets.values():
            for dataset in seeded:
                purge_dataset(ckan, dataset.id)
        for name in organizations:
            ckan.action.organization_purge(id=name)


def _anonymous() -> FetchPolicy:
    return FetchPolicy(allow_private_hosts=LOCAL)


def _with_token(portal: MemberPortal) -> FetchPolicy:
    return FetchPolicy(allow_private_hosts=LOCAL, headers={"Authorization": portal.token})


def test_small_pages_list_every_dataset_once_in_id_order(portal):
    listed = [d.remote_id for d in list_datasets(portal.url, _anonymous(), organization=portal.organization, rows=4)]

    expected = sorted(d.id for d in portal.public(portal.organization))
    assert len(expected) == PUBLIC_DATASETS  # 7 pages of 4
    assert listed == expected
    assert len(set(listed)) == len(listed)


def test_organization_filter_keeps_one_organization(portal):
    neighbour = [d.remote_id for d in list_datasets(portal.url, _anonymous(), organization=portal.neighbour, rows=4)]
    everything = [d.remote_id for d in list_datasets(portal.url, _anonymous(), rows=50)]

    assert neighbour == sorted(d.id for d in portal.datasets[portal.neighbour])
    # The whole portal holds both organizations (and whatever else lives there), in id order.
    mine = {d.id for org in (portal.organization, portal.neighbour) for d in portal.public(org)}
    assert mine <= set(everything)
    assert everything == sorted(everything) and len(set(everything)) == len(everything)


@pytest.mark.parametrize("tags", [("eau",), ("eau", "potable"), ("dechets",)])
def test_tags_filter_keeps_datasets_with_every_tag(portal, tags):
    listed = [
        d.remote_id
        for d in list_datasets(portal.url, _anonymous(), organization=portal.organization, tags=tags, rows=5)
    ]

    expected = sorted(d.id for d in portal.public(portal.organization) if set(tags) <= set(d.tags))
    assert expected  # each filter keeps some datasets and leaves others out
    assert len(expected) < PUBLIC_DATASETS
    assert listed == expected


def test_modified_since_lists_only_datasets_changed_after_the_instant(portal):
    time.sleep(1.1)  # Solr compares whole seconds: seeding ends strictly before `since`
    since = datetime.now(UTC)
    changed = portal.public(portal.organization)[7]
    portal.ckan.action.package_patch(id=changed.id, version="2")

    listed = list(
        list_datasets(portal.url, _anonymous(), organization=portal.organization, modified_since=since, rows=4)
    )

    assert [d.remote_id for d in listed] == [changed.id]
    assert listed[0].modified is not None and listed[0].modified >= since.replace(microsecond=0)
    everything = list(list_datasets(portal.url, _anonymous(), organization=portal.organization, rows=10))
    assert len(everything) == PUBLIC_DATASETS  # the full listing still holds every dataset


def test_private_datasets_need_include_private_and_the_token(portal):
    def listed(policy: FetchPolicy, include_private: bool) -> set[str]:
        return {
            d.remote_id
            for d in list_datasets(
                portal.url, policy, organization=portal.organization, include_private=include_private, rows=10
            )
        }

    public = {d.id for d in portal.public(portal.organization)}
    private = {d.id for d in portal.datasets[portal.organization] if d.private}
    assert len(private) == 2

    assert listed(_with_token(portal), include_private=False) == public
    assert listed(_anonymous(), include_private=True) == public
    assert listed(_with_token(portal), include_private=True) == public | private


def test_dcat_ap_fields_are_mapped_to_remote_records(portal):
    listed = {d.remote_id: d for d in list_datasets(portal.url, _anonymous(), organization=portal.organization)}

    for seeded in portal.public(portal.organization):
        remote = listed[seeded.id]
        assert remote.title == seeded.title
        assert remote.description == seeded.notes
        assert remote.licence == seeded.licence
        assert sorted(remote.tags) == sorted(seeded.tags)
        assert remote.themes == (ENVIRONMENT,)
        assert remote.frequency == MONTHLY
        assert (remote.temporal_start, remote.temporal_end) == (date(seeded.year, 1, 1), date(seeded.year, 12, 31))
        assert remote.spatial == "https://id.insee.fr/geo/commune/56046"
        assert remote.uri == f"{portal.url}/dataset/{seeded.id}"
        assert remote.same_as == (f"{portal.url}/dataset/{seeded.name}",)
        by_id = {r.remote_id: r for r in remote.resources}
        assert set(by_id) == {r.id for r in seeded.resources}
        for resource in seeded.resources:
            mapped = by_id[resource.id]
            filename = resource.url.rsplit("/", 1)[-1]
            assert mapped.url == f"{portal.url}/dataset/{seeded.id}/resource/{resource.id}/download/{filename}"
            assert mapped.format == resource.format
            assert mapped.size == resource.size
            assert mapped.checksum == f"sha256:{resource.sha256}"


def test_gathering_lands_the_member_portal_files_once(portal, store):
    member = Member(
        slug=f"membre-{portal.run}",
        name="Commune membre (test)",
        kind="commune",
        insee="56046",
        siren="215600461",
        contact="donnees@commune-membre.example.fr",
        sources=(Source(type="ckan", url=portal.url, organization=portal.organization, allow_private_network=True),),
    )
    seeded = portal.public(portal.organization)
    files = {r.id: r for d in seeded for r in d.resources}
    try:
        first = gather_member(store, member)

        assert first.failures == []
        assert (first.datasets, first.landed, first.unchanged) == (PUBLIC_DATASETS, len(files), 0)
        manifest = store.get_json(manifest_key(member.slug))
        assert len(manifest["datasets"]) == PUBLIC_DATASETS
        records = [r for entry in manifest["datasets"].values() for r in entry["resources"].values()]
        assert len(records) == len(files)
        for record in records:
            resource = next(r for r in files.values() if r.url == record["source_url"])
            assert record["sha256"] == resource.sha256 and record["size"] == resource.size
            assert hashlib.sha256(store.get_bytes(record["key"])).hexdigest() == resource.sha256
        raw_objects = sorted(o.key for o in store.list(f"raw/{member.slug}/"))
        assert len(raw_objects) == len(files) + 1  # one object per file, plus the manifest

        second = gather_member(store, member)

        assert second.failures == [] and second.missing == []
        assert (second.datasets, second.landed, second.unchanged) == (PUBLIC_DATASETS, 0, len(files))
        assert sorted(o.key for o in store.list(f"raw/{member.slug}/")) == raw_objects
    finally:
        for obj in store.list(f"raw/{member.slug}/"):
            store.client.remove_object(store.bucket, obj.key)
