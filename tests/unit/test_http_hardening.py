"""Hardening of safe fetching: the total deadline holds against a server that drips its
body, and IPv6 forms that carry an IPv4 address (or sit in deprecated ranges) are refused."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from connectors.http import FetchError, FetchPolicy, SourceUnavailable, UnsafeUrl, _refusal, fetch, mask_url

DRIP_BYTES = 20  # at one byte every 0.3 s: 6 s for the whole body, far past the deadline
DRIP_INTERVAL = 0.3


class DripServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), DripHandler)
        self.release = threading.Event()  # ends the drips when the suite is over

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the client hanging up on the drip is the point


class DripHandler(BaseHTTPRequestHandler):
    server: DripServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        chunked = self.path.startswith("/drip-chunked")
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(DRIP_BYTES))
        self.end_headers()
        if chunked:
            self.wfile.write(f"{DRIP_BYTES:x}\r\n".encode())
        for _ in range(DRIP_BYTES):
            if self.server.release.wait(DRIP_INTERVAL):
                return
            self.wfile.write(b"a")
            self.wfile.flush()
        if chunked:
            self.wfile.write(b"\r\n0\r\n\r\n")
        self.close_connection = True


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    running = DripServer()
    threading.Thread(target=running.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://localhost:{running.server_address[1]}"
    running.release.set()
    running.shutdown()
    running.server_close()


def policy(**changes: object) -> FetchPolicy:
    settings: dict[str, object] = {
        "allow_private_hosts": frozenset({"localhost"}),
        "connect_timeout": 1.0,
        "read_timeout": 5.0,  # longer than the drip interval: only the deadline can stop it
        "deadline": 1.0,
        "retries": 2,
        "backoff": 0.01,
    }
    settings.update(changes)
    return FetchPolicy(**settings)  # type: ignore[arg-type]


def fetch_error(url: str, fetch_policy: FetchPolicy) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch(url, fetch_policy)
    return caught.value


# --- The deadline holds while the body is read ----------------------------------------------


@pytest.mark.parametrize("path", ["/drip.csv?apikey=s3cr3t", "/drip-chunked.csv"])
def test_a_server_dripping_its_body_is_cut_at_the_deadline(base: str, path: str) -> None:
    url = f"{base}{path}"
    started = time.monotonic()
    error = fetch_error(url, policy())
    elapsed = time.monotonic() - started
    assert type(error) is SourceUnavailable, f"{type(error).__name__}: {error}"
    assert str(error).startswith(mask_url(url)), str(error)
    assert "deadline of 1 s exceeded while reading the body" in str(error)
    assert "s3cr3t" not in str(error) and error.url == mask_url(url)
    assert elapsed < 1.0 + 1.0, elapsed


def test_a_read_timeout_shorter_than_the_deadline_still_applies(base: str) -> None:
    url = f"{base}/drip.csv"
    started = time.monotonic()
    error = fetch_error(url, policy(read_timeout=0.1, deadline=10.0, retries=0))
    assert type(error) is SourceUnavailable
    assert "timed out reading the body (read timeout 0.1 s)" in str(error)
    assert time.monotonic() - started < 2.0


# --- IPv6 forms carrying an IPv4 address, and deprecated ranges -----------------------------


@pytest.mark.parametrize(
    ("url", "cause"),
    [
        ("http://[::7f00:1]/", "carrying 127.0.0.1, a loopback address"),  # IPv4-compatible
        ("http://[::a9fe:a9fe]/", "carrying 169.254.169.254, a link-local address (the cloud metadata"),
        ("http://[::808:808]/", "an IPv4-compatible address (deprecated)"),
        ("http://[::ffff:0:7f00:1]/", "carrying 127.0.0.1, a loopback address"),  # SIIT
        ("http://[::ffff:0:a00:1]/", "carrying 10.0.0.1, a private address"),
        ("http://[::ffff:0:808:808]/", "an IPv4-translated (SIIT) address"),
        ("http://[64:ff9b:1::a9fe:a9fe]/", "a local-use NAT64 address"),
        ("http://[64:ff9b:1:ffff::808:808]/", "a local-use NAT64 address"),
        ("http://[fec0::1]/", "a site-local address (deprecated)"),
        ("http://[feff:ffff::1]/", "a site-local address (deprecated)"),
    ],
)
def test_ipv6_forms_of_private_addresses_are_refused(url: str, cause: str) -> None:
    error = fetch_error(url, policy(allow_private_hosts=frozenset()))
    assert type(error) is UnsafeUrl, f"{type(error).__name__}: {error}"
    assert str(error).startswith(url) and cause in str(error) and "refused" in str(error), str(error)


@pytest.mark.parametrize(
    ("address", "cause"),
    [
        ("::1", "a loopback address"),
        ("::", "the unspecified address"),
        ("64:ff9b::7f00:1", "carrying 127.0.0.1, a loopback address"),
        ("2002:a9fe:a9fe::", "carrying 169.254.169.254, a link-local address"),
    ],
)
def test_the_neighbouring_ranges_keep_their_reasons(address: str, cause: str) -> None:
    assert cause in (_refusal(ipaddress.ip_address(address)) or "")


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "2001:4860:4860::8888",
        "2a01:e0c:1::1",
        "64:ff9b::808:808",  # DNS64's answer for a public IPv4-only portal
        "2002:808:808::1",
    ],
)
def test_public_addresses_still_pass(address: str) -> None:
    assert _refusal(ipaddress.ip_address(address)) is None
