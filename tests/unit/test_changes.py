"""Change detection: 304, then size, then sha256; against records and a real web server."""

from __future__ import annotations

import hashlib

import pytest

from connectors.changes import ChangeDetectionError, conditional_validators, detect_change
from connectors.http import Fetched, fetch
from tests.standins import loopback_policy
from tests.standins.files import FileHost

POLICY = loopback_policy()
BODY = b"mois;distribue;facture\n2025-01;24800;18600\n"
DIGEST = hashlib.sha256(BODY).hexdigest()
PREVIOUS = {
    "etag": '"v1"',
    "last_modified": "Wed, 01 Jan 2026 00:00:00 GMT",
    "size": len(BODY),
    "sha256": DIGEST,
}


def fetched(body: bytes, status: int = 200) -> Fetched:
    return Fetched(
        url="https://x.example/v.csv",
        final_url="https://x.example/v.csv",
        status=status,
        body=body,
        content_type="text/csv",
        etag=None,
        last_modified=None,
    )


def test_a_304_is_unchanged_without_reading_any_byte():
    verdict = detect_change(PREVIOUS, fetched(b"", status=304))
    assert (verdict.changed, verdict.reason, verdict.size, verdict.sha256) == (
        False,
        "not-modified",
        None,
        None,
    )


def test_a_304_without_a_previous_landing_is_an_error():
    with pytest.raises(ChangeDetectionError, match="https://x.example/v.csv: 304"):
        detect_change(None, fetched(b"", status=304))


def test_a_first_fetch_is_new():
    verdict = detect_change(None, fetched(BODY))
    assert (verdict.changed, verdict.reason, verdict.size) == (True, "new", len(BODY))


def test_a_different_size_is_a_change_decided_before_hashing():
    verdict = detect_change(PREVIOUS, fetched(BODY + b"2025-02;23100;17900\n"))
    assert (verdict.changed, verdict.reason, verdict.sha256) == (True, "size", None)


def test_same_size_other_bytes_is_a_change_by_sha256():
    edited = BODY.replace(b"18600", b"18700")
    verdict = detect_change(PREVIOUS, fetched(edited))
    assert (verdict.changed, verdict.reason) == (True, "sha256")
    assert verdict.sha256 == hashlib.sha256(edited).hexdigest()


def test_same_bytes_without_validators_are_unchanged():
    verdict = detect_change(PREVIOUS, fetched(BODY))
    assert (verdict.changed, verdict.reason, verdict.sha256) == (False, "same-sha256", DIGEST)


def test_a_record_without_size_falls_through_to_sha256():
    verdict = detect_change({"sha256": DIGEST}, fetched(BODY))
    assert (verdict.changed, verdict.reason) == (False, "same-sha256")


def test_validators_of_the_previous_landing_make_the_request_conditional():
    assert conditional_validators(PREVIOUS) == {
        "etag": '"v1"',
        "last_modified": "Wed, 01 Jan 2026 00:00:00 GMT",
    }
    assert conditional_validators(None) == {"etag": None, "last_modified": None}


def record(f: Fetched) -> dict:
    return {
        "etag": f.etag,
        "last_modified": f.last_modified,
        "size": len(f.body),
        "sha256": hashlib.sha256(f.body).hexdigest(),
    }


def test_against_a_web_server_that_honours_conditional_requests():
    with FileHost({"volumes.csv": BODY}) as host:
        url = f"{host.url}/volumes.csv"
        first = fetch(url, POLICY)
        assert detect_change(None, first).reason == "new"
        previous = record(first)
        again = fetch(url, POLICY, **conditional_validators(previous))
        assert (again.status, detect_change(previous, again).changed) == (304, False)
        host.files["volumes.csv"] = BODY.replace(b"18600", b"18700")
        edited = fetch(url, POLICY, **conditional_validators(previous))
        assert edited.status == 200
        assert detect_change(previous, edited).reason == "sha256"
    assert host.requests[1].headers["if-none-match"] == previous["etag"]


def test_against_a_web_server_without_validators():
    with FileHost({"volumes.csv": BODY}, validators=False) as host:
        url = f"{host.url}/volumes.csv"
        previous = record(fetch(url, POLICY))
        again = fetch(url, POLICY, **conditional_validators(previous))
    assert (again.status, detect_change(previous, again).reason) == (200, "same-sha256")
