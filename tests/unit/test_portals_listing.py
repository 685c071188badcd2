"""Guards and value parsing shared by every source listing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from connectors.portals.listing import (
    DistinctIds,
    ListingProblem,
    StuckPager,
    UnexpectedShape,
    VisitedPages,
    normalise_format,
    parse_date,
    parse_size,
    parse_timestamp,
    report,
)


@pytest.mark.parametrize(
    ("declared", "url", "expected"),
    [
        ("csv", "", "CSV"),
        (".XLSX", "", "XLSX"),
        ("text/csv; charset=utf-8", "", "CSV"),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "", "XLSX"),
        ("application/vnd.oasis.opendocument.spreadsheet", "", "ODS"),
        ("http://publications.europa.eu/resource/authority/file-type/GEOJSON", "", "GEOJSON"),
        ("https://www.iana.org/assignments/media-types/text/csv", "", "CSV"),
        ("application/x-shapefile", "", "X-SHAPEFILE"),
        ("", "https://x.example/data/budget.parquet?v=2", "PARQUET"),
        (None, "https://x.example/data/", ""),
    ],
)
def test_formats_are_short_upper_case_names(declared, url, expected):
    assert normalise_format(declared, url) == expected


def test_timestamps_are_aware_utc_and_naive_ones_are_taken_as_utc():
    assert parse_timestamp("2025-01-02T03:04:05") == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_timestamp("2025-01-02T03:04:05Z") == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_timestamp("2025-01-02T03:04:05+02:00") == datetime(2025, 1, 2, 1, 4, 5, tzinfo=UTC)
    assert parse_timestamp("2025-01-02") == datetime(2025, 1, 2, tzinfo=UTC)
    assert [parse_timestamp(v) for v in ("", "hier", None, 12)] == [None] * 4


def test_dates_sizes_tolerate_what_sources_write():
    assert parse_date("2024-12-31T23:00:00+00:00") == date(2024, 12, 31)
    assert parse_date("31/12/2024") is None
    assert [parse_size(v) for v in (2048, "2048", " 7 ", -1, "1.5", True, None)] == [
        2048, 2048, 7, None, None, None, None
    ]


def test_distinct_ids_drop_repeats_and_tell_a_page_already_seen():
    seen = DistinctIds()
    assert [seen.first_time(i) for i in ("a", "b", "a")] == [True, True, False]
    assert seen.repeated == 1
    assert seen.all_seen(["a", "b"]) and not seen.all_seen(["a", "c"])


def test_visited_pages_refuse_a_loop_whatever_the_parameter_order_or_scheme():
    pages = VisitedPages("https://portal.example/api/x/?page=1&page_size=2", max_pages=10)
    assert pages.follow("https://portal.example/api/x/?page=2&page_size=2", "p1")
    with pytest.raises(StuckPager, match="p2: next page .* was already read"):
        pages.follow("http://portal.example/api/x?page_size=2&page=1", "p2")


def test_visited_pages_refuse_another_host_and_endless_catalogues():
    pages = VisitedPages("https://portal.example/catalog?page=1", max_pages=2)
    with pytest.raises(UnexpectedShape, match="leaves the source host portal.example"):
        pages.follow("http://169.254.169.254/latest/meta-data/", "p1")
    pages.follow("https://portal.example/catalog?page=2", "p1")
    with pytest.raises(StuckPager, match="more than 2 pages"):
        pages.follow("https://portal.example/catalog?page=3", "p2")


def test_a_problem_raises_unless_someone_collects_it():
    problem = ListingProblem("https://portal.example/p", "ds-1", "resource has no url")
    collected: list[ListingProblem] = []
    report(problem, collected.append)
    assert collected == [problem]
    with pytest.raises(UnexpectedShape, match="https://portal.example/p: ds-1: resource has no url"):
        report(problem, None)
