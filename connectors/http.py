"""Safe fetching: the only module of the hub that opens connections to member sources.

(Minimal first version; the full policy — SSRF checks on every redirect, deadlines,
retries, decompressed byte caps, archive checks — is being completed in this module.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests


class FetchError(Exception):
    """A resource could not be fetched; the message names the URL and the cause."""


class UnsafeUrl(FetchError):
    """The URL (or a redirect) points somewhere the hub must not go."""


class SourceUnavailable(FetchError):
    """Timeout, connection failure or server error after the allowed retries."""


class ResourceTooLarge(FetchError):
    """More bytes than the per-resource cap, counted after decompression."""


class UnexpectedContent(FetchError):
    """The body is not what was asked for (an HTML error page instead of a CSV...)."""


@dataclass(frozen=True)
class FetchPolicy:
    """How far the hub trusts one source."""

    allow_private_hosts: frozenset[str] = frozenset()  # e.g. {"127.0.0.1"} for stand-ins
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    deadline: float = 120.0  # seconds for the whole resource, redirects and retries included
    max_bytes: int = 200 * 1024 * 1024
    retries: int = 2
    headers: dict[str, str] = field(default_factory=dict)  # credentials: own host only


@dataclass(frozen=True)
class Fetched:
    url: str  # as asked
    final_url: str  # after redirects
    status: int  # 200, or 304 when the validators matched
    body: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def fetch(
    url: str,
    policy: FetchPolicy,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    params: dict[str, Any] | None = None,
) -> Fetched:
    """GET one URL under the source's policy; conditional when validators are given."""
    headers = dict(policy.headers)
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        response = requests.get(
            url,
            params=params,
            headers=headers,
            timeout=(policy.connect_timeout, policy.read_timeout),
        )
    except requests.RequestException as exc:
        raise SourceUnavailable(f"{url}: {type(exc).__name__}") from exc
    if response.status_code >= 400:
        raise SourceUnavailable(f"{url}: HTTP {response.status_code}")
    if len(response.content) > policy.max_bytes:
        raise ResourceTooLarge(f"{url}: more than {policy.max_bytes} bytes")
    return Fetched(
        url=url,
        final_url=response.url,
        status=response.status_code,
        body=response.content,
        content_type=response.headers.get("Content-Type"),
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
    )


def fetch_json(url: str, policy: FetchPolicy, *, params: dict[str, Any] | None = None) -> Any:
    """GET a JSON API page under the same policy."""
    fetched = fetch(url, policy, params=params)
    try:
        import json

        return json.loads(fetched.body)
    except ValueError as exc:
        raise UnexpectedContent(f"{fetched.final_url}: not JSON ({exc})") from exc
