"""Resources: typed clients for the services, configured only from HUB_* variables.

Secrets come through `dg.EnvVar`, read at run time and hidden in the UI; a production
deployment sets the same variables (deploy/compose/).
"""


import functools
from pathlib import Path

import dagster as dg

from catalog.catalogue_client import CatalogueClient
from catalog.committee import Committee
from catalog.packs import PackError, pack_folder
from connectors.objectstore import ObjectStore
from pipelines.packs import EnabledPack, enabled_packs, file_stamp, read_committee
from pipelines.publishing import DEFAULT_WORKERS

PROJECT_DIR = Path(__file__).resolve().parents[2]


class CommitteeResource(dg.ConfigurableResource):
    """The committee configuration file (members, sources, leads)."""

    path: str = str(PROJECT_DIR / "demo" / "committee.yaml")

    def load(self) -> Committee:
        return read_committee(self.path)

    def packs(self) -> dict[str, EnabledPack]:
        return _packs(self.path, file_stamp(self.path), _pack_stamps(self.load(), self.path))

    def pack(self, name: str) -> EnabledPack:
        return self.packs()[name]


def _pack_stamps(committee: Committee, path: str) -> tuple:
    """Every file of the enabled packs' folders with its stamp: an edited pack is read again."""
    base, stamps = Path(path).resolve().parent, []
    for reference in committee.packs:
        try:
            folder = pack_folder(reference, base)
        except PackError:
            continue  # enabled_packs says so, naming the reference
        stamps += [(str(f), *file_stamp(f)) for f in sorted(folder.rglob("*")) if f.is_file()]
    return tuple(stamps)


@functools.lru_cache(maxsize=4)
def _packs(path: str, stamp: tuple[int, int], pack_stamps: tuple) -> dict[str, EnabledPack]:
    """The enabled packs loaded and checked once per version of the committee file and of
    the packs' files: every asset and check asks for them, and parsing the YAML of five
    packs each time took 1.5 s of a demo no-op run (21 calls). A faulty pack is not cached:
    its error is raised again at every call."""
    return enabled_packs(read_committee(path), path)


class ObjectStoreResource(dg.ConfigurableResource):
    endpoint: str
    access_key: str
    secret_key: str
    bucket: str
    secure: bool = False

    def store(self) -> ObjectStore:
        return ObjectStore.connect(self.endpoint, self.access_key, self.secret_key, self.bucket, self.secure)


class CatalogueResource(dg.ConfigurableResource):
    """The shared CKAN catalogue, written with a sysadmin API token."""

    url: str
    token: str
    # Requests the hub keeps in flight (datasets published at once): about two per CKAN
    # gunicorn worker (pipelines.publishing.DEFAULT_WORKERS).
    workers: int = DEFAULT_WORKERS

    def client(self) -> CatalogueClient:
        return CatalogueClient(self.url, apikey=self.token, user_agent="territorial-data-hub/0.1")


class WarehouseResource(dg.ConfigurableResource):
    url: str  # postgresql://owner:password@host:port/db


class SupersetResource(dg.ConfigurableResource):
    url: str
    username: str
    password: str


class PrivacyResource(dg.ConfigurableResource):
    """Key of the keyed hash used to pseudonymise columns the committee names."""

    pseudonymisation_key: str

    def key(self) -> bytes:
        return self.pseudonymisation_key.encode()


def hub_resources() -> dict[str, dg.ConfigurableResource]:
    return {
        "committee": CommitteeResource(path=dg.EnvVar("HUB_COMMITTEE_FILE")),
        "object_store": ObjectStoreResource(
            endpoint=dg.EnvVar("HUB_S3_ENDPOINT"),
            access_key=dg.EnvVar("HUB_S3_ACCESS_KEY"),
            secret_key=dg.EnvVar("HUB_S3_SECRET_KEY"),
            bucket=dg.EnvVar("HUB_S3_BUCKET"),
        ),
        "catalogue": CatalogueResource(url=dg.EnvVar("HUB_CKAN_URL"), token=dg.EnvVar("HUB_CKAN_TOKEN")),
        "warehouse": WarehouseResource(url=dg.EnvVar("HUB_WAREHOUSE_URL")),
        "superset": SupersetResource(
            url=dg.EnvVar("HUB_SUPERSET_URL"),
            username=dg.EnvVar("HUB_SUPERSET_USER"),
            password=dg.EnvVar("HUB_SUPERSET_PASSWORD"),
        ),
        "privacy": PrivacyResource(pseudonymisation_key=dg.EnvVar("HUB_PSEUDONYMISATION_KEY")),
    }
