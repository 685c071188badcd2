"""What every source listing shares: problem reporting, a host guard, value parsing.

A listing either completes or raises: a caller must never take a half listing for the
whole source (deletion reconciliation would then mark the rest missing). Paging faults
(loops, stuck pagers, repeated ids) are `connectors.pagination`'s job. Problems with a
single dataset or resource do not stop the listing: they go to the caller's `on_problem`
sink, or raise when the caller gave none.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from connectors.http import UnexpectedContent, UnsafeUrl, mask_url


class UnexpectedShape(UnexpectedContent):
    """A page or a dataset is not in the documented shape of its API."""


@dataclass(frozen=True)
class ListingProblem:
    """One dataset or resource left out of a listing, and why."""

    source_url: str  # the page where it was found
    item: str  # remote id of the dataset, or "<dataset id> / <resource>"
    reason: str

    def __str__(self) -> str:
        return f"{self.source_url}: {self.item}: {self.reason}"


ProblemSink = Callable[[ListingProblem], None]


def report(problem: ListingProblem, on_problem: ProblemSink | None) -> None:
    """Hand a problem to the caller, or raise it when nobody listens."""
    if on_problem is None:
        raise UnexpectedShape(str(problem))
    on_problem(problem)


def check_same_host(url: str, source_url: str) -> None:
    """Refuse a next-page link that leaves the source's host.

    A catalogue's own pages stay on its host; a link elsewhere is a misconfigured site URL
    at best, a way to send the hub (and the source's credentials) somewhere the member did
    not declare at worst.
    """
    if _host(url) != _host(source_url):
        raise UnsafeUrl(
            f"{mask_url(url)}: next page leaves the source host {_host(source_url)}",
            url=mask_url(url),
        )


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def parse_timestamp(value: object) -> datetime | None:
    """An ISO 8601 date or date-time as an aware UTC datetime; naive values are UTC
    (CKAN stores and returns naive UTC). Anything unreadable is treated as absent."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_date(value: object) -> date | None:
    """The calendar date of an ISO 8601 date or date-time, as written by the source."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def parse_size(value: object) -> int | None:
    """A byte count as sources write it: int, numeric string, or nothing."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


_MEDIA_TYPES = {
    "text/csv": "CSV",
    "application/csv": "CSV",
    "application/json": "JSON",
    "application/geo+json": "GEOJSON",
    "application/vnd.geo+json": "GEOJSON",
    "application/vnd.apache.parquet": "PARQUET",
    "application/x-parquet": "PARQUET",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/vnd.ms-excel": "XLS",
    "application/vnd.oasis.opendocument.spreadsheet": "ODS",
    "application/zip": "ZIP",
    "application/xml": "XML",
    "text/xml": "XML",
    "application/pdf": "PDF",
}
_EXTENSION = re.compile(r"\.([a-z0-9]{2,8})$")


def normalise_format(declared: object, url: str = "") -> str:
    """The upper-case short format name of a resource ("CSV", "XLSX", "GEOJSON"...).

    Sources declare formats as names (`csv`, `.CSV`), media types (`text/csv`) or DCAT-AP
    file-type URIs (`.../file-type/CSV`); when they declare nothing, the URL's extension
    decides. Returns "" when nothing tells.
    """
    text = declared.strip() if isinstance(declared, str) else ""
    if text.startswith(("http://", "https://")):
        text = text.rstrip("/").rsplit("/", 1)[-1]
    media = text.lower().split(";", 1)[0].strip()
    if media in _MEDIA_TYPES:
        return _MEDIA_TYPES[media]
    if "/" in media:  # a media type we do not know: keep its subtype
        text = media.rsplit("/", 1)[-1]
    text = text.lstrip(".").upper()
    if text:
        return text
    match = _EXTENSION.search(urlsplit(url).path.lower())
    return match.group(1).upper() if match else ""
