"""What every source listing shares: its errors, its guards, and value parsing.

A listing either completes or raises: a caller must never take a half listing for the
whole source (deletion reconciliation would then mark the rest missing). Problems with a
single dataset or resource do not stop the listing: they go to the caller's `on_problem`
sink, or raise when the caller gave none.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import parse_qsl, urlsplit


class ListingError(Exception):
    """A source could not be listed completely; the message names the URL and the cause."""


class StuckPager(ListingError):
    """The source keeps serving pages already seen (ckanext-dcat #260, #62)."""


class UnexpectedShape(ListingError):
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


class DistinctIds:
    """Ids already yielded in one listing.

    Offset pagers repeat an item when a dataset is inserted before the cursor while paging
    (ckanext-harvest #377); the second copy is dropped here. A page made only of ids
    already seen means the pager is not moving: the caller raises `StuckPager`.
    """

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self.repeated = 0

    def first_time(self, remote_id: str) -> bool:
        if remote_id in self._seen:
            self.repeated += 1
            return False
        self._seen.add(remote_id)
        return True

    def all_seen(self, remote_ids: Iterable[str]) -> bool:
        return all(remote_id in self._seen for remote_id in remote_ids)


class VisitedPages:
    """Next-page URLs already followed: a link back to one of them is an infinite loop."""

    def __init__(self, first_url: str, max_pages: int) -> None:
        self._first_host = _host(first_url)
        self._visited = {_page_key(first_url)}
        self._max_pages = max_pages

    def also_known_as(self, url: str) -> None:
        """Another address of the page just read (a Hydra view names its own page)."""
        self._visited.add(_page_key(url))

    def follow(self, next_url: str, from_url: str) -> str:
        """Check the next link found on `from_url`; returns it when it may be fetched."""
        if _page_key(next_url) in self._visited:
            raise StuckPager(f"{from_url}: next page {next_url} was already read (paging loop)")
        if _host(next_url) != self._first_host:
            # A catalogue's own pages stay on its host; anything else is a misconfigured
            # site_url at best, a redirection to somewhere the member did not declare at worst.
            raise UnexpectedShape(
                f"{from_url}: next page {next_url} leaves the source host {self._first_host}"
            )
        if len(self._visited) >= self._max_pages:
            raise StuckPager(f"{from_url}: more than {self._max_pages} pages, giving up")
        self._visited.add(_page_key(next_url))
        return next_url


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _page_key(url: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """A page's address without what does not change the page: scheme (http and https
    copies of one catalogue), parameter order, trailing slash."""
    parts = urlsplit(url)
    query = tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return _host(url) + (f":{parts.port}" if parts.port else ""), parts.path.rstrip("/"), query


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
