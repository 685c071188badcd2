"""Publication to the shared CKAN catalogue, as a plan and then its application.

`plan(desired, published)` is pure: it compares what the hub wants in the catalogue with
what CKAN holds and says what to create, update, upload, leave alone or archive. A dry
run prints it; tests assert it. `apply(plan, ckan)` carries it out through ckanapi,
several datasets at a time. Identity: dataset names are deterministic (catalog.naming),
resource ids are uuid5, and resource bytes are compared by sha256 (CKAN's `hash` field)
known before they are read, so an unchanged dataset causes no write, not even a read of
its files, and a re-run converges.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from ckanapi import CKANAPIError, NotFound, ValidationError


@dataclass(frozen=True)
class DesiredResource:
    id: str  # uuid5: stable across runs
    name: str
    format: str  # CSV, Parquet...
    filename: str
    sha256: str  # compared with CKAN's `hash`: bytes CKAN already holds are neither read nor sent
    content: Callable[[], bytes] = field(compare=False, repr=False)  # reads the bytes, to upload them
    description: str = ""
    mimetype: str = "application/octet-stream"
    # Rows for the DataStore (previews, Data API), read only with an upload too; `rows`
    # says how many without reading them.
    table: Callable[[], pl.DataFrame] | None = field(default=None, compare=False, repr=False)
    rows: int = 0

    def previewed(self) -> bool:
        """Its rows go to the DataStore; beyond DATASTORE_MAX_ROWS the file is the way to the data."""
        return self.table is not None and self.rows <= DATASTORE_MAX_ROWS


# DataStore column types for the normalised polars types (anything else is text).
DATASTORE_TYPES = {pl.Int64: "int8", pl.Int32: "int4", pl.Float64: "float8", pl.Float32: "float8",
                   pl.Boolean: "bool", pl.Date: "date", pl.Datetime: "timestamp"}
DATASTORE_MAX_ROWS = 200_000  # beyond this the Parquet file is the way to the data
DATASTORE_CHUNK = 10_000
HASH_ALGORITHM = "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"
ORGANIZATION_BATCH = 25  # CKAN's most organizations listed with all their fields at once
SEARCH_BATCH = 500  # names per package_search: within Solr's 1,024 boolean clauses and CKAN's 1,000 rows


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


def plan(desired: Iterable[DesiredDataset], published: dict[str, dict], archive: Iterable[str] = (),
         tables: Collection[str] | None = None) -> Plan:
    """What to do so that CKAN holds `desired`; `published` maps name -> package_show.
    `tables`: the resources that have a DataStore table (None: not known, not checked)."""
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
            # A preview that failed to load last time is retried with the upload, as is one
            # whose table is gone (a CKAN killed mid-request, a table dropped by hand).
            preview_missing = resource.previewed() and held is not None and (
                held.get("datastore_active") is False
                or (tables is not None and held.get("datastore_active") and resource.id not in tables))
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
    # Only the fields the hub sets are compared: anything else in CKAN (activity,
    # counters, what a sysadmin added) does not make a dataset differ.
    for key, value in dataset.fields.items():
        if key in ("owner_org", "groups"):
            continue  # CKAN answers the organization's id, groups as dicts: compared below
        if _normal(current.get(key)) != _normal(value):
            return True
    if key_org := dataset.fields.get("owner_org"):
        org = current.get("organization") or {}
        if key_org not in (org.get("name"), org.get("id"), current.get("owner_org")):
            return True
    if "groups" in dataset.fields and sorted(g["name"] for g in current.get("groups", [])) != sorted(
            g["name"] for g in dataset.fields["groups"]):
        return True
    have_tags = sorted(t["name"] for t in current.get("tags", []))
    return have_tags != sorted(dataset.tags)


def _normal(value):
    # CKAN answers "" for empty text fields and [] for empty repeating subfields.
    return None if value in ("", [], {}) else value


def apply(result: Plan, ckan, workers: int = 1) -> None:
    """Carry out a plan with a ckanapi client (RemoteCKAN or LocalCKAN).

    Dataset by dataset, each one's steps in order, `workers` datasets at a time (keep it
    within what CKAN serves at once; a LocalCKAN needs 1). One failure is recorded in
    `result.failed` and the others go on; what failed is planned again on the next run,
    since CKAN still differs.
    """
    steps = _steps(result, ckan)

    def carry_out(name: str) -> str | None:
        try:
            for action in steps[name]:
                action()
        except (CKANAPIError, OSError) as exc:
            return f"{name}: {type(exc).__name__}: {str(exc)[:300]}"
        return None

    result.failed.extend(failure for failure in in_parallel(carry_out, list(steps), workers) if failure)


def _steps(result: Plan, ckan) -> dict[str, list[Callable[[], Any]]]:
    """Each dataset's CKAN calls, in the order they must run."""
    steps: dict[str, list] = {}
    for dataset in result.create:
        steps.setdefault(dataset.name, []).append(lambda d=dataset: _create(ckan, d))
    for dataset in result.update:
        payload = {**dataset.fields, "state": "active", "tags": [{"name": t} for t in dataset.tags]}
        steps.setdefault(dataset.name, []).append(lambda p=payload, n=dataset.name: ckan.action.package_patch(
            id=n, **_patchable(p)))
    created = {dataset.name for dataset in result.create}
    for name, resource, exists in result.upload:
        if name not in created:  # a new dataset's files go with its creation
            steps.setdefault(name, []).append(lambda n=name, r=resource, e=exists: _upload(ckan, n, r, e))
    for name, resource in result.relabel:
        steps.setdefault(name, []).append(lambda r=resource: ckan.action.resource_patch(id=r.id, **_labels(r)))
    for name, resource_id in result.remove:
        steps.setdefault(name, []).append(lambda i=resource_id: ckan.action.resource_delete(id=i))
    for name in result.archive:
        # Archived, not purged: CKAN's delete is a state change an admin can undo.
        steps.setdefault(name, []).append(lambda n=name: ckan.action.package_delete(id=n))
    return steps


def in_parallel(function: Callable, items: list, workers: int) -> list:
    """`function` on each item, `workers` at a time (each mostly waits on a service), results in order."""
    if workers <= 1 or len(items) <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        return list(pool.map(function, items))


def _create(ckan, dataset: DesiredDataset) -> None:
    """A new dataset with its files, DataStore tables and previews in one request
    (`hub_dataset_create`, the hub's CKAN plugin, deploy/local/ckan/ckanext-hub): one package
    validation, activity and index where CKAN's own actions take four requests and two
    package updates. All or nothing: CKAN purges a dataset it could not finish, and the next
    run creates it again. A table longer than one DataStore request goes the long way."""
    payload = {**dataset.fields, "name": dataset.name, "tags": [{"name": t} for t in dataset.tags]}
    previewed = [r for r in dataset.resources if r.previewed()]
    tables = {r.id: r.table() for r in previewed}
    try:
        if any(table.height > DATASTORE_CHUNK for table in tables.values()):
            _create_step_by_step(ckan, dataset, payload, tables)
            return
        files = {}
        resources = []
        for resource in dataset.resources:
            data = resource.content()
            files[f"upload__{resource.id}"] = _named(data, resource.filename)
            resources.append({**_described(resource), "hash": resource.sha256, "size": len(data)})
        # The package and the tables as JSON files of the multipart request: CKAN's Werkzeug
        # refuses a text field over 500 KB (413), which a table of 10,000 rows exceeds.
        package = json.dumps({**payload, "resources": resources}, ensure_ascii=False, default=str)
        rows = json.dumps({rid: _datastore_table(table) for rid, table in tables.items()},
                          ensure_ascii=False, default=str)
        ckan.action.hub_dataset_create(package=_named(package.encode(), "package.json"),
                                       datastore=_named(rows.encode(), "datastore.json"), **files)
    except ValidationError as exc:
        # The name is taken: the package exists (another run created it since the plan
        # read the catalogue). Planned again against it: what differs is updated.
        if "name" not in (exc.error_dict or {}):
            raise
        current = {dataset.name: ckan.action.package_show(id=dataset.name)}
        for action in _steps(plan([dataset], current), ckan).get(dataset.name, []):
            action()


def _create_step_by_step(ckan, dataset: DesiredDataset, payload: dict, tables: dict[str, pl.DataFrame]) -> None:
    """CKAN's own actions: the package with its resources described, their DataStore tables
    (in chunks), their previews, then every file with its sha256 in one package_revise. The
    sha256 comes last: until it is there the next plan uploads again, so a dataset that
    failed half-way is completed by the next run."""
    created = ckan.action.package_create(**payload, resources=[_described(r) for r in dataset.resources])
    for resource_id, table in tables.items():
        _fill_datastore(ckan, resource_id, table)
    if tables:
        ckan.action.package_create_default_resource_views(package=created, create_datastore_views=True)
    revision: dict = {}
    for resource in dataset.resources:
        data = resource.content()
        prefix = f"update__resources__{resource.id}__"
        # package_revise reads each value as JSON when it parses: a digest of digits and one
        # "e" would become a number, so it travels as a JSON string.
        revision |= {prefix + "upload": _named(data, resource.filename), prefix + "hash": json.dumps(resource.sha256),
                     prefix + "size": len(data)}
    if revision:
        ckan.action.package_revise(match__id=created["id"], **revision)


def _described(resource: DesiredResource) -> dict:
    """A resource as package_create takes it, before its file (so without its sha256). A
    previewed one says it has its DataStore table already: datastore_create then fills it
    without updating the package to say so (it patches the flag only when it is unset)."""
    described = {"id": resource.id, **_labels(resource), "mimetype": resource.mimetype,
                 "hash_algorithm": HASH_ALGORITHM}
    if resource.previewed():
        described["datastore_active"] = True
    return described


def _named(data: bytes, filename: str) -> io.BytesIO:
    upload = io.BytesIO(data)
    upload.name = filename  # the download's name in CKAN
    return upload


def _upload(ckan, dataset_name: str, resource: DesiredResource, exists: bool) -> None:
    data = resource.content()
    fields = {
        "id": resource.id, "name": resource.name, "format": resource.format,
        "description": resource.description, "hash": resource.sha256, "hash_algorithm": HASH_ALGORITHM,
        "mimetype": resource.mimetype, "size": len(data),
    }
    upload = _named(data, resource.filename)
    if exists:
        held = ckan.action.resource_patch(upload=upload, **fields)
    else:
        held = ckan.action.resource_create(package_id=dataset_name, upload=upload, **fields)
    if resource.previewed():
        push_to_datastore(ckan, held, resource.table(), replace=exists)


def push_to_datastore(ckan, resource: dict, table: pl.DataFrame, replace: bool = True) -> None:
    """Fill the resource's DataStore table: previews and the Data API read it. `replace`:
    drop the table it may hold first (a resource created just now has none)."""
    if replace:
        try:
            ckan.action.datastore_delete(resource_id=resource["id"], force=True)
        except NotFound:
            pass
    _fill_datastore(ckan, resource["id"], table)
    # Default views are made when the resource is created, before its DataStore table
    # exists; ask again now so the preview appears (existing views are kept, not doubled).
    # The resource as the upload answered it, now with its table: no resource_show.
    ckan.action.resource_create_default_resource_views(
        resource={**resource, "datastore_active": True}, create_datastore_views=True)


def _datastore_table(table: pl.DataFrame) -> dict:
    """datastore_create's `fields` and first `records` (DATASTORE_CHUNK rows) for a table."""
    fields = [{"id": name, "type": _datastore_type(dtype)} for name, dtype in table.schema.items()]
    # Dates travel as ISO text; the DataStore casts them to its column types.
    text = table.head(DATASTORE_CHUNK).with_columns(pl.col(pl.Date, pl.Datetime).cast(pl.String))
    return {"fields": fields, "records": text.to_dicts()}


def _fill_datastore(ckan, resource_id: str, table: pl.DataFrame) -> None:
    ckan.action.datastore_create(resource_id=resource_id, force=True, **_datastore_table(table))
    rows = table.with_columns(pl.col(pl.Date, pl.Datetime).cast(pl.String))
    for offset in range(DATASTORE_CHUNK, rows.height, DATASTORE_CHUNK):
        ckan.action.datastore_upsert(resource_id=resource_id, force=True, method="insert",
                                     records=rows.slice(offset, DATASTORE_CHUNK).to_dicts())


def _datastore_type(dtype: pl.DataType) -> str:
    return next((kind for base, kind in DATASTORE_TYPES.items() if dtype == base or isinstance(dtype, base)),
                "text")


def _patchable(payload: dict) -> dict:
    return {k: v for k, v in payload.items() if k != "name"}


def published_packages(ckan, names: Iterable[str], workers: int = 1) -> dict[str, dict]:
    """package_show for each name the hub manages (missing ones are simply absent)."""
    def show(name: str) -> dict | None:
        try:
            return ckan.action.package_show(id=name)
        except NotFound:
            return None

    names = list(dict.fromkeys(names))
    return {name: found for name, found in zip(names, in_parallel(show, names, workers), strict=True) if found}


def existing_names(ckan, names: list[str]) -> list[str]:
    """The names of packages CKAN's database holds, whatever their state
    (`hub_package_names`, the hub's CKAN plugin), SEARCH_BATCH names a call."""
    found: set[str] = set()
    for start in range(0, len(names), SEARCH_BATCH):
        found.update(ckan.action.hub_package_names(names=names[start:start + SEARCH_BATCH]))
    return [name for name in names if name in found]


def indexed_packages(ckan, names: Iterable[str]) -> dict[str, dict]:
    """What CKAN's search index holds under these names, SEARCH_BATCH names a call: each
    package as package_show gave it when it was indexed. Archived ones are not there, and
    the index follows writes only within Solr's soft commit (a second, solrconfig.xml)."""
    names = list(dict.fromkeys(names))
    found: dict[str, dict] = {}
    for start in range(0, len(names), SEARCH_BATCH):
        batch = names[start:start + SEARCH_BATCH]
        quoted = " OR ".join(f'"{name}"' for name in batch)  # names are slugs: nothing to escape
        answer = ckan.action.package_search(fq=f"name:({quoted})", rows=len(batch), include_private=True)
        found.update((package["name"], package) for package in answer["results"] if package["name"] in batch)
    return found


def plan_against_catalogue(ckan, desired: list[DesiredDataset], archive: Iterable[str] = (),
                           workers: int = 1) -> Plan:
    """`plan` against what CKAN holds, read cheaply: the search index answers for most
    datasets in one call, and what it lacks is read with package_show. The index may lag a
    second behind CKAN's writes, so nothing is written on its word alone: the datasets the
    plan would write to that it answered for are read again with package_show first."""
    archive = list(archive)
    names = [dataset.name for dataset in desired] + archive
    indexed = indexed_packages(ckan, names)
    unindexed = [name for name in names if name not in indexed]
    # Of the names the index lacks (new datasets, archived ones, the last second's writes),
    # the database says which exist in one call: only those are read one by one.
    held = indexed | published_packages(ckan, existing_names(ckan, unindexed), workers)
    tables = set(ckan.action.hub_datastore_tables()) if any(r.previewed() for d in desired for r in d.resources) \
        else None
    todo = plan(desired, held, archive, tables)
    doubtful = sorted(_written(todo) & set(indexed))
    if not doubtful:
        return todo
    held = {name: package for name, package in held.items() if name not in doubtful}
    return plan(desired, held | published_packages(ckan, doubtful, workers), archive, tables)


def _written(todo: Plan) -> set[str]:
    return ({dataset.name for dataset in todo.create + todo.update} | {name for name, _, _ in todo.upload}
            | {name for name, _ in todo.relabel + todo.remove} | set(todo.archive))


def ensure_organizations(ckan, wanted: list[tuple[str, str, str, dict[str, str]]], workers: int = 1) -> list[str]:
    """ensure_organization for each (name, title, description, extras); the names created now.

    One organization_list per ORGANIZATION_BATCH names finds those already as wanted, so a
    run where none changed makes no call per organization."""
    settled: set[str] = set()
    for start in range(0, len(wanted), ORGANIZATION_BATCH):
        batch = wanted[start:start + ORGANIZATION_BATCH]
        listed = ckan.action.organization_list(organizations=[name for name, *_ in batch], all_fields=True,
                                               limit=len(batch))
        current = {org["name"]: (org.get("title"), org.get("description")) for org in listed}
        settled |= {name for name, title, description, _ in batch if current.get(name) == (title, description)}
    rest = [organization for organization in wanted if organization[0] not in settled]
    created = in_parallel(lambda organization: ensure_organization(ckan, *organization), rest, workers)
    return [organization[0] for organization, new in zip(rest, created, strict=True) if new]


def ensure_groups(ckan, wanted: list[tuple[str, str, str]]) -> list[str]:
    """Each (name, title, description) group, created or relabelled; the names created now.
    One group_list answers for all of them when none changed."""
    if not wanted:
        return []
    listed = ckan.action.group_list(groups=[name for name, *_ in wanted], all_fields=True, limit=len(wanted))
    current = {group["name"]: (group.get("title"), group.get("description")) for group in listed}
    created = []
    for name, title, description in wanted:
        if name not in current:
            try:
                ckan.action.group_create(name=name, title=title, description=description)
                created.append(name)
                continue
            except ValidationError as exc:  # deleted once: its name is still taken
                if "name" not in (exc.error_dict or {}):
                    raise
        if current.get(name) != (title, description):
            ckan.action.group_patch(id=name, title=title, description=description, state="active")
    return created


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
