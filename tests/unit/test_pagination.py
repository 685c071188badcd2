"""Paginators driven by fake answers in the shapes CKAN, udata and Hydra really send:
they must walk every page, list each record once, and stop loops instead of spinning."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from connectors.http import UnexpectedContent
from connectors.pagination import (
    NextUrlPaginator,
    OffsetPaginator,
    Page,
    PageNumberPaginator,
    PageRequest,
    PaginationError,
    ckan_page,
    paginate,
    udata_page,
)

CKAN = "https://ckan.example.fr/api/3/action/package_search"
UDATA = "https://www.data.gouv.fr/api/1/organizations/commune-de-crach/datasets/"


def records(*ids: str) -> list[dict[str, str]]:
    return [{"id": identifier, "title": f"Jeu {identifier}"} for identifier in ids]


def fake_ckan(ids: list[str], asked: list[PageRequest], max_rows: int = 1000) -> Callable[[PageRequest], Page]:
    """package_search over `ids`, capping rows as ckan.search.rows_max does."""

    def answer(request: PageRequest) -> Page:
        asked.append(request)
        start, rows = int(request.params["start"]), min(int(request.params["rows"]), max_rows)
        body = {"success": True, "result": {"count": len(ids), "results": records(*ids[start : start + rows])}}
        return ckan_page(body, request.full_url)

    return answer


def test_offset_paging_walks_a_ckan_search_to_its_count() -> None:
    asked: list[PageRequest] = []
    paginator = OffsetPaginator(CKAN, {"sort": "id asc", "q": "*:*"}, limit=3)
    found = list(paginate(paginator, fake_ckan(list("abcdefg"), asked)))
    assert [record["id"] for record in found] == list("abcdefg")
    assert [request.params["start"] for request in asked] == [0, 3, 6]
    assert all(request.params["sort"] == "id asc" for request in asked)
    assert paginator.pages == 3 and paginator.request is None


def test_the_offset_moves_by_what_was_received_when_the_server_caps_rows() -> None:
    asked: list[PageRequest] = []
    paginator = OffsetPaginator(CKAN, limit=1000)
    found = list(paginate(paginator, fake_ckan(list("abcde"), asked, max_rows=2)))
    assert [record["id"] for record in found] == list("abcde")
    assert [request.params["start"] for request in asked] == [0, 2, 4]


def test_offset_paging_without_a_total_stops_on_an_empty_page() -> None:
    pages = {0: records("a", "b"), 2: records("c"), 3: []}
    paginator = OffsetPaginator(CKAN, limit=2, offset_param="offset", limit_param="limit")
    found = list(paginate(paginator, lambda r: Page(pages[r.params["offset"]])))
    assert [record["id"] for record in found] == ["a", "b", "c"]
    assert paginator.pages == 3


def test_a_server_ignoring_the_offset_is_a_stuck_pager() -> None:
    paginator = OffsetPaginator(CKAN, limit=2)
    with pytest.raises(PaginationError) as caught:
        list(paginate(paginator, lambda r: Page(records("a", "b"), total=10)))
    assert str(caught.value) == (
        f"{CKAN}?rows=2&start=2: page 2 holds only ids already seen on earlier pages: the pager is stuck"
    )


def test_ids_repeated_across_pages_come_out_once_and_are_recorded() -> None:
    # A dataset created between two requests shifts `sort=id asc` paging by one.
    pages = {0: records("a", "b", "c"), 3: records("c", "d", "e"), 6: records("e", "f")}
    paginator = OffsetPaginator(CKAN, limit=3)
    found = list(paginate(paginator, lambda r: Page(pages[r.params["start"]], total=8)))
    assert [record["id"] for record in found] == list("abcdef")
    assert paginator.duplicates == ["c", "e"]


def test_an_id_twice_on_one_page_comes_out_once() -> None:
    paginator = NextUrlPaginator(UDATA)
    assert paginator.feed(Page(records("a", "b", "a"))) == records("a", "b")
    assert paginator.duplicates == ["a"]


def test_more_pages_than_the_limit_raise_instead_of_stopping_silently() -> None:
    paginator = PageNumberPaginator(UDATA, page_size=1, max_pages=5)
    with pytest.raises(PaginationError, match="page 5: more pages than the limit of 5"):
        list(paginate(paginator, lambda r: Page(records(f"id-{r.params['page']}"))))
    assert paginator.pages == 5


def test_page_numbers_count_up_to_the_total() -> None:
    asked: list[int] = []

    def answer(request: PageRequest) -> Page:
        asked.append(request.params["page"])
        start = (request.params["page"] - 1) * 2
        return Page(records(*"abcde"[start : start + 2]), total=5)

    paginator = PageNumberPaginator(UDATA, {"tag": "budget"}, page_size=2)
    assert [record["id"] for record in paginate(paginator, answer)] == list("abcde")
    assert asked == [1, 2, 3]


def test_page_numbers_stop_on_an_empty_page() -> None:
    pages = {0: records("a"), 1: []}
    paginator = PageNumberPaginator(UDATA, first_page=0)
    assert len(list(paginate(paginator, lambda r: Page(pages[r.params["page"]])))) == 1
    assert paginator.pages == 2


def test_udata_next_page_links_are_followed_to_the_end() -> None:
    bodies = {
        f"{UDATA}?page_size=2": {"data": records("a", "b"), "next_page": f"{UDATA}?page=2&page_size=2", "total": 3},
        f"{UDATA}?page=2&page_size=2": {"data": records("c"), "next_page": None, "total": 3},
    }
    paginator = NextUrlPaginator(UDATA, {"page_size": 2})
    found = list(paginate(paginator, lambda r: udata_page(bodies[r.full_url], r.full_url)))
    assert [record["id"] for record in found] == ["a", "b", "c"]


def test_relative_hydra_next_pages_are_resolved_against_the_current_page() -> None:
    catalog = "https://dcat.example.fr/catalog.jsonld"
    graph = {
        f"{catalog}": ["https://dcat.example.fr/dataset/1"],
        f"{catalog}?page=2": ["https://dcat.example.fr/dataset/2"],
    }
    next_pages = {catalog: "catalog.jsonld?page=2", f"{catalog}?page=2": None}
    paginator = NextUrlPaginator(catalog, id_of=lambda item: item["@id"])
    found = list(
        paginate(
            paginator,
            lambda r: Page([{"@id": uri} for uri in graph[r.url]], next_url=next_pages[r.url]),
        )
    )
    assert [item["@id"] for item in found] == graph[catalog] + graph[f"{catalog}?page=2"]


@pytest.mark.parametrize("loop_back", ["?page=1", "?page=2"])
def test_a_next_page_pointing_back_is_a_loop(loop_back: str) -> None:
    # ?page=1 is the first request, whose parameter was given apart: still the same page.
    next_of = {"1": f"{UDATA}?page=2", "2": f"{UDATA}{loop_back}"}
    paginator = NextUrlPaginator(UDATA, {"page": 1})
    fresh_ids = iter(range(100))  # never the same ids twice: only the loop guard can stop it

    def answer(request: PageRequest) -> Page:
        number = str(request.params.get("page") or request.url.rsplit("=", 1)[1])
        return Page(records(f"ds-{next(fresh_ids)}"), next_url=next_of[number])

    with pytest.raises(PaginationError) as caught:
        list(paginate(paginator, answer))
    assert str(caught.value) == (
        f"{UDATA}?page=2: page 2 leads back to an earlier page ({UDATA}{loop_back}): next-page loop"
    )


def test_a_record_without_an_id_is_named_by_its_page_and_position() -> None:
    paginator = NextUrlPaginator(f"{UDATA}?apikey=s3cr3t")
    with pytest.raises(PaginationError) as caught:
        paginator.feed(Page([{"id": "a"}, {"title": "sans identifiant"}]))
    assert str(caught.value) == f"{UDATA}?apikey=***: page 1: record 1 has no id"


def test_feeding_a_finished_paginator_is_a_programming_error() -> None:
    paginator = NextUrlPaginator(UDATA)
    paginator.feed(Page(records("a")))
    with pytest.raises(ValueError, match="paging is over"):
        paginator.feed(Page(records("b")))


@pytest.mark.parametrize(
    ("reader", "body", "shape"),
    [
        (ckan_page, {"success": False, "error": {"message": "Not found"}}, "CKAN search"),
        (ckan_page, {"result": {"results": [], "count": "many"}}, "CKAN search"),
        (udata_page, ["not", "an", "object"], "udata list"),
        (udata_page, {"message": "rate limited"}, "udata list"),
    ],
)
def test_an_answer_of_another_shape_is_unexpected_content(
    reader: Callable[[Any, str], Page], body: Any, shape: str
) -> None:
    with pytest.raises(UnexpectedContent, match=f"^{UDATA}: not a {shape} answer"):
        reader(body, UDATA)
