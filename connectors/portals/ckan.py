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

    Coverage, frequency, themes and schema are read where the portal keeps them: the
    fields of ckanext-dcat's DCAT-AP scheming schema (`temporal_coverage`,
    `spatial_coverage`, `theme`, `conforms_to`, `frequency`), else the `extras` keys of
    ckanext-dcat and ckanext-spatial without scheming (`temporal_start`, `spatial`...).
    """
    portal = portal_url.rstrip("/")
    remote_id = str(package["id"])
    fields = _fields(package)
    uri = _text(fields.get("uri")) or f"{portal}/dataset/{remote_id}"  # ckanext-dcat's dataset URI
    temporal = _first(fields.get("temporal_coverage"))
    resources = []
    for resource in package.get("resources") or []:
        mapped = _resource(resource, portal)
        if mapped is None:
            name = resource.get("name") or resource.get("id") or "?"
            report(ListingProblem(portal + SEARCH, f"{remote_id} / {name}", "resource has no url"), on_problem)
        else:
            resources.append(mapped)
    return RemoteDataset(
        remote_id=remote_id,
        title=package.get("title") or package.get("name") or remote_id,
        description=package.get("notes") or "",
        licence=package.get("license_id") or None,
        tags=tuple(_names(package.get("tags"))),
        themes=tuple(dict.fromkeys(_names(package.get("groups")) + _list(fields.get("theme")))),
        spatial=_text(fields.get("spatial")) or _spatial_coverage(fields.get("spatial_coverage")),
        temporal_start=parse_date(fields.get("temporal_start") or temporal.get("start")),
        temporal_end=parse_date(fields.get("temporal_end") or temporal.get("end")),
        frequency=_text(fields.get("frequency")),
        modified=parse_timestamp(package.get("metadata_modified")),
        uri=uri,
        schema=_text(fields.get("schema")) or next(iter(_list(fields.get("conforms_to"))), None),
        resources=tuple(resources),
        same_as=(f"{portal}/dataset/{package['name']}",) if package.get("name") else (),
    )


_DCAT_FIELDS = (
    "uri",
    "theme",
    "conforms_to",
    "frequency",
    "temporal_coverage",
    "spatial_coverage",
    "temporal_start",
    "temporal_end",
    "spatial",
    "schema",
)


def _fields(package: Mapping[str, Any]) -> dict[str, Any]:
    """The package's DCAT fields: top-level (scheming) values win over `extras`."""
    fields: dict[str, Any] = {}
    for extra in package.get("extras") or []:
        if isinstance(extra, dict) and extra.get("key") in _DCAT_FIELDS:
            fields[extra["key"]] = extra.get("value")
    for key in _DCAT_FIELDS:
        if package.get(key) not in (None, "", []):
            fields[key] = package[key]
    return fields


def _names(items: object) -> list[str]:
    """Tag and group names; CKAN gives dicts, some stand-ins and exports plain strings."""
    names = []
    for item in items if isinstance(items, list) else []:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name:
            names.append(name)
    return names


def _list(value: object) -> list[str]:
    """A multi-valued field: a list with scheming, a JSON list in a string in `extras`."""
    if isinstance(value, str) and value.startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            return [value]
    if isinstance(value, str):
        return [value] if value else []
    return [item for item in value if isinstance(item, str) and item] if isinstance(value, list) else []


def _first(value: object) -> dict[str, Any]:
    """The first entry of a repeating-subfields field (`temporal_coverage`...), or {}."""
    if isinstance(value, str) and value.startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return {}


def _spatial_coverage(value: object) -> str | None:
    """The most precise description of a DCAT-AP spatial coverage: geometry, box, point,
    place URI, then free text."""
    coverage = _first(value)
    for key in ("geom", "bbox", "centroid", "uri", "text"):
        text = _text(coverage.get(key))
        if text:
            return text
    return None


def _text(value: object) -> str | None:
    """A metadata value as text: strings as they are, structures (GeoJSON...) as JSON."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _resource(resource: Mapping[str, Any], portal: str) -> RemoteResource | None:
    # DCAT-AP portals give the file itself as `download_url`, `url` being its access page.
    url = resource.get("download_url") or resource.get("url")
    if not isinstance(url, str) or not url.strip():
        return None
    url = urljoin(portal + "/", url.strip())  # uploads of old CKANs come back relative
    digest, algorithm = resource.get("hash") or None, resource.get("hash_algorithm") or None
    return RemoteResource(
        url=url,
        name=resource.get("name") or url.rsplit("/", 1)[-1],
        format=normalise_format(resource.get("format") or resource.get("mimetype"), url),
        remote_id=resource.get("id") or None,
        size=parse_size(resource.get("size")),
        checksum=f"{_algorithm_name(algorithm)}:{digest}" if digest and algorithm and ":" not in digest else digest,
        last_modified=parse_timestamp(resource.get("last_modified") or resource.get("modified")),
        schema=_text(resource.get("schema")) or next(iter(_list(resource.get("conforms_to"))), None),
    )


def _algorithm_name(algorithm: str) -> str:
    """`sha256` from an SPDX algorithm URI (`...#checksumAlgorithm_sha256`) or a plain name."""
    return algorithm.rsplit("checksumAlgorithm_", 1)[-1].rsplit("/", 1)[-1].lower()
