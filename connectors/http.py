"""Safe fetching: the only module of the hub that opens connections to member sources.

Member-supplied URLs are untrusted input (../shared/guide/SECURITY.md). `fetch` enforces the
source's `FetchPolicy` on every request:
- http and https only; every address the host resolves to is checked (loopback, private,
  link-local and cloud metadata, ULA, site-local, unspecified, multicast, IPv6 forms
  carrying an IPv4 address...) unless the host is allow-listed, for the first URL and for
  each redirect, which are followed here;
- the connection goes to the very address that was checked (no second DNS lookup);
- connect and read timeouts, a total deadline (that no socket wait outlasts, so a server
  dripping its body cannot stretch it), bounded retries with exponential backoff on
  transient errors only;
- a byte cap counted after decompression, and truncated bodies detected;
- credentials (the policy's headers) sent only to the URL's own origin, and never shown in
  an error or a log line (URLs are masked with `mask_url`).
It also holds the content checks connectors run before parsing: `expect_format` (an HTML
error page served instead of a CSV) and `check_xml_safe` (no DTD before RDF/XML).
"""

from __future__ import annotations

import codecs
import ipaddress
import json
import logging
import re
import socket
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus, urlencode, urljoin, urlsplit, urlunsplit

import urllib3
from urllib3.exceptions import ConnectTimeoutError, HTTPError, ReadTimeoutError, SSLError

log = logging.getLogger(__name__)


class _MaskQueryInLogs(logging.Filter):
    """urllib3 logs each request line at DEBUG, query string included: mask it there too."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(mask_url(arg) if isinstance(arg, str) and "?" in arg else arg for arg in record.args)
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_MaskQueryInLogs())

USER_AGENT = "territorial-data-hub/0.1"


class FetchError(Exception):
    """A resource could not be fetched; the message names the URL and the cause."""

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None):
        super().__init__(message)
        self.url = url  # masked: safe to record and show
        self.status = status  # the HTTP status when the server answered


class UnsafeUrl(FetchError):
    """The URL (or a redirect) points somewhere the hub must not go."""


class SourceUnavailable(FetchError):
    """Timeout, connection failure or server error after the allowed retries."""


class ResourceTooLarge(FetchError):
    """More bytes than the per-resource cap, counted after decompression."""


class UnexpectedContent(FetchError):
    """The body is not what was asked for (an HTML error page instead of a CSV...)."""


class UnsafeXml(UnexpectedContent):
    """An XML document declares a DTD or entities: refused before any parser sees it."""


@dataclass(frozen=True)
class FetchPolicy:
    """How far the hub trusts one source."""

    allow_private_hosts: frozenset[str] = frozenset()  # e.g. {"127.0.0.1"}: any port (test stand-ins)
    # e.g. {"http://10.0.0.5:8080"}: that scheme, host and port only (a committee's intranet
    # portal), so an allowed portal cannot redirect the hub to another service of its host.
    allow_private_origins: frozenset[str] = frozenset()
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    deadline: float = 120.0  # seconds for the whole resource, redirects and retries included
    max_bytes: int = 200 * 1024 * 1024
    retries: int = 2
    headers: dict[str, str] = field(default_factory=dict)  # credentials: own host only
    max_redirects: int = 5
    backoff: float = 0.5  # the first retry waits this long, each next one twice as long
    max_retry_after: float = 30.0  # a server's Retry-After is honoured up to this
    ca_file: str | None = None  # PEM bundle of a portal's private CA; None: the system's


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
    expected_format: str | None = None,
) -> Fetched:
    """GET one URL under the source's policy; conditional when validators are given.

    With `expected_format` (CSV, JSON, PARQUET, XLSX...), a body that does not look like
    that format (typically an HTML error page) raises `UnexpectedContent`.
    """
    conditional = {}
    if etag:
        conditional["If-None-Match"] = etag
    if last_modified:
        conditional["If-Modified-Since"] = last_modified
    fetched = _Fetch(url, _with_params(url, params), policy, conditional).run()
    if expected_format and not fetched.not_modified:
        expect_format(fetched.body, expected_format, fetched.final_url)
    return fetched


def fetch_json(url: str, policy: FetchPolicy, *, params: dict[str, Any] | None = None) -> Any:
    """GET a JSON API page under the same policy."""
    fetched = fetch(url, policy, params=params, expected_format="JSON")
    try:
        return json.loads(fetched.body)
    except ValueError as exc:
        raise UnexpectedContent(
            f"{mask_url(fetched.final_url)}: not JSON ({exc})", url=mask_url(fetched.final_url)
        ) from None


def fetch_all(
    urls: Sequence[str],
    policy: FetchPolicy,
    *,
    workers: int = 4,
    expected_format: str | None = None,
) -> list[Fetched | FetchError]:
    """Fetch many URLs of one source in parallel; one bad URL never stops the others.

    Results come in the order of `urls`: the `Fetched` resource, or the `FetchError` that
    says what went wrong with that URL.
    """

    def one(url: str) -> Fetched | FetchError:
        try:
            return fetch(url, policy, expected_format=expected_format)
        except FetchError as exc:
            return exc

    if not urls:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(urls)))) as pool:
        return list(pool.map(one, urls))


# --- URLs in messages -------------------------------------------------------------------

# Query parameters whose value is a secret, matched anywhere in the name (api_key, token...).
_SECRET_PARAM = re.compile(r"token|key|password|passwd|secret|signature", re.IGNORECASE)


def mask_url(url: str) -> str:
    """The URL as it may appear in a message or a log: no userinfo, no secret values."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<malformed URL>"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    query = "&".join(_mask_param(pair) for pair in parts.query.split("&")) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _mask_param(pair: str) -> str:
    name, sep, _ = pair.partition("=")
    return f"{name}=***" if sep and _SECRET_PARAM.search(unquote_plus(name)) else pair


def _with_params(url: str, params: dict[str, Any] | None) -> str:
    # None values are left out, as requests did for the first version of this module.
    kept = {name: value for name, value in (params or {}).items() if value is not None}
    if not kept:
        return url
    base = url.partition("#")[0]
    separator = "" if base.endswith(("?", "&")) else "&" if "?" in base else "?"
    return f"{base}{separator}{urlencode(kept, doseq=True)}"


# --- Addresses the hub refuses ---------------------------------------------------------

_ULA = ipaddress.ip_network("fc00::/7")
_SITE_LOCAL = ipaddress.ip_network("fec0::/10")  # deprecated (RFC 3879), still routed on some LANs
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # a NAT64 gateway forwards to the last 32 bits
# Local-use NAT64 (RFC 8215): the operator chooses where the IPv4 address sits, so it
# cannot be checked; no public portal is reached through it.
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")
# ::a.b.c.d (IPv4-compatible, deprecated by RFC 4291) and ::ffff:0:a.b.c.d (SIIT, RFC 2765)
# carry an IPv4 address too, and Python's flags call them global (3.11).
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_SIIT = ipaddress.ip_network("::ffff:0:0:0/96")
_METADATA = ipaddress.ip_address("169.254.169.254")


def _refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why the hub must not connect to this address, or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        reason = _ipv6_refusal(address)
        if reason is not None:
            return reason
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        metadata = " (the cloud metadata service)" if address == _METADATA else ""
        return f"a link-local address{metadata}"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if address in _ULA:
        return "a unique local (ULA) address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "a reserved, non-public address"
    return None


def _ipv6_refusal(address: ipaddress.IPv6Address) -> str | None:
    """The IPv6 forms that carry an IPv4 address, and the ranges Python's flags miss."""
    if address.ipv4_mapped is not None:
        # Checked first: Python 3.11's flags misjudge some mapped addresses (gh-113171).
        return "an IPv4-mapped IPv6 address"
    compatible = address in _IPV4_COMPATIBLE and int(address) > 1  # :: and ::1 have their own reasons
    embedded = address.sixtofour
    if compatible or address in _SIIT or address in _NAT64:
        embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    inner = _refusal(embedded) if embedded is not None else None
    if inner is not None:
        return f"an IPv6 address carrying {embedded}, {inner}"
    if compatible:
        return "an IPv4-compatible address (deprecated)"
    if address in _SIIT:
        return "an IPv4-translated (SIIT) address"
    if address in _LOCAL_NAT64:
        return "a local-use NAT64 address"
    if address in _SITE_LOCAL:
        return "a site-local address (deprecated)"
    return None


@dataclass(frozen=True)
class _Target:
    """One URL ready to request: checked scheme and host, and the addresses to connect to."""

    scheme: str
    host: str  # lower case, IDNA, no brackets: what the allow-list names and TLS verifies
    port: int
    host_header: str
    request_target: str  # path and query, percent-encoded
    addresses: tuple[str, ...]

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


class _Transient(Exception):
    """A failure worth retrying: connection error, timeout, 429, 502, 503, 504."""

    def __init__(self, cause: str, retry_after: float | None = None, status: int | None = None):
        super().__init__(cause)
        self.cause = cause
        self.retry_after = retry_after
        self.status = status


# --- Connection pools pinned to checked addresses --------------------------------------

# DNS rebinding: a name checked against one address must not be connected to another one
# by a second lookup. So each pool is keyed by, and connects to, the address that was just
# checked; the host name only travels in the Host header and, for https, as the SNI name
# and the name the certificate must match (server_hostname / assert_hostname). This uses
# urllib3's public pool API only. Environment proxies are never used: a proxy would do
# its own lookup and defeat the check.
_POOL_CONNECTIONS = 8
_POOLS_KEPT = 32
_pools: OrderedDict[tuple[str, str, int, str, str], urllib3.HTTPConnectionPool] = OrderedDict()
_pools_lock = threading.Lock()


def _pool(target: _Target, address: str, ca_file: str | None) -> urllib3.HTTPConnectionPool:
    tls_name, ca = (target.host, ca_file or "") if target.scheme == "https" else ("", "")
    key = (target.scheme, address, target.port, tls_name, ca)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is not None:
            _pools.move_to_end(key)
            return pool
        if target.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                address,
                target.port,
                maxsize=_POOL_CONNECTIONS,
                cert_reqs="CERT_REQUIRED",
                ca_certs=ca or None,
                server_hostname=tls_name,
                assert_hostname=tls_name,
            )
        else:
            pool = urllib3.HTTPConnectionPool(address, target.port, maxsize=_POOL_CONNECTIONS)
        _pools[key] = pool
        if len(_pools) > _POOLS_KEPT:
            _pools.popitem(last=False)[1].close()
        return pool


# --- One fetch: redirects, retries, body --------------------------------------------------

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
_CHUNK = 64 * 1024
# A path and query keep their reserved characters; anything else (spaces, non-ASCII,
# control characters that could split the request line) is percent-encoded.
_URL_SAFE = "/%:@!$&'()*+,;=-._~?"


class _Fetch:
    """State of one `fetch` call: the URL as asked, its deadline and its origin."""

    def __init__(self, url: str, first: str, policy: FetchPolicy, conditional: dict[str, str]):
        self.url = url
        self.first = first  # the URL with its query parameters: where the redirects start
        self.policy = policy
        self.conditional = conditional
        self.started = time.monotonic()
        self.origin: tuple[str, str, int] | None = None
        self.secrets = _secret_forms(policy.headers.values())

    def run(self) -> Fetched:
        current = self.first
        for _ in range(self.policy.max_redirects + 1):
            outcome = self._with_retries(current)
            if isinstance(outcome, Fetched):
                return outcome
            current = outcome
        raise self._error(SourceUnavailable, current, f"more than {self.policy.max_redirects} redirects")

    # Messages -------------------------------------------------------------------------

    def _describe(self, current: str) -> str:
        asked = mask_url(self.first)
        return asked if current == self.first else f"{asked} (redirected to {mask_url(current)})"

    def _error(self, kind: type[FetchError], current: str, cause: str, status: int | None = None) -> FetchError:
        return kind(
            self._scrub(f"{self._describe(current)}: {cause}"),
            url=self._scrub(mask_url(self.first)),
            status=status,
        )

    def _scrub(self, text: str) -> str:
        # A server may echo a credential back (in a Location, say): it never gets further.
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def _remaining(self) -> float:
        return self.policy.deadline - (time.monotonic() - self.started)

    def _past_deadline(self, current: str, during: str) -> FetchError:
        return self._error(SourceUnavailable, current, f"deadline of {self.policy.deadline:g} s exceeded {during}")

    # Retries --------------------------------------------------------------------------

    def _with_retries(self, current: str) -> Fetched | str:
        """The resource, or the absolute URL a redirect points to."""
        attempt = 0
        while True:
            try:
                return self._attempt(current)
            except _Transient as transient:
                if attempt >= self.policy.retries:
                    attempts = f"{attempt + 1} attempt{'s' if attempt else ''}"
                    raise self._error(
                        SourceUnavailable,
                        current,
                        f"{transient.cause} (gave up after {attempts})",
                        transient.status,
                    ) from None
                if transient.retry_after is None:
                    wait = self.policy.backoff * 2**attempt
                else:
                    wait = min(transient.retry_after, self.policy.max_retry_after)
                if wait >= self._remaining():
                    raise self._error(
                        SourceUnavailable,
                        current,
                        f"{transient.cause}; the deadline of {self.policy.deadline:g} s leaves no time to retry",
                        transient.status,
                    ) from None
                attempt += 1
                log.warning(
                    "%s",
                    self._scrub(
                        f"{self._describe(current)}: {transient.cause}; retry {attempt} "
                        f"of {self.policy.retries} in {wait:.2f} s"
                    ),
                )
                time.sleep(wait)

    # One attempt ----------------------------------------------------------------------

    def _attempt(self, current: str) -> Fetched | str:
        target = self._target(current)
        response = self._open(target, current)
        reusable = False
        try:
            status = response.status
            if status in _REDIRECT_STATUSES:
                location = response.headers.get("Location")
                if not location:
                    raise self._error(SourceUnavailable, current, f"HTTP {status} without a Location", status)
                return urljoin(current, location)
            if status in _TRANSIENT_STATUSES:
                retry_after = _retry_after(response.headers.get("Retry-After"))
                raise _Transient(f"HTTP {status}", retry_after, status)
            if status == 304:
                reusable = True
                return self._fetched(current, response, b"")
            if not 200 <= status < 300:
                reason = f"HTTP {status} {response.reason or ''}".rstrip()
                raise self._error(SourceUnavailable, current, f"{reason} (not retried)", status)
            body = self._read_body(response, current)
            reusable = True
            return self._fetched(current, response, body)
        finally:
            # An unread body (an error, a redirect, a cap reached) is never drained: the
            # connection is closed instead, so nothing more is downloaded or inflated.
            if not reusable:
                response.close()
            response.release_conn()

    def _fetched(self, current: str, response: Any, body: bytes) -> Fetched:
        return Fetched(
            url=self.url,
            final_url=current,
            status=response.status,
            body=body,
            content_type=response.headers.get("Content-Type"),
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
        )

    def _target(self, current: str) -> _Target:
        """Parse and check `current`, resolving its host; raises UnsafeUrl when refused."""
        try:
            parts = urlsplit(current)
            port = parts.port
        except ValueError as exc:
            raise self._error(UnsafeUrl, current, f"malformed URL ({exc})") from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise self._error(UnsafeUrl, current, f"scheme {scheme!r} refused: only http and https are fetched")
        if "@" in parts.netloc:
            raise self._error(
                UnsafeUrl,
                current,
                "credentials in the URL are refused: give them as a header whose value "
                "comes from an environment variable named in the source configuration",
            )
        try:
            host = _ascii_host(parts.hostname or "")
        except UnicodeError:
            raise self._error(UnsafeUrl, current, f"invalid host name {parts.hostname!r}") from None
        if not host:
            raise self._error(UnsafeUrl, current, "no host in the URL")
        bracketed = f"[{host}]" if ":" in host else host
        host_header = f"{bracketed}:{port}" if port else bracketed
        port = port or (443 if scheme == "https" else 80)
        path = parts.path or "/"
        request_target = quote(f"{path}?{parts.query}" if parts.query else path, safe=_URL_SAFE)
        target = _Target(
            scheme=scheme,
            host=host,
            port=port,
            host_header=host_header,
            request_target=request_target,
            addresses=self._resolve(host, port, current, scheme),
        )
        if self.origin is None:
            self.origin = target.origin
        return target

    def _resolve(self, host: str, port: int, current: str, scheme: str = "https") -> tuple[str, ...]:
        # getaddrinfo has no timeout of its own; the system resolver's bounds it.
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            cause = f"DNS lookup of {host} failed ({exc.strerror})"
            if exc.errno == socket.EAI_AGAIN:
                raise _Transient(cause) from None
            raise self._error(SourceUnavailable, current, cause) from None
        addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
        if host in {_ascii_host(allowed.strip("[]")) for allowed in self.policy.allow_private_hosts}:
            return addresses
        allowed = {origin_of(o) for o in self.policy.allow_private_origins}
        if origin_of(f"{scheme}://{_bracketed(host)}:{port}") in allowed:
            return addresses
        for address in addresses:
            reason = _refusal(ipaddress.ip_address(address))
            if reason is not None:
                where = f"{address} is" if address == host else f"{host} resolves to {address},"
                raise self._error(
                    UnsafeUrl,
                    current,
                    f"{where} {reason}: refused (only a host allow-listed in the source configuration may be private)",
                )
        return addresses

    def _headers(self, target: _Target) -> urllib3.HTTPHeaderDict:
        headers = urllib3.HTTPHeaderDict()
        if self._may_send_credentials(target):
            headers.update(self.policy.headers)
        headers.update(self.conditional)
        headers.update(
            {
                "Host": target.host_header,
                "Accept-Encoding": "gzip, deflate",  # the two encodings `inflate` decodes
                "User-Agent": USER_AGENT,
            }
        )
        return headers

    def _may_send_credentials(self, target: _Target) -> bool:
        if target.origin == self.origin:
            return True
        # The one cross-origin move that keeps them, as requests does: http:80 -> https:443.
        return self.origin == ("http", target.host, 80) and target.origin == (
            "https",
            target.host,
            443,
        )

    def _open(self, target: _Target, current: str) -> Any:
        remaining = self._remaining()
        if remaining <= 0:
            raise self._past_deadline(current, "before the request")
        timeout = urllib3.Timeout(
            connect=min(self.policy.connect_timeout, remaining),
            read=min(self.policy.read_timeout, remaining),
        )
        headers = self._headers(target)
        failure = "no address"
        for address in target.addresses:
            try:
                return _pool(target, address, self.policy.ca_file).urlopen(
                    "GET",
                    target.request_target,
                    headers=headers,
                    redirect=False,
                    retries=False,
                    assert_same_host=False,
                    preload_content=False,
                    decode_content=False,
                    release_conn=False,
                    timeout=timeout,
                )
            except ConnectTimeoutError as exc:  # also refused connections: try the next address
                failure = f"cannot connect to {address} port {target.port} ({_reason(exc)})"
            except ReadTimeoutError:
                if self.policy.read_timeout > remaining:
                    raise self._past_deadline(current, "waiting for the response") from None
                raise _Transient(
                    f"timed out waiting for the response (read timeout {timeout.read_timeout:g} s)"
                ) from None
            except SSLError as exc:
                raise self._error(SourceUnavailable, current, f"TLS failure ({_reason(exc)})") from None
            except HTTPError as exc:
                raise _Transient(f"connection failed ({_reason(exc)})") from None
        raise _Transient(failure)

    def _read_body(self, response: Any, current: str) -> bytes:
        encoding = self._content_encoding(response, current)
        declared = _content_length(response.headers.get("Content-Length"))
        cap = self.policy.max_bytes
        if encoding == "identity" and declared is not None and declared > cap:
            raise self._error(
                ResourceTooLarge,
                current,
                f"Content-Length of {declared} bytes is over the cap of {cap} bytes",
            )
        received = 0
        cut_by_deadline = False  # whether the last socket wait was bounded by the deadline

        def raw_chunks() -> Iterator[bytes]:
            # read1 waits on the socket once, bounded by the time left: `stream` would wait
            # for a whole chunk, one byte per read timeout, far past the deadline.
            nonlocal received, cut_by_deadline
            while True:
                remaining = self._remaining()
                if remaining <= 0:
                    raise self._past_deadline(current, "while reading the body")
                cut_by_deadline = remaining < self.policy.read_timeout
                sock = getattr(response.connection, "sock", None)
                if sock is not None:
                    sock.settimeout(min(self.policy.read_timeout, remaining))
                chunk = response.read1(_CHUNK, decode_content=False)
                if not chunk:
                    return
                received += len(chunk)
                yield chunk

        pieces: list[bytes] = []
        size = 0
        try:
            for piece in inflate(raw_chunks(), encoding):
                size += len(piece)
                if size > cap:
                    after = "" if encoding == "identity" else f" after {encoding} decompression"
                    raise self._error(ResourceTooLarge, current, f"more than the cap of {cap} bytes{after}")
                pieces.append(piece)
        except ReadTimeoutError:
            if cut_by_deadline:
                raise self._past_deadline(current, "while reading the body") from None
            raise _Transient(f"timed out reading the body (read timeout {self.policy.read_timeout:g} s)") from None
        except (zlib.error, EOFError) as exc:
            raise self._error(UnexpectedContent, current, f"corrupt {encoding} body ({exc})") from None
        except HTTPError as exc:
            if declared is not None and received < declared:
                raise _Transient(f"truncated body: received {received} of {declared} bytes") from None
            raise _Transient(f"connection broken while reading the body ({_reason(exc)})") from None
        return b"".join(pieces)

    def _content_encoding(self, response: Any, current: str) -> str:
        value = response.headers.get("Content-Encoding", "")
        codings = [c for c in (part.strip().lower() for part in value.split(",")) if c]
        codings = [c for c in codings if c != "identity"]
        if not codings:
            return "identity"
        if len(codings) == 1 and codings[0] in _WBITS:
            return "gzip" if codings[0] == "x-gzip" else codings[0]
        raise self._error(UnexpectedContent, current, f"unsupported Content-Encoding {value!r}")


def _secret_forms(values: Iterable[str]) -> tuple[str, ...]:
    """Header values as a server could echo them: whole or their long words (the token of
    "Bearer <token>"), plain or percent-encoded; longest first, so each is masked whole."""
    words = set()
    for value in values:
        words.add(value)
        words.update(word for word in value.split() if len(word) >= 8)
    forms = {form for word in words for form in (word, quote(word, safe=""), quote_plus(word))}
    return tuple(sorted((form for form in forms if len(form) >= 4), key=len, reverse=True))


def _ascii_host(name: str) -> str:
    """The host as DNS, TLS and the Host header see it: lower case, IDNA for accented
    names (mairie-évry.fr); raises UnicodeError for a name IDNA cannot encode."""
    return name.lower().encode("idna").decode("ascii")


def _reason(exc: BaseException) -> str:
    """The low-level cause (refused, reset, timed out...) without urllib3's object reprs."""
    return str(exc.__cause__ or exc)


def _content_length(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date."""
    if value is None:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


# --- Decompression that can be stopped -------------------------------------------------

_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def inflate(chunks: Iterable[bytes], encoding: str, piece: int = _CHUNK) -> Iterator[bytes]:
    """Decode a gzip or deflate stream lazily, never more than `piece` bytes at a time.

    Bounded pieces let the caller stop a decompression bomb at its byte cap having inflated
    at most one piece past it. "identity" passes the chunks through. Raises zlib.error on
    a corrupt stream and EOFError on one that ends early.
    """
    if encoding == "identity":
        yield from chunks
        return
    wbits = _WBITS[encoding]
    inflater = zlib.decompressobj(wbits)
    fresh = True  # nothing decoded yet: a "deflate" body may still turn out to be raw deflate
    for chunk in chunks:
        data = chunk
        while data:
            if inflater.eof:  # concatenated gzip members: the next one starts here
                inflater = zlib.decompressobj(wbits)
            try:
                out = inflater.decompress(data, piece)
            except zlib.error:
                # Some servers send raw deflate where the RFC says zlib-wrapped.
                if not (fresh and encoding == "deflate"):
                    raise
                inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                out = inflater.decompress(data, piece)
            fresh = False
            if out:
                yield out
            data = inflater.unconsumed_tail or (inflater.unused_data if inflater.eof else b"")
    if fresh:
        return
    tail = inflater.flush()
    if tail:
        yield tail
    if not inflater.eof:
        raise EOFError("the compressed stream ends early")


# --- What a body looks like --------------------------------------------------------------

_MAGIC = (
    (b"PAR1", "PARQUET"),
    (b"PK\x03\x04", "ZIP"),
    (b"PK\x05\x06", "ZIP"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE2"),
    (b"\x1f\x8b", "GZIP"),
    (b"%PDF-", "PDF"),
    (b"SQLite format 3\x00", "SQLITE"),
)
_TEXT_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# HTML when the first markup (after an XML declaration and comments) opens an HTML page.
_HTML_START = re.compile(
    r"(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])",
    re.DOTALL,
)
_KINDS = {
    "CSV": "TEXT",
    "TSV": "TEXT",
    "TXT": "TEXT",
    "TTL": "TEXT",
    "TURTLE": "TEXT",
    "JSON": "JSON",
    "GEOJSON": "JSON",
    "JSONLD": "JSON",
    "JSON-LD": "JSON",
    "PARQUET": "PARQUET",
    "XLSX": "ZIP",
    "ODS": "ZIP",
    "ZIP": "ZIP",
    "SHP": "ZIP",
    "XLS": "OLE2",
    "XML": "XML",
    "RDF": "XML",
    "RDF/XML": "XML",
    "KML": "XML",
    "GML": "XML",
    "GZ": "GZIP",
    "GZIP": "GZIP",
    "PDF": "PDF",
    "GPKG": "SQLITE",
    "HTML": "HTML",
}
_DESCRIPTIONS = {
    "EMPTY": "an empty body",
    "HTML": "an HTML page",
    "XML": "an XML document",
    "JSON": "JSON",
    "TEXT": "plain text",
    "BINARY": "binary data",
    "PARQUET": "a Parquet file",
    "ZIP": "a ZIP container",
    "OLE2": "an OLE2 (old Office) file",
    "GZIP": "gzip data",
    "PDF": "a PDF document",
    "SQLITE": "an SQLite database",
}


def sniff(body: bytes) -> str:
    """What the first bytes say the body is: HTML, XML, JSON, TEXT, PARQUET, ZIP..."""
    head = body[:4096]
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    text = _head_text(head)
    if text is None:
        return "BINARY"
    start = text.lstrip("\ufeff \t\r\n").lower()
    if not start:
        return "EMPTY"
    if start.startswith("<"):
        return "HTML" if _HTML_START.match(start) else "XML"
    if start[0] in "{[":
        return "JSON"
    return "TEXT"


def _head_text(head: bytes) -> str | None:
    for bom, codec in _TEXT_BOMS:
        if head.startswith(bom):
            return head.decode(codec, errors="ignore")
    if b"\x00" in head:
        return None
    return head.decode("utf-8", errors="replace")  # Windows-1252 text still reads as text


def looks_like(body: bytes, expected_format: str) -> bool:
    """Whether the body can be a file of that format (CSV, JSON, PARQUET, XLSX, XML...).

    Magic bytes and the first characters only: enough to catch the classic fault, an HTML
    error page (or an empty body) served with a 200 instead of the data. A format not in
    the table accepts anything but HTML and emptiness.
    """
    kind = sniff(body)
    wanted = _KINDS.get(expected_format.strip().lstrip(".").upper())
    if wanted is None:
        return kind not in ("HTML", "EMPTY")
    if wanted == "PARQUET":
        return kind == "PARQUET" and body.endswith(b"PAR1")  # footer missing: truncated
    return kind == wanted


def expect_format(body: bytes, expected_format: str, url: str) -> None:
    """Raise UnexpectedContent, naming the URL, unless the body looks like the format."""
    if not looks_like(body, expected_format):
        kind = sniff(body)
        got = _DESCRIPTIONS[kind]
        if kind == "PARQUET":
            got = "a Parquet file without its footer (truncated)"
        raise UnexpectedContent(f"{mask_url(url)}: expected {expected_format.upper()}, got {got}", url=mask_url(url))


# --- XML before any parser ----------------------------------------------------------------

_DTD = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_DTD_TEXT = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)""")
_XML_NUL_PATTERNS = (
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
)


def check_xml_safe(body: bytes, url: str) -> None:
    """Refuse an XML document declaring a DOCTYPE or an ENTITY, before any parse.

    rdflib's RDF/XML parser expands entities: a 600-byte nested-entity document took 407 s
    (SECURITY.md). Whole documents are searched, in the encoding the parser would use, so
    a UTF-16 or EBCDIC-encoded DOCTYPE is caught as well.
    """
    codec = _xml_encoding(body)
    try:
        name = codecs.lookup(codec).name
    except LookupError:
        raise UnsafeXml(
            f"{mask_url(url)}: unknown XML encoding {codec!r}; refused before parsing",
            url=mask_url(url),
        ) from None
    probe = "<!DOCTYPE <!ENTITY"
    try:
        ascii_compatible = probe.encode(name) == probe.encode("ascii")
    except UnicodeError:
        ascii_compatible = False
    found = _DTD.search(body) if ascii_compatible else _DTD_TEXT.search(body.decode(name, errors="replace"))
    if found:
        raise UnsafeXml(
            f"{mask_url(url)}: the XML declares a DOCTYPE or ENTITY (entity expansion risk); refused before parsing",
            url=mask_url(url),
        )


def _xml_encoding(body: bytes) -> str:
    if body.startswith(codecs.BOM_UTF8):
        return "utf-8"
    for bom, codec in _TEXT_BOMS:
        if body.startswith(bom):
            return codec
    for pattern, codec in _XML_NUL_PATTERNS:
        if body.startswith(pattern):
            return codec
    declared = _XML_DECLARED_ENCODING.match(body[:1024])
    return declared.group(1).decode("ascii") if declared else "utf-8"


def origin_of(url: str) -> str:
    """scheme://host:port of a URL, the port written even when it is the default."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return f"{scheme}://{_bracketed(_ascii_host(parts.hostname or ''))}:{port}"


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host
