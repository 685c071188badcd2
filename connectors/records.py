"""What a connector says about a remote dataset, whatever the API it speaks.

These records are the hinge between the sources and the catalogue: `catalog` turns them
into CKAN packages, `pipelines` lands their resources. They live here, not in `catalog`,
because connectors must not depend on the catalogue (import-linter contract).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class RemoteResource:
    """One downloadable file of a remote dataset."""

    url: str
    name: str
    format: str  # upper-case short name: CSV, XLSX, ODS, JSON, GEOJSON, PARQUET, ZIP...
    remote_id: str | None = None
    size: int | None = None
    checksum: str | None = None  # as the source declares it, e.g. "sha256:..." or an md5
    last_modified: datetime | None = None
    schema: str | None = None  # declared TableSchema (URL or schema.data.gouv.fr name)
    schema_version: str | None = None  # version of that schema, when the source says it

    @property
    def key(self) -> str:
        """Stable identity inside its dataset: the remote id, else the URL."""
        return self.remote_id or self.url


@dataclass(frozen=True)
class RemoteDataset:
    """A dataset as listed by a member's source."""

    remote_id: str  # stable id at the source (CKAN id, ODS dataset_id, udata id, DCAT URI)
    title: str
    description: str = ""
    licence: str | None = None
    tags: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    spatial: str | None = None
    temporal_start: date | None = None
    temporal_end: date | None = None
    frequency: str | None = None
    modified: datetime | None = None
    uri: str | None = None  # canonical URI: the same dataset reached by two paths is one
    schema: str | None = None
    resources: tuple[RemoteResource, ...] = field(default_factory=tuple)
    # Other names of the same dataset: its page by name on a CKAN, the origin URL and id
    # a udata portal kept when it harvested it. Matching them finds a dataset reached by
    # two paths (a member's CKAN and its copy on data.gouv.fr).
    same_as: tuple[str, ...] = ()

    @property
    def identity(self) -> str:
        """Identity order as ckanext-dcat and udata use it: URI first, then remote id."""
        return self.uri or self.remote_id
