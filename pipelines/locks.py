"""One writer per step and member, whatever launched the runs.

Every asset is in a Dagster pool of one slot, but two runs claiming a slot at the same
instant can both get it (seen in tests/integration/test_dagster_instance.py: the claim
reads a free slot and marks it in two statements). The guarantee is a PostgreSQL advisory
lock on the instance's database, held for the step: a second run of the same step waits
for the first, and a process that dies releases its locks with its connection, so nothing
stays held. Without a shared instance (an ephemeral one, in unit tests) there is nothing
to share the lock with and the step runs as is.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import psycopg

from connectors.outages import ServiceUnavailable, reaching, redact_url


@contextmanager
def exclusive(*names: str) -> Iterator[None]:
    """The steps `names` alone (several: one run publishing many members holds each
    member's), in a body where a service of the stack that does not answer fails the step
    at once with its name (no retry: the gathering's retries are for member portals, and a
    dead CKAN or S3 is not back ten seconds later; the next run converges)."""
    try:
        with _advisory_locks(names):
            yield
    except ServiceUnavailable as exc:
        # Without the client's traceback, which says no more (the run's log keeps this one's).
        raise dg.Failure(description=str(exc), allow_retries=False) from None


@contextmanager
def _advisory_locks(names: tuple[str, ...]) -> Iterator[None]:
    url = os.environ.get("HUB_DAGSTER_PG_URL")
    if not url:
        yield
        return
    # One connection for all (a thousand members are not a thousand connections), the keys
    # taken in one order, so two runs wanting overlapping sets wait for each other and never
    # hold one half each.
    keys = sorted({int.from_bytes(hashlib.sha256(f"tdh:{name}".encode()).digest()[:8], "big", signed=True)
                   for name in names})
    # The instance's URL names psycopg2 for SQLAlchemy; psycopg reads the plain scheme.
    url = url.replace("postgresql+psycopg2://", "postgresql://")
    with reaching("PostgreSQL (instance Dagster)", redact_url(url)):
        conn = psycopg.connect(url, autocommit=True)
        try:
            for key in keys:
                conn.execute("SELECT pg_advisory_lock(%s)", (key,))
        except BaseException:
            conn.close()  # the server releases what was taken with the connection
            raise
    try:
        yield
    finally:
        try:
            conn.execute("SELECT pg_advisory_unlock_all()")
        except psycopg.OperationalError:
            pass  # the connection is gone, and the server released the locks with it
        conn.close()


def step_name(asset: str, partition: str | None = None) -> str:
    return f"{asset}/{partition}" if partition else asset
