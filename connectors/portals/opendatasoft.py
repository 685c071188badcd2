"""Opendatasoft portals, through the Explore API v2.1 catalogue.

Datasets are listed from `/api/explore/v2.1/catalog/datasets` with limit/offset in
`dataset_id` order and an ODSQL `where`; the resources are the dataset's full exports
(CSV, Parquet, and GeoJSON when it has geographic fields), never the `records` endpoint,
which stops at a few thousand rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from connectors.http import FetchPolicy, UnexpectedContent, fetch_json, mask_url
from connectors.pagination import OffsetPaginator, Page, PageRequest, paginate
from connectors.portals.listing import normalise_format, parse_date, parse_timestamp
from connectors.records import RemoteDataset, RemoteResource

CATALOG = "/api/explore/v2.1/catalog/datasets"
GEO_FIELD_TYPES = {"geo_point_2d", "geo_shape"}
MAX_LIMIT = 100  # the Explore API refuses larger pages


def list_datasets(
    portal_url: str,
    policy: FetchPolicy,
    *,
    where: str | None = None,
    publisher: str | None = None,
    themes: Sequence[str] = (),
    tags: Sequence[str] = (),
    modified_since: datetime | None = None,
    limit: int = MAX_LIMIT,
    max_pages: int = 10_000,
) -> Iterator[RemoteDataset]:
    """Every dataset of the portal matching the ODSQL `where` and the refinements.

    `publisher`, `themes` and `tags` (ODS keywords) become `refine` facets; the
    `modified_since` bound is added to the `where` clause.
    """
    portal = portal_url.rstrip("/")
    url = portal + CATALOG
    params: dict[str, Any] = {"order_by": "dataset_id"}
    clause = where_clause(where, modified_since)
    if clause:
        params["where"] = clause
    refine = refinements(publisher=publisher, themes=themes, tags=tags)
    if refine:
        params["refine"] = refine
    pager = OffsetPaginator(
        url,
        params,
        limit=min(limit, MAX_LIMIT),
        offset_param="offset",
        limit_param="limit",
        id_of=lambda dataset: dataset["dataset_id"],
        max_pages=max_pages,
    )

    def get_page(request: PageRequest) -> Page:
        return catalog_page(fetch_json(request.url, policy, params=request.params), request.url)

    for dataset in paginate(pager, get_page):
        yield to_remote_dataset(dataset, portal)


def where_clause(where: str | None, modified_since: datetime | None) -> str:
    """The ODSQL filter: the configured clause, and the incremental bound."""
    clauses = [f"({where})"] if where else []
    if modified_since is not None:
        if modified_since.tzinfo is None:
            modified_since = modified_since.replace(tzinfo=UTC)
        instant = modified_since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        clauses.append(f"modified >= date'{instant}'")
    return " AND ".join(clauses)


def refinements(*, publisher: str | None, themes: Sequence[str], tags: Sequence[str]) -> list[str]:
    """`refine` values (`facet:"value"`, one per value; ODS combines them with AND)."""
    facets = [("publisher", publisher)] if publisher else []
    facets += [("theme", theme) for theme in themes] + [("keyword", tag) for tag in tags]
    return [f'{facet}:"{value.replace(chr(34), "")}"' for facet, value in facets]


def catalog_page(body: Any, url: str) -> Page:
    """An Explore v2.1 catalogue answer: `results` and `total_count`."""
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise UnexpectedContent(f"{mask_url(url)}: not an Explore v2.1 catalogue (no results)", url=mask_url(url))
    total = body.get("total_count")
    return Page(items=body["results"], total=total if isinstance(total, int) else None)


def to_remote_dataset(dataset: Mapping[str, Any], portal_url: str) -> RemoteDataset:
    """An Explore v2.1 catalogue entry as a remote dataset, with its exports as resources."""
    portal = portal_url.rstrip("/")
    dataset_id = str(dataset["dataset_id"])
    metas = dataset.get("metas") or {}
    default = metas.get("default") or {}
    dcat = metas.get("dcat") or {}
    start, end = _temporal(dcat)
    return RemoteDataset(
        remote_id=dataset_id,
        title=default.get("title") or dataset_id,
        description=default.get("description") or "",
        licence=default.get("license") or None,
        tags=tuple(_strings(default.get("keyword"))),
        themes=tuple(_strings(default.get("theme"))),
        spatial=dcat.get("spatial") or ", ".join(_strings(default.get("territory"))) or None,
        temporal_start=start,
        temporal_end=end,
        frequency=dcat.get("accrualperiodicity") or None,
        modified=parse_timestamp(default.get("modified")),
        uri=f"{portal}/explore/dataset/{quote(dataset_id)}/",
        resources=tuple(_exports(dataset, portal) + _attachments(dataset, portal)),
    )


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str) and item]
    return []


def _temporal(dcat: Mapping[str, Any]) -> tuple[Any, Any]:
    start = parse_date(dcat.get("temporal_coverage_start"))
    end = parse_date(dcat.get("temporal_coverage_end"))
    interval = dcat.get("temporal")
    if not (start or end) and isinstance(interval, str) and "/" in interval:
        first, _, last = interval.partition("/")
        start, end = parse_date(first), parse_date(last)
    return start, end


def has_geo_fields(dataset: Mapping[str, Any]) -> bool:
    fields = dataset.get("fields") or []
    return any(isinstance(f, dict) and f.get("type") in GEO_FIELD_TYPES for f in fields)


def _exports(dataset: Mapping[str, Any], portal: str) -> list[RemoteResource]:
    if dataset.get("has_records") is False:
        return []
    dataset_id = str(dataset["dataset_id"])
    default = (dataset.get("metas") or {}).get("default") or {}
    processed = parse_timestamp(default.get("data_processed"))
    formats = ["csv", "parquet"] + (["geojson"] if has_geo_fields(dataset) else [])
    base = f"{portal}{CATALOG}/{quote(dataset_id)}/exports"
    return [
        RemoteResource(
            url=f"{base}/{fmt}",
            name=f"{dataset_id}.{fmt}",
            format=fmt.upper(),
            remote_id=f"export-{fmt}",
            last_modified=processed,
        )
        for fmt in formats
    ]


def _attachments(dataset: Mapping[str, Any], portal: str) -> list[RemoteResource]:
    """Files attached to the dataset (often the only data of a dataset without records)."""
    dataset_id = str(dataset["dataset_id"])
    resources = []
    for attachment in dataset.get("attachments") or []:
        if not isinstance(attachment, dict) or not attachment.get("id"):
            continue
        attachment_id = str(attachment["id"])
        url = f"{portal}{CATALOG}/{quote(dataset_id)}/attachments/{quote(attachment_id)}"
        resources.append(
            RemoteResource(
                url=url,
                name=attachment.get("title") or attachment_id,
                format=normalise_format(attachment.get("mimetype"), attachment_id),
                remote_id=f"attachment-{attachment_id}",
            )
        )
    return resources
