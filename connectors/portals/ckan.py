"""CKAN portals, through the action API's `package_search`.

Pages are read with rows/start in `id asc` order, as ckanext-harvest does: a stable order
is what makes offset paging checkable (`connectors.pagination` drops an id repeated when
the catalogue changes under the pager, and stops a pager stuck on one page). Incremental
listings filter on `metadata_modified` in Solr; they tell what changed, never what was
deleted, so deletion reconciliation needs a full listing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from connectors.http import FetchPolicy, fetch_json
from connectors.pagination import OffsetPaginator, Page, PageRequest, ckan_page, paginate
from connectors.portals.listing import (
    ListingProblem,
    ProblemSink,
    normalise_format,
    parse_date,
    parse_size,
    parse_timestamp,
    report,
)
from connectors.records import RemoteDataset, RemoteResource

SEARCH = "/api/3/action/package_search"


def list_datasets(
    portal_url: str,
    policy: FetchPolicy,
    *,
    organization: str | None = None,
    tags: Sequence[str] = (),
    modified_since: datetime | None = None,
    include_private: bool = False,
    rows: int = 100,
    max_pages: int = 10_000,
    on_problem: ProblemSink | None = None,
) -> Iterator[RemoteDataset]:
    """Every dataset of the portal (of one organization, with all `tags`), in id order.

    `modified_since` keeps the datasets whose metadata changed at or after that instant.
    `include_private` asks for the organization's private datasets too, which CKAN only
    returns to an API key of that organization (given in the policy's headers).
    """
    portal = portal_url.rstrip("/")
    url = portal + SEARCH
    params: dict[str, Any] = {"q": "*:*", "sort": "id asc"}
    fq = filter_query(organization=organization, tags=tags, modified_since=modified_since)
    if fq:
        params["fq"] = fq
    if include_private:
        params["include_private"] = "true"
    pager = OffsetPaginator(url, params, limit=rows, max_pages=max_pages)

    def get_page(request: PageRequest) -> Page:
        return ckan_page(fetch_json(request.url, policy, params=request.params), request.url)

    for package in paginate(pager, get_page):
        yield to_remote_dataset(package, portal, on_problem=on_problem)


def filter_query(
    *,
    organization: str | None = None,
    tags: Sequence[str] = (),
    modified_since: datetime | None = None,
) -> str:
    """The Solr `fq` of a listing; values are quoted so a name cannot inject syntax."""
    clauses = []
    if organization:
        clauses.append(f"organization:{_quoted(organization)}")
    clauses.extend(f"tags:{_quoted(tag)}" for tag in tags)
    if modified_since is not None:
        clauses.append(f"metadata_modified:[{_solr_instant(modified_since)} TO *]")
    return " AND ".join(clauses)


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _solr_instant(instant: datetime) -> str:
    # Solr wants UTC with a Z; seconds are enough since the bound is inclusive.
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_remote_dataset(
    package: Mapping[str, Any], portal_url: str, *, on_problem: ProblemSink | None = None
) -> RemoteDataset:
    """A CKAN package as a remote dataset.

    Coverage, frequency and schema are read from the fields ckanext-dcat and
    ckanext-scheming use: a top-level field first, else the `extras` of the same key.
    """
    portal = portal_url.rstrip("/")
    remote_id = str(package["id"])
    extras = _extras(package)
    uri = extras.get("uri") or f"{portal}/dataset/{remote_id}"  # ckanext-dcat's dataset URI
    resources = []
    for resource in package.get("resources") or []:
        mapped = _resource(resource, portal)
        if mapped is None:
            name = resource.get("name") or resource.get("id") or "?"
            problem = ListingProblem(portal + SEARCH, f"{remote_id} / {name}", "resource has no url")
            report(problem, on_problem)
        else:
            resources.append(mapped)
    return RemoteDataset(
        remote_id=remote_id,
        title=package.get("title") or package.get("name") or remote_id,
        description=package.get("notes") or "",
        licence=package.get("license_id") or None,
        tags=tuple(_names(package.get("tags"))),
        themes=tuple(_names(package.get("groups"))),
        spatial=_text(extras.get("spatial")),
        temporal_start=parse_date(extras.get("temporal_start")),
        temporal_end=parse_date(extras.get("temporal_end")),
        frequency=_text(extras.get("frequency")),
        modified=parse_timestamp(package.get("metadata_modified")),
        uri=uri,
        schema=_text(extras.get("schema")),
        resources=tuple(resources),
        same_as=(f"{portal}/dataset/{package['name']}",) if package.get("name") else (),
    )


def _extras(package: Mapping[str, Any]) -> dict[str, Any]:
    extras: dict[str, Any] = {}
    for extra in package.get("extras") or []:
        if isinstance(extra, dict) and "key" in extra:
            extras[extra["key"]] = extra.get("value")
    for key in ("spatial", "temporal_start", "temporal_end", "frequency", "schema", "uri"):
        if package.get(key) not in (None, ""):
            extras[key] = package[key]
    return extras


def _names(items: object) -> list[str]:
    """Tag and group names; CKAN gives dicts, some stand-ins and exports plain strings."""
    names = []
    for item in items if isinstance(items, list) else []:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name:
            names.append(name)
    return names


def _text(value: object) -> str | None:
    """A metadata value as text: strings as they are, structures (GeoJSON...) as JSON."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _resource(resource: Mapping[str, Any], portal: str) -> RemoteResource | None:
    url = resource.get("url")
    if not isinstance(url, str) or not url.strip():
        return None
    url = urljoin(portal + "/", url.strip())  # uploads of old CKANs come back relative
    return RemoteResource(
        url=url,
        name=resource.get("name") or url.rsplit("/", 1)[-1],
        format=normalise_format(resource.get("format") or resource.get("mimetype"), url),
        remote_id=resource.get("id") or None,
        size=parse_size(resource.get("size")),
        checksum=resource.get("hash") or None,
        last_modified=parse_timestamp(resource.get("last_modified")),
        schema=_text(resource.get("schema")),
    )
