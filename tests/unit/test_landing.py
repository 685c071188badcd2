"""When the listing alone proves a landed resource unchanged (no request at all)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.landing import LISTING_TRUSTED_FOR, declared_facts, vouched_by_listing
from connectors.records import RemoteResource

NOW = datetime(2026, 3, 2, 6, tzinfo=UTC)
RESOURCE = RemoteResource(
    url="https://data.crach.example.fr/files/volumes.csv?apikey=abcdef",
    name="volumes.csv",
    format="CSV",
    size=1032,
    checksum="sha256:" + "ab" * 32,
    last_modified=datetime(2026, 1, 1, tzinfo=UTC),
)


def landed(resource: RemoteResource, fetched: datetime = NOW - timedelta(days=1)) -> dict:
    return {"declared": declared_facts(resource), "fetched_at": fetched.isoformat(timespec="seconds")}


def test_declared_facts_mask_the_url_and_write_dates_as_text():
    assert declared_facts(RESOURCE) == {
        "url": "https://data.crach.example.fr/files/volumes.csv?apikey=***",
        "size": 1032,
        "checksum": "sha256:" + "ab" * 32,
        "last_modified": "2026-01-01T00:00:00+00:00",
    }


def test_the_same_declared_version_vouches_for_the_landed_bytes():
    assert vouched_by_listing(landed(RESOURCE), declared_facts(RESOURCE), NOW)


def test_a_new_date_checksum_size_or_url_in_the_listing_means_fetching_again():
    previous = landed(RESOURCE)
    for changed in (
        RemoteResource(**{**RESOURCE.__dict__, "last_modified": datetime(2026, 2, 1, tzinfo=UTC)}),
        RemoteResource(**{**RESOURCE.__dict__, "checksum": "sha256:" + "cd" * 32}),
        RemoteResource(**{**RESOURCE.__dict__, "size": 1033}),
        RemoteResource(**{**RESOURCE.__dict__, "url": "https://data.crach.example.fr/files/volumes-v2.csv"}),
    ):
        assert not vouched_by_listing(previous, declared_facts(changed), NOW), changed


def test_a_url_and_a_size_alone_vouch_for_nothing():
    bare = RemoteResource(url=RESOURCE.url, name="volumes.csv", format="CSV", size=1032)
    assert not vouched_by_listing(landed(bare), declared_facts(bare), NOW)


def test_nothing_landed_or_landed_before_declared_facts_were_kept_is_fetched():
    assert not vouched_by_listing(None, declared_facts(RESOURCE), NOW)
    assert not vouched_by_listing({"fetched_at": NOW.isoformat()}, declared_facts(RESOURCE), NOW)


def test_the_listing_is_trusted_for_a_week_then_the_bytes_are_checked_again():
    recent = landed(RESOURCE, NOW - LISTING_TRUSTED_FOR + timedelta(minutes=1))
    old = landed(RESOURCE, NOW - LISTING_TRUSTED_FOR)
    assert vouched_by_listing(recent, declared_facts(RESOURCE), NOW)
    assert not vouched_by_listing(old, declared_facts(RESOURCE), NOW)
