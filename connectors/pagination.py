"""Paging through source APIs: one small state machine per API style, separate from HTTP.

As dlt's paginators do, a paginator says which request comes next (`request`) and learns
from each page it is fed (`feed`); it never talks HTTP itself, so the connector does the
fetching and tests feed it fake pages. Every style carries the same guards against the
faults harvesters meet (ckanext-dcat #260, #62; FIELD.md):
- a next request that repeats an earlier one (a next-page loop) raises;
- a page holding only ids already seen (a pager stuck on one page) raises;
- more than `max_pages` pages raises instead of silently stopping;
- an id seen again on a later page (CKAN offset paging while the catalogue changes) is
  dropped and recorded in `duplicates`, so each record comes out once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from connectors.http import FetchError, UnexpectedContent, mask_url


class PaginationError(FetchError):
    """The source's paging cannot be trusted to end or to list each record once."""


@dataclass(frozen=True)
class PageRequest:
    url: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def full_url(self) -> str:
        """The URL with its parameters, as the page is fetched (and named in errors)."""
        if not self.params:
            return self.url
        return f"{self.url}{'&' if '?' in self.url else '?'}{urlencode(self.params)}"

    @property
    def key(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        """The same page whether its parameters sit in the URL or in `params`."""
        parts = urlsplit(self.url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        query += [(name, str(value)) for name, value in self.params.items()]
        return (urlunsplit((*parts[:3], "", "")), tuple(sorted(query)))


@dataclass(frozen=True)
class Page:
    """What one answer says, whatever its shape: its records, and where paging goes next."""

    items: Sequence[Any]
    next_url: str | None = None  # next-URL styles (udata next_page, Hydra nextPage)
    total: int | None = None  # records in the whole listing, when the API says


def _id_field(item: Any) -> Any:
    return item["id"]


class Paginator(ABC):
    """The guards and bookkeeping shared by every style; subclasses say what comes next."""

    def __init__(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        *,
        id_of: Callable[[Any], Any] = _id_field,
        max_pages: int = 1000,
    ):
        self.id_of = id_of
        self.max_pages = max_pages
        self.pages = 0
        self.duplicates: list[str] = []
        self._seen: set[str] = set()
        self.request: PageRequest | None = self._first(url, dict(params or {}))
        self._requested = {self.request.key}

    def feed(self, page: Page) -> list[Any]:
        """Learn from the answer to `request`; return its records not seen before."""
        request = self.request
        if request is None:
            raise ValueError("paging is over: there is no request to answer")
        self.pages += 1
        where = f"{mask_url(request.full_url)}: page {self.pages}"
        fresh = []
        for position, item in enumerate(page.items):
            identifier = self._identify(item, position, where, request)
            if identifier in self._seen:
                self.duplicates.append(identifier)
            else:
                self._seen.add(identifier)
                fresh.append(item)
        if page.items and not fresh:
            raise PaginationError(
                f"{where} holds only ids already seen on earlier pages: the pager is stuck",
                url=mask_url(request.full_url),
            )
        following = self._next(request, page) if page.items else None
        if following is not None:
            if following.key in self._requested:
                raise PaginationError(
                    f"{where} leads back to an earlier page ({mask_url(following.full_url)}): next-page loop",
                    url=mask_url(request.full_url),
                )
            if self.pages >= self.max_pages:
                raise PaginationError(
                    f"{where}: more pages than the limit of {self.max_pages}",
                    url=mask_url(request.full_url),
                )
            self._requested.add(following.key)
        self.request = following
        return fresh

    def _identify(self, item: Any, position: int, where: str, request: PageRequest) -> str:
        try:
            identifier = self.id_of(item)
        except (KeyError, IndexError, TypeError, AttributeError):
            identifier = None
        if identifier is None or identifier == "":
            raise PaginationError(f"{where}: record {position} has no id", url=mask_url(request.full_url))
        return str(identifier)

    @abstractmethod
    def _first(self, url: str, params: dict[str, Any]) -> PageRequest:
        """The request for the first page."""

    @abstractmethod
    def _next(self, request: PageRequest, page: Page) -> PageRequest | None:
        """The request after `request`, given its (non-empty) answer; None at the end."""


class OffsetPaginator(Paginator):
    """Offset and limit parameters: CKAN's `start`/`rows` (package_search), ODS offset/limit.

    The next offset moves by the records actually received, not by `limit`: a server that
    caps the page size (CKAN's ckan.search.rows_max) then loses nothing.
    """

    def __init__(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        *,
        limit: int = 100,
        offset_param: str = "start",
        limit_param: str = "rows",
        id_of: Callable[[Any], Any] = _id_field,
        max_pages: int = 1000,
    ):
        self.limit = limit
        self.offset_param = offset_param
        self.limit_param = limit_param
        super().__init__(url, params, id_of=id_of, max_pages=max_pages)

    def _first(self, url: str, params: dict[str, Any]) -> PageRequest:
        return PageRequest(url, {**params, self.limit_param: self.limit, self.offset_param: 0})

    def _next(self, request: PageRequest, page: Page) -> PageRequest | None:
        offset = int(request.params[self.offset_param]) + len(page.items)
        if page.total is not None and offset >= page.total:
            return None
        return PageRequest(request.url, {**request.params, self.offset_param: offset})


class PageNumberPaginator(Paginator):
    """Numbered pages: `page`/`page_size` (udata without next_page, many small APIs)."""

    def __init__(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        *,
        page_size: int = 100,
        page_param: str = "page",
        size_param: str = "page_size",
        first_page: int = 1,
        id_of: Callable[[Any], Any] = _id_field,
        max_pages: int = 1000,
    ):
        self.page_size = page_size
        self.page_param = page_param
        self.size_param = size_param
        self.first_page = first_page
        self.received = 0
        super().__init__(url, params, id_of=id_of, max_pages=max_pages)

    def _first(self, url: str, params: dict[str, Any]) -> PageRequest:
        return PageRequest(url, {**params, self.size_param: self.page_size, self.page_param: self.first_page})

    def _next(self, request: PageRequest, page: Page) -> PageRequest | None:
        self.received += len(page.items)
        if page.total is not None and self.received >= page.total:
            return None
        number = int(request.params[self.page_param]) + 1
        return PageRequest(request.url, {**request.params, self.page_param: number})


class NextUrlPaginator(Paginator):
    """The answer names the next page: udata's `next_page`, Hydra's `nextPage`/`next`.

    The first request carries the parameters; next URLs are complete (relative ones are
    resolved against the page that gave them).
    """

    def _first(self, url: str, params: dict[str, Any]) -> PageRequest:
        return PageRequest(url, params)

    def _next(self, request: PageRequest, page: Page) -> PageRequest | None:
        if not page.next_url:
            return None
        return PageRequest(urljoin(request.url, page.next_url))


def paginate(paginator: Paginator, get_page: Callable[[PageRequest], Page]) -> Iterator[Any]:
    """Every record across the pages, once each; `get_page` does the fetching."""
    while paginator.request is not None:
        yield from paginator.feed(get_page(paginator.request))


def ckan_page(body: Any, url: str) -> Page:
    """A CKAN action API answer (package_search): `result.results` and `result.count`."""
    try:
        result = body["result"]
        return Page(items=list(result["results"]), total=int(result["count"]))
    except (KeyError, TypeError, ValueError):
        raise UnexpectedContent(
            f"{mask_url(url)}: not a CKAN search answer (no result.results / result.count)",
            url=mask_url(url),
        ) from None


def udata_page(body: Any, url: str) -> Page:
    """A udata API 1 list (data.gouv.fr): `data`, `next_page`, `total`."""
    try:
        total = body.get("total")
        return Page(
            items=list(body["data"]),
            next_url=body.get("next_page"),
            total=int(total) if total is not None else None,
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise UnexpectedContent(
            f"{mask_url(url)}: not a udata list answer (no data / next_page)", url=mask_url(url)
        ) from None
