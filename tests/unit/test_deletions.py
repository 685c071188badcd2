"""Deletion reconciliation: missing, archived after the grace period, never dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.deletions import Presence, reconcile

DAY0 = datetime(2025, 3, 1, 6, tzinfo=UTC)


def present(since: datetime = DAY0) -> Presence:
    return Presence("present", since=since, last_seen=since)


def test_a_newly_listed_dataset_is_present():
    assert reconcile({}, {"a"}, DAY0) == {"a": Presence("present", DAY0, DAY0)}


def test_a_listed_dataset_stays_present_since_its_first_sighting():
    later = DAY0 + timedelta(days=1)
    assert reconcile({"a": present()}, {"a"}, later) == {"a": Presence("present", DAY0, later)}


def test_a_dataset_gone_upstream_is_missing_then_archived_after_the_grace_period():
    day1, day7, day8 = (DAY0 + timedelta(days=n) for n in (1, 7, 8))
    state = reconcile({"a": present(), "b": present()}, {"b"}, day1)
    assert state["a"] == Presence("missing", since=day1, last_seen=DAY0)
    state = reconcile(state, {"b"}, day7)
    assert state["a"].status == "missing"  # six days: still within the grace period
    state = reconcile(state, {"b"}, day8)
    assert state["a"] == Presence("archived", since=day8, last_seen=DAY0)
    state = reconcile(state, {"b"}, day8 + timedelta(days=30))
    assert state["a"] == Presence("archived", since=day8, last_seen=DAY0)


def test_the_grace_period_is_configurable():
    state = reconcile({"a": present()}, set(), DAY0)
    assert reconcile(state, set(), DAY0 + timedelta(hours=2), grace=timedelta(hours=1))["a"].status == "archived"
    assert reconcile(state, set(), DAY0 + timedelta(hours=2))["a"].status == "missing"


def test_a_dataset_that_comes_back_is_present_again():
    back = DAY0 + timedelta(days=20)
    for status in ("missing", "archived"):
        gone = {"a": Presence(status, since=DAY0, last_seen=DAY0 - timedelta(days=1))}
        assert reconcile(gone, {"a"}, back) == {"a": Presence("present", back, back)}


def test_now_must_be_aware_and_grace_not_negative():
    with pytest.raises(ValueError, match="timezone-aware"):
        reconcile({}, set(), datetime(2025, 3, 1))
    with pytest.raises(ValueError, match="negative grace"):
        reconcile({}, set(), DAY0, grace=timedelta(days=-1))


identities = st.sets(st.text(min_size=1, max_size=4), max_size=8)
statuses = st.sampled_from(["present", "missing", "archived"])


@given(
    previous=st.dictionaries(st.text(min_size=1, max_size=4), statuses, max_size=8),
    listed=identities,
    days=st.integers(min_value=0, max_value=30),
)
def test_nothing_is_ever_dropped_and_listed_means_present(previous, listed, days):
    before = {i: Presence(s, since=DAY0, last_seen=DAY0) for i, s in previous.items()}
    now = DAY0 + timedelta(days=days)
    after = reconcile(before, listed, now)
    assert after.keys() == before.keys() | listed
    assert all(after[i].status == "present" for i in listed)
    assert all(after[i].status != "present" for i in before.keys() - listed)
    assert all(after[i].status == "archived" for i, s in previous.items() if s == "archived" and i not in listed)
