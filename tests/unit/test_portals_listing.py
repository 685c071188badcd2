"""Guards and value parsing shared by every source listing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from connectors.http import UnsafeUrl
from connectors.portals.listing import (
    ListingProblem,
    UnexpectedShape,
    check_same_host,
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
        2048,
        2048,
        7,
        None,
        None,
        None,
        None,
    ]


def test_next_pages_must_stay_on_the_source_host():
    check_same_host("http://PORTAL.example/api/x?page=2", "https://portal.example/api/x")
    with pytest.raises(UnsafeUrl, match="leaves the source host portal.example"):
        check_same_host("http://169.254.169.254/latest/meta-data/", "https://portal.example/x")


def test_a_problem_raises_unless_someone_collects_it():
    problem = ListingProblem("https://portal.example/p", "ds-1", "resource has no url")
    collected: list[ListingProblem] = []
    report(problem, collected.append)
    assert collected == [problem]
    with pytest.raises(UnexpectedShape, match="https://portal.example/p: ds-1: resource has no url"):
        report(problem, None)
