"""Gathering one member: list every source, land every resource, keep the bookkeeping.

Plain Python (no Dagster) so it can be tested and run alone; the `raw` asset calls it.
Like ckanext-harvest's gather/fetch stages, but errors are recorded per object instead
of aborting: one broken source, dataset or resource never stops the others, and what
failed is retried on the next run. The member's manifest (`raw/<member>/manifest.json`)
is the harvest bookkeeping: each dataset's remote record, status, and latest landings.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from catalog.committee import Member, Source
from catalog.naming import dataset_slug, resource_slug, slugify
from connectors.deletions import DEFAULT_GRACE, Presence, reconcile
from connectors.http import FetchError, FetchPolicy
from connectors.landing import land_bytes, land_resource
from connectors.objectstore import ObjectStore, object_key
from connectors.portals import ckan, dcat, files, opendatasoft, udata
from connectors.portals.listing import ListingProblem, ProblemSink
from connectors.records import RemoteDataset, RemoteResource

ARCHIVE_AFTER = DEFAULT_GRACE  # 7 days, as udata


@dataclass
class Failure:
    """What failed, where, why and when: what the member's contact is told."""

    what: str  # source | dataset | resource
    where: str  # URL or dataset slug
    why: str
    when: str

    def as_dict(self) -> dict:
        return self.__dict__.copy()


@dataclass
class MemberGathering:
    member: str
    datasets: int = 0
    landed: int = 0  # resources whose bytes changed (new raw object or new provenance)
    unchanged: int = 0
    missing: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


def manifest_key(member: str) -> str:
    return object_key("raw", member, "manifest.json")


def source_policy(source: Source) -> FetchPolicy:
    headers = {}
    if source.credentials_env and os.environ.get(source.credentials_env):
        headers["Authorization"] = os.environ[source.credentials_env]
    allow = frozenset()
    if source.allow_private_network and source.url:
        allow = frozenset({_host(source.url)})
    if source.allow_private_network and source.files:
        allow = frozenset(_host(f.url) for f in source.files)
    return FetchPolicy(allow_private_hosts=allow, headers=headers)


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""


def list_source(
    store: ObjectStore, member: Member, source: Source, on_problem: ProblemSink
) -> Iterable[RemoteDataset]:
    """The datasets one source offers, as remote records; bad items go to `on_problem`."""
    policy = source_policy(source)
    match source.type:
        case "files":
            return files.list_datasets(source.files)
        case "inbox":
            return _inbox_datasets(store, member.slug)
        case "ckan":
            return ckan.list_datasets(source.url, policy, organization=source.organization, tags=source.tags,
                                      on_problem=on_problem)
        case "opendatasoft":
            return opendatasoft.list_datasets(source.url, policy, publisher=source.organization, tags=source.tags)
        case "udata":
            return udata.list_datasets(source.url, policy, organization=source.organization, tags=source.tags,
                                       on_problem=on_problem)
        case "dcat":
            return dcat.list_datasets(source.url, policy, on_problem=on_problem)
    raise ValueError(f"unknown source type {source.type!r}")


def _inbox_datasets(store: ObjectStore, member: str) -> Iterable[RemoteDataset]:
    """Small communes drop files under inbox/<member>/: each file is one dataset."""
    for obj in store.list(f"inbox/{member}/"):
        name = PurePosixPath(obj.key).name
        stem, _, ext = name.rpartition(".")
        yield RemoteDataset(
            remote_id=slugify(stem or name),
            title=(stem or name).replace("_", " ").capitalize(),
            description=f"Fichier déposé dans la boîte de dépôt par la commune ({name}).",
            uri=f"s3://{store.bucket}/{obj.key}",
            resources=(RemoteResource(url=f"s3://{store.bucket}/{obj.key}", name=name,
                                      format=(ext or "bin").upper(), checksum=obj.etag),),
        )


def gather_member(store: ObjectStore, member: Member, now: datetime | None = None) -> MemberGathering:
    now = now or datetime.now(UTC)
    stamp = now.isoformat(timespec="seconds")
    manifest = store.get_json(manifest_key(member.slug), default={"member": member.slug, "datasets": {}})
    known: dict = manifest["datasets"]
    report = MemberGathering(member=member.slug)
    seen: set[str] = set()
    sources_listed_fully = True

    for index, source in enumerate(member.sources):
        where = source.url or f"{source.type} source #{index}"
        def left_out(problem: ListingProblem) -> None:
            report.failures.append(Failure("dataset", problem.source_url, f"{problem.item}: {problem.reason}", stamp))

        try:
            remote_datasets = list(list_source(store, member, source, left_out))
        except Exception as exc:  # one source down never stops the member's other sources
            sources_listed_fully = False
            report.failures.append(Failure("source", where, _reason(exc), stamp))
            continue
        for remote in remote_datasets:
            slug = dataset_slug(member.slug, remote.remote_id)
            if slug in seen:  # the same dataset reached by two paths is landed once
                continue
            seen.add(slug)
            override = source.datasets.get(remote.remote_id)
            entry = known.setdefault(slug, {"first_seen": stamp, "resources": {}, "status_since": stamp})
            if entry.get("status") != "present":
                entry["status_since"] = stamp
            entry.update(
                remote=_remote_as_dict(remote), source=index, status="present", last_seen=stamp, errors=[],
                override=override.model_dump(by_alias=True) if override else None,
            )
            for resource in remote.resources:
                _land_one(store, member.slug, slug, resource, source, entry, report, stamp)
    report.datasets = len(seen)

    # Vanished upstream: missing now, archived after the grace period, never deleted.
    # Only judged on a complete listing, or one outage would mark everything missing.
    if sources_listed_fully:
        previous = {slug: _presence(entry) for slug, entry in known.items()}
        for slug, presence in reconcile(previous, seen, now, ARCHIVE_AFTER).items():
            entry = known[slug]
            if presence.status == "missing" and entry["status"] != "missing":
                report.missing.append(slug)
            if presence.status == "archived" and entry["status"] != "archived":
                report.archived.append(slug)
            entry.update(status=presence.status, status_since=presence.since.isoformat(timespec="seconds"))

    manifest.update(gathered_at=stamp, failures=[f.as_dict() for f in report.failures])
    store.put_json(manifest_key(member.slug), manifest)
    return report


def _land_one(store, member, slug, resource: RemoteResource, source: Source, entry, report, stamp):
    rslug = resource_slug(resource.key)
    previous = entry["resources"].get(rslug)
    try:
        if resource.url.startswith("s3://"):  # an inbox drop: already in our own store
            key = resource.url.split("/", 3)[3]
            data = store.get_bytes(key)
            raw_key, digest, _ = land_bytes(store, member, data, resource.format)
            changed = not previous or previous.get("sha256") != digest
            record = {"member": member, "dataset": slug, "resource": rslug,
                      "source_url": resource.url, "fetched_at": stamp, "http_status": 200,
                      "etag": resource.checksum, "last_modified": None, "size": len(data),
                      "sha256": digest, "key": raw_key, "format": resource.format,
                      "changed": changed, "name": resource.name}
        else:
            record = land_resource(store, member=member, dataset=slug, resource=rslug,
                                   url=resource.url, fmt=resource.format,
                                   policy=source_policy(source), previous=previous,
                                   name=resource.name).as_record()
        entry["resources"][rslug] = record
        if record["changed"]:
            report.landed += 1
        else:
            report.unchanged += 1
    except Exception as exc:  # recorded, retried next run; the previous landing is kept
        failure = Failure("resource", resource.url, _reason(exc), stamp)
        report.failures.append(failure)
        entry["errors"].append(failure.as_dict())


def _presence(entry: dict) -> Presence:
    return Presence(
        status=entry.get("status", "present"),
        since=datetime.fromisoformat(entry.get("status_since") or entry["first_seen"]),
        last_seen=datetime.fromisoformat(entry["last_seen"]) if entry.get("last_seen") else None,
    )


def _reason(exc: Exception) -> str:
    if isinstance(exc, FetchError):
        return str(exc)
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" ({frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})" if frame else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _remote_as_dict(remote: RemoteDataset) -> dict:
    from dataclasses import asdict

    return asdict(remote)
