"""Publication to the shared CKAN catalogue, as a plan and then its application.

`plan(desired, published)` is pure: it compares what the hub wants in the catalogue with
what CKAN holds and says what to create, update, upload, leave alone or archive. A dry
run prints it; tests assert it. `apply(plan, ckan)` carries it out through ckanapi.
Identity: dataset names are deterministic (catalog.naming), resource ids are uuid5, and
resource bytes are compared by sha256 (CKAN's `hash` field), so an unchanged dataset
causes no write at all and a re-run converges.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field

import polars as pl
from ckanapi import CKANAPIError, NotFound, ValidationError

# Metadata fields the hub owns; anything else in CKAN (activity, counters) is ignored
# when deciding whether a dataset changed.
OWNED_FIELDS = (
    "title", "notes", "license_id", "owner_org", "private", "identifier", "frequency",
    "conforms_to", "theme", "temporal_coverage", "spatial_coverage", "publisher", "contact",
    "provenance", "access_rights", "version",
)


@dataclass(frozen=True)
class DesiredResource:
    id: str  # uuid5: stable across runs
    name: str
    format: str  # CSV, Parquet...
    filename: str
    data: bytes
    sha256: str
    description: str = ""
    mimetype: str = "application/octet-stream"
    table: pl.DataFrame | None = field(default=None, compare=False)  # rows for the DataStore


# DataStore column types for the normalised polars types (anything else is text).
DATASTORE_TYPES = {pl.Int64: "int8", pl.Int32: "int4", pl.Float64: "float8", pl.Float32: "float8",
                   pl.Boolean: "bool", pl.Date: "date", pl.Datetime: "timestamp"}
DATASTORE_MAX_ROWS = 200_000  # beyond this the Parquet file is the way to the data
DATASTORE_CHUNK = 10_000


@dataclass
class DesiredDataset:
    name: str
    fields: dict  # CKAN package fields (DCAT-AP scheming), owner_org included
    tags: tuple[str, ...] = ()
    resources: list[DesiredResource] = field(default_factory=list)


@dataclass
class Plan:
    create: list[DesiredDataset] = field(default_factory=list)
    update: list[DesiredDataset] = field(default_factory=list)  # metadata changed
    upload: list[tuple[str, DesiredResource, bool]] = field(default_factory=list)  # (dataset, res, exists)
    relabel: list[tuple[str, DesiredResource]] = field(default_factory=list)  # same bytes, new name/description
    remove: list[tuple[str, str]] = field(default_factory=list)  # (dataset, resource id) no longer published
    failed: list[str] = field(default_factory=list)  # "dataset: reason", filled by apply
    unchanged: list[str] = field(default_factory=list)
    archive: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "create": [d.name for d in self.create],
            "update": [d.name for d in self.update],
            "upload": [f"{name}/{r.name}" for name, r, _ in self.upload],
            "relabel": [f"{name}/{r.name}" for name, r in self.relabel],
            "remove": [f"{name}/{rid}" for name, rid in self.remove],
            "failed": self.failed,
            "unchanged": self.unchanged,
            "archive": self.archive,
        }


def plan(desired: Iterable[DesiredDataset], published: dict[str, dict], archive: Iterable[str] = ()) -> Plan:
    """What to do so that CKAN holds `desired`; `published` maps name -> package_show."""
    result = Plan()
    for dataset in desired:
        current = published.get(dataset.name)
        if current is None:
            result.create.append(dataset)
            result.upload.extend((dataset.name, r, False) for r in dataset.resources)
            continue
        # An archived (deleted) package coming back is reactivated in place: its resources
        # are still there under their uuid5 ids, so they are patched, not created twice.
        touched = current.get("state") == "deleted"
        if touched or _metadata_differs(dataset, current):
            result.update.append(dataset)
            touched = True
        existing = {r["id"]: r for r in current.get("resources", [])}
        for resource in dataset.resources:
            held = existing.get(resource.id)
            # A preview that failed to load last time is retried with the upload.
            preview_missing = (resource.table is not None and resource.table.height <= DATASTORE_MAX_ROWS
                               and held is not None and held.get("datastore_active") is False)
            if held is None or held.get("hash") != resource.sha256 or preview_missing:
                result.upload.append((dataset.name, resource, held is not None))
                touched = True
            elif any(_normal(held.get(k)) != _normal(v) for k, v in _labels(resource).items()):
                result.relabel.append((dataset.name, resource))
                touched = True
        # A file the member no longer publishes leaves the dataset too.
        for gone in sorted(set(existing) - {r.id for r in dataset.resources}):
            result.remove.append((dataset.name, gone))
            touched = True
        if not touched:
            result.unchanged.append(dataset.name)
    for name in archive:
        current = published.get(name)
        if current is not None and current.get("state") != "deleted":
            result.archive.append(name)
    return result


def _labels(resource: DesiredResource) -> dict:
    return {"name": resource.name, "description": resource.description, "format": resource.format}


def _metadata_differs(dataset: DesiredDataset, current: dict) -> bool:
    for key, value in dataset.fields.items():
        if key == "owner_org":
            continue  # CKAN answers the organization's id; compared by name below
        if key in OWNED_FIELDS and _normal(current.get(key)) != _normal(value):
            return True
    if key_org := dataset.fields.get("owner_org"):
        org = current.get("organization") or {}
        if key_org not in (org.get("name"), org.get("id"), current.get("owner_org")):
            return True
    have_tags = sorted(t["name"] for t in current.get("tags", []))
    return have_tags != sorted(dataset.tags)


def _normal(value):
    # CKAN answers "" for empty text fields and [] for empty repeating subfields.
    return None if value in ("", [], {}) else value


def apply(result: Plan, ckan) -> None:
    """Carry out a plan with a ckanapi client (RemoteCKAN or LocalCKAN).

    Dataset by dataset: one failure is recorded in `result.failed` and the others go on;
    what failed is planned again on the next run, since CKAN still differs.
    """
    steps: dict[str, list] = {}
    for dataset in result.create:
        steps.setdefault(dataset.name, []).append(lambda d=dataset: _create(ckan, d))
    for dataset in result.update:
        payload = {**dataset.fields, "state": "active", "tags": [{"name": t} for t in dataset.tags]}
        steps.setdefault(dataset.name, []).append(lambda p=payload, n=dataset.name: ckan.action.package_patch(
            id=n, **_patchable(p)))
    for name, resource, exists in result.upload:
        steps.setdefault(name, []).append(lambda n=name, r=resource, e=exists: _upload(ckan, n, r, e))
    for name, resource in result.relabel:
        steps.setdefault(name, []).append(lambda r=resource: ckan.action.resource_patch(id=r.id, **_labels(r)))
    for name, resource_id in result.remove:
        steps.setdefault(name, []).append(lambda i=resource_id: ckan.action.resource_delete(id=i))
    for name in result.archive:
        # Archived, not purged: CKAN's delete is a state change an admin can undo.
        steps.setdefault(name, []).append(lambda n=name: ckan.action.package_delete(id=n))
    for name, actions in steps.items():
        try:
            for action in actions:
                action()
        except (CKANAPIError, OSError) as exc:
            result.failed.append(f"{name}: {type(exc).__name__}: {str(exc)[:300]}")


def _create(ckan, dataset: DesiredDataset) -> None:
    payload = {**dataset.fields, "name": dataset.name, "tags": [{"name": t} for t in dataset.tags]}
    try:
        ckan.action.package_create(**payload)
    except ValidationError as exc:
        # The name is taken: the package exists (another run created it). Update it.
        if "name" not in (exc.error_dict or {}):
            raise
        ckan.action.package_patch(id=dataset.name, state="active", **_patchable(payload))


def _upload(ckan, dataset_name: str, resource: DesiredResource, exists: bool) -> None:
    upload = io.BytesIO(resource.data)
    upload.name = resource.filename
    fields = {
        "id": resource.id, "name": resource.name, "format": resource.format,
        "description": resource.description, "hash": resource.sha256,
        "hash_algorithm": "http://spdx.org/rdf/terms#checksumAlgorithm_sha256",
        "mimetype": resource.mimetype, "size": len(resource.data),
    }
    if exists:
        ckan.action.resource_patch(upload=upload, **fields)
    else:
        ckan.action.resource_create(package_id=dataset_name, upload=upload, **fields)
    if resource.table is not None and resource.table.height <= DATASTORE_MAX_ROWS:
        push_to_datastore(ckan, resource.id, resource.table)


def push_to_datastore(ckan, resource_id: str, table: pl.DataFrame) -> None:
    """Replace the resource's DataStore table: previews and the Data API read it."""
    fields = [{"id": name, "type": _datastore_type(dtype)} for name, dtype in table.schema.items()]
    # Dates travel as ISO text; the DataStore casts them to its column types.
    rows = table.with_columns(pl.col(pl.Date, pl.Datetime).cast(pl.String))
    try:
        ckan.action.datastore_delete(resource_id=resource_id, force=True)
    except NotFound:
        pass
    ckan.action.datastore_create(resource_id=resource_id, force=True, fields=fields,
                                 records=rows.head(DATASTORE_CHUNK).to_dicts())
    for offset in range(DATASTORE_CHUNK, rows.height, DATASTORE_CHUNK):
        ckan.action.datastore_upsert(resource_id=resource_id, force=True, method="insert",
                                     records=rows.slice(offset, DATASTORE_CHUNK).to_dicts())
    # Default views are made when the resource is created, before its DataStore table
    # exists; ask again now so the preview appears (existing views are kept, not doubled).
    ckan.action.resource_create_default_resource_views(
        resource=ckan.action.resource_show(id=resource_id), create_datastore_views=True)


def _datastore_type(dtype: pl.DataType) -> str:
    return next((kind for base, kind in DATASTORE_TYPES.items() if dtype == base or isinstance(dtype, base)),
                "text")


def _patchable(payload: dict) -> dict:
    return {k: v for k, v in payload.items() if k != "name"}


def published_packages(ckan, names: Iterable[str]) -> dict[str, dict]:
    """package_show for each name the hub manages (missing ones are simply absent)."""
    found = {}
    for name in names:
        try:
            found[name] = ckan.action.package_show(id=name)
        except NotFound:
            continue
    return found


def ensure_organization(ckan, name: str, title: str, description: str, extras: dict[str, str]) -> bool:
    """Create the organization once; True when it was created now."""
    try:
        current = ckan.action.organization_show(id=name)
    except NotFound:
        ckan.action.organization_create(
            name=name, title=title, description=description,
            extras=[{"key": k, "value": v} for k, v in extras.items()],
        )
        return True
    if current.get("title") != title or current.get("description") != description:
        ckan.action.organization_patch(id=name, title=title, description=description)
    return False
