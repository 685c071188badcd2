"""udata portals (data.gouv.fr and its siblings), through API 1.

An organization's datasets come from `/api/1/organizations/<org>/datasets/`, page after
page by following `next_page` (loops and repeats are stopped by `connectors.pagination`).
udata keeps, for a dataset it harvested elsewhere, the origin's URI, URL and id
(`harvest`): they become the dataset's identity and aliases, so a member's dataset reached
both on its own portal and on data.gouv.fr is one dataset.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from connectors.http import FetchPolicy, fetch_json
from connectors.pagination import NextUrlPaginator, Page, PageRequest, paginate, udata_page
from connectors.portals.listing import (
    ListingProblem,
    ProblemSink,
    check_same_host,
    normalise_format,
    parse_date,
    parse_size,
    parse_timestamp,
    report,
)
from connectors.records import RemoteDataset, RemoteResource


def organization_url(portal_url: str, organization: str) -> str:
    return f"{portal_url.rstrip('/')}/api/1/organizations/{quote(organization, safe='')}/datasets/"


def list_datasets(
    portal_url: str,
    policy: FetchPolicy,
    *,
    organization: str,
    tags: Sequence[str] = (),
    page_size: int = 50,
    max_pages: int = 10_000,
    on_problem: ProblemSink | None = None,
) -> Iterator[RemoteDataset]:
    """Every dataset of one organization (its id or slug) carrying all `tags`.

    The organization endpoint has no tag filter: tags are checked here, on each dataset.
    """
    if not organization:
        raise ValueError(f"{portal_url}: a udata source lists one organization; none given")
    url = organization_url(portal_url, organization)
    pager = NextUrlPaginator(url, {"page": 1, "page_size": page_size}, max_pages=max_pages)
    wanted = set(tags)

    def get_page(request: PageRequest) -> Page:
        check_same_host(request.url, url)
        body = fetch_json(request.url, policy, params=request.params or None)
        return udata_page(body, request.url)

    for dataset in paginate(pager, get_page):
        if dataset.get("deleted") or not wanted <= set(dataset.get("tags") or []):
            continue
        yield to_remote_dataset(dataset, source_url=url, on_problem=on_problem)


def to_remote_dataset(
    dataset: Mapping[str, Any], *, source_url: str = "", on_problem: ProblemSink | None = None
) -> RemoteDataset:
    """A udata API 1 dataset as a remote dataset."""
    remote_id = str(dataset["id"])
    harvest = dataset.get("harvest") or {}
    # The origin's DCAT URI, else its page: what the same dataset is called on its own portal.
    uri = harvest.get("uri") or harvest.get("remote_url") or None
    aliases = [harvest.get("remote_url"), harvest.get("remote_id"), dataset.get("page")]
    temporal = dataset.get("temporal_coverage") or {}
    resources = []
    for resource in dataset.get("resources") or []:
        mapped = _resource(resource)
        if mapped is None:
            item = f"{remote_id} / {resource.get('title') or resource.get('id') or '?'}"
            report(ListingProblem(source_url, item, "resource has no url"), on_problem)
        else:
            resources.append(mapped)
    frequency = dataset.get("frequency")
    return RemoteDataset(
        remote_id=remote_id,
        title=dataset.get("title") or remote_id,
        description=dataset.get("description") or "",
        licence=dataset.get("license") or None,
        tags=tuple(t for t in dataset.get("tags") or [] if isinstance(t, str)),
        spatial=_spatial(dataset.get("spatial")),
        temporal_start=parse_date(temporal.get("start")),
        temporal_end=parse_date(temporal.get("end")),
        frequency=frequency if frequency not in (None, "", "unknown") else None,
        modified=parse_timestamp(dataset.get("last_modified")),
        uri=uri,
        schema=_schema_name(dataset.get("schema")),
        resources=tuple(resources),
        same_as=tuple(dict.fromkeys(a for a in aliases if isinstance(a, str) and a and a != uri)),
    )


def _schema_name(schema: object) -> str | None:
    """A udata schema reference `{name, version, url}`: its URL, else its catalogue name."""
    if not isinstance(schema, dict):
        return None
    return schema.get("url") or schema.get("name") or None


def _spatial(spatial: object) -> str | None:
    """The geometry as GeoJSON when given, else the zone ids (`fr:commune:56007`)."""
    if not isinstance(spatial, dict):
        return None
    if spatial.get("geom"):
        return json.dumps(spatial["geom"], sort_keys=True)
    zones = [z for z in spatial.get("zones") or [] if isinstance(z, str)]
    return ", ".join(zones) or None


def _resource(resource: Mapping[str, Any]) -> RemoteResource | None:
    url = resource.get("url")
    if not isinstance(url, str) or not url.strip():
        return None
    checksum = resource.get("checksum") or {}
    schema = resource.get("schema")
    return RemoteResource(
        url=url.strip(),
        name=resource.get("title") or url.rsplit("/", 1)[-1],
        format=normalise_format(resource.get("format") or resource.get("mime"), url),
        remote_id=resource.get("id") or None,
        size=parse_size(resource.get("filesize")),
        checksum=(
            f"{checksum.get('type') or 'sha1'}:{checksum['value']}"
            if isinstance(checksum, dict) and checksum.get("value")
            else None
        ),
        last_modified=parse_timestamp(resource.get("last_modified")),
        schema=_schema_name(schema),
        schema_version=(schema.get("version") or None) if isinstance(schema, dict) else None,
    )
