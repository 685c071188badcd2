"""A service of the hub's own stack that does not answer (CKAN, the S3 store, PostgreSQL).

Without this, a dead service reaches the operator as the client library's traceback
(requests' ConnectionError, urllib3's MaxRetryError, psycopg's OperationalError) that
names neither the service nor where the hub looked for it. `reaching(service, url)` turns
those into one `ServiceUnavailable` saying which service, at which address (passwords in
URLs redacted) and why, in a sentence. It is not an OSError on purpose: code that records
a failure per dataset and goes on (catalog.publication.apply) must not swallow it, since
every later dataset would fail the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

# Client exceptions that mean "the service did not answer", by qualified name so this
# module needs none of the clients: requests (ckanapi), urllib3 (minio), and the database
# drivers, psycopg 3 (the warehouse, the step locks) and psycopg2 (Dagster's instance,
# whose SQLAlchemy errors chain the driver's).
HTTP_OUTAGES = {
    "requests.exceptions.ConnectionError",
    "requests.exceptions.Timeout",
    "urllib3.exceptions.MaxRetryError",
    "urllib3.exceptions.NewConnectionError",
    "urllib3.exceptions.ProtocolError",
}
DATABASE_ERRORS = {"psycopg.OperationalError", "psycopg.InterfaceError",
                   "psycopg2.OperationalError", "psycopg2.InterfaceError"}
# A database error is an outage when it has no SQLSTATE (no server answered) or one of
# class 08 (connection exception) or the server's shutdown ones; a serialization failure
# or a cancelled query, OperationalErrors too, are the statement's own.
SHUTDOWN_STATES = {"57P01", "57P02", "57P03"}
# userinfo of any URL in a text: scheme://user:password@ -> scheme://user:***@
_PASSWORD_IN_URL = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/\s:@]*):[^/\s@]*@", re.IGNORECASE)


class ServiceUnavailable(Exception):
    """`service` at `where` did not answer; `reason` is the cause in a few words."""

    def __init__(self, service: str, where: str, reason: str) -> None:
        self.service, self.where, self.reason = service, redact(where), redact(reason)
        super().__init__(f"{self.service} ({self.where}) injoignable : {self.reason}")


def redact(text: str) -> str:
    """`text` with the password of every URL in it replaced by ***."""
    return _PASSWORD_IN_URL.sub(lambda m: f"{m.group('head')}:***@", text)


def redact_url(url: str) -> str:
    """The URL without its password (kept as *** so the reader sees one was given)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def is_outage(exc: BaseException) -> bool:
    """True when `exc` or an exception it came from is a client's "no answer"."""
    return any(_is_outage(e) for e in _chain(exc))


def reason_of(exc: BaseException) -> str:
    """The deepest cause of `exc`, in a few words (refused, timed out, or its first line)."""
    causes = list(_chain(exc))
    if any(isinstance(e, ConnectionRefusedError) for e in causes):
        return "connexion refusée"
    if any(isinstance(e, TimeoutError) or "timeout" in type(e).__name__.lower() for e in causes):
        return "délai de réponse dépassé"
    text = str(causes[-1]).strip().splitlines()
    return (text[0] if text else type(causes[-1]).__name__)[:200]


@contextmanager
def reaching(service: str, where: str) -> Iterator[None]:
    """Inside the block, a client's "no answer" becomes ServiceUnavailable(service, where)."""
    try:
        yield
    except ServiceUnavailable:
        raise
    except Exception as exc:
        if not is_outage(exc):
            raise
        raise ServiceUnavailable(service, where, reason_of(exc)) from exc


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        # urllib3's MaxRetryError keeps its cause in `reason`, not in __cause__.
        reason = getattr(current, "reason", None)
        current = current.__cause__ or current.__context__ or (reason if isinstance(reason, BaseException) else None)


def _is_outage(exc: BaseException) -> bool:
    names = _qualified(type(exc))
    if names & DATABASE_ERRORS:
        state = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
        return state is None or state.startswith("08") or state in SHUTDOWN_STATES
    return bool(names & HTTP_OUTAGES) or isinstance(exc, ConnectionError)


def _qualified(cls: type) -> set[str]:
    return {f"{c.__module__}.{c.__qualname__}" for c in cls.__mro__}
