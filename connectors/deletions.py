"""Datasets that disappear upstream: marked missing, archived after a grace period, never
dropped (ckanext-harvest #542 never deletes; udata archives after 7 days, PR #2368).

Feed `reconcile` only with a complete listing of the source: an incremental listing
(`modified_since`) or one that failed half-way would make everything it left out look
deleted. The grace period is what absorbs a portal that lists nothing for a day.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Status = Literal["present", "missing", "archived"]
DEFAULT_GRACE = timedelta(days=7)


@dataclass(frozen=True)
class Presence:
    """Where a remote dataset stands in the hub's view of its source."""

    status: Status
    since: datetime  # when it entered this status
    last_seen: datetime | None  # the last listing that had it


def reconcile(
    previous: Mapping[str, Presence],
    listed: Set[str],
    now: datetime,
    grace: timedelta = DEFAULT_GRACE,
) -> dict[str, Presence]:
    """The presence of every dataset ever seen, after a complete listing at `now`.

    Listed datasets are present (again, if they were missing or archived); a present
    dataset not listed becomes missing; a dataset missing for at least `grace` becomes
    archived. Every identity of `previous` is kept in the result.
    """
    if now.tzinfo is None:
        raise ValueError("reconcile: `now` must be timezone-aware (UTC)")
    if grace < timedelta(0):
        raise ValueError(f"reconcile: negative grace period {grace}")
    result: dict[str, Presence] = {}
    for identity, state in previous.items():
        if identity in listed:
            since = state.since if state.status == "present" else now
            result[identity] = Presence("present", since=since, last_seen=now)
        elif state.status == "present":
            result[identity] = Presence("missing", since=now, last_seen=state.last_seen)
        elif state.status == "missing" and now - state.since >= grace:
            result[identity] = Presence("archived", since=now, last_seen=state.last_seen)
        else:
            result[identity] = state
    for identity in listed - previous.keys():
        result[identity] = Presence("present", since=now, last_seen=now)
    return result
