"""The fault suite of safe fetching (issue 3): a real HTTP server on 127.0.0.1 serves each
fault, and every error must say what failed (its type), where (the URL) and why (the
cause) without ever showing the source's credential, in the message or in the logs."""

from __future__ import annotations

import gzip
import io
import json
import logging
import ssl
import threading
import time
import tracemalloc
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import polars as pl
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from connectors.archives import UnsafeArchive, read_zip
from connectors.http import (
    Fetched,
    FetchError,
    FetchPolicy,
    ResourceTooLarge,
    SourceUnavailable,
    UnexpectedContent,
    UnsafeUrl,
    UnsafeXml,
    check_xml_safe,
    fetch,
    fetch_all,
    fetch_json,
    looks_like,
    mask_url,
)
from connectors.pagination import (
    NextUrlPaginator,
    OffsetPaginator,
    PaginationError,
    ckan_page,
    paginate,
    udata_page,
)

SECRET = "Bearer s3cr3t-tdh-credential-0042"
CAP = 1024 * 1024
CSV = "code_insee;nom;population\n01001;L'Abergement-Clémenciat;776\n".encode()
HTML_ERROR = b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head></html>"
RDF_WITH_DOCTYPE = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:dct="http://purl.org/dc/terms/">
  <rdf:Description rdf:about="https://example.org/dataset/1"><dct:title>&b;</dct:title>
  </rdf:Description>
</rdf:RDF>
"""
RDF_SAFE = RDF_WITH_DOCTYPE.replace(RDF_WITH_DOCTYPE.splitlines()[1] + b"\n", b"").replace(b"&b;", b"Budget")


def _evil_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data/budget.csv", CSV)
        archive.writestr("../../etc/cron.d/evil", b"* * * * * root sh -c 'id'\n")
    return buffer.getvalue()


class FaultServer(ThreadingHTTPServer):
    """Answers each fault on its own path; counts hits and keeps the headers it received."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), FaultHandler)
        self.hits: Counter[str] = Counter()
        self.headers_seen: dict[str, list[dict[str, str]]] = {}
        self.lock = threading.Lock()
        self.release = threading.Event()  # ends the slow answers when the suite is over
        self.bomb = gzip.compress(b"\0" * 10 * 1024 * 1024)

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up on a slow answer is the point of some tests

    def record(self, path: str, headers: dict[str, str]) -> int:
        with self.lock:
            self.hits[path] += 1
            self.headers_seen.setdefault(path, []).append(headers)
            return self.hits[path]


class FaultHandler(BaseHTTPRequestHandler):
    server: FaultServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def reply(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        headers.setdefault("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        path = parts.path
        hit = self.server.record(path, dict(self.headers.items()))
        if path == "/ok.csv":
            if self.headers.get("If-None-Match") == '"v1"':
                self.reply(304, ETag='"v1"')
            else:
                self.reply(200, CSV, Content_Type="text/csv", ETag='"v1"')
        elif path == "/slow":
            self.server.release.wait(5)
            self.reply(200, CSV)
        elif path.startswith("/status/"):
            self.reply(int(path.rsplit("/", 1)[1]), b"error")
        elif path.startswith("/flaky/"):
            if hit <= int(query["fail"]):
                self.reply(int(query["code"]), b"busy", Retry_After=query.get("retry_after", "0"))
            else:
                self.reply(200, CSV)
        elif path == "/truncated":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"x" * 500)
            self.close_connection = True
        elif path == "/html-error":
            self.reply(200, HTML_ERROR, Content_Type="text/csv")
        elif path == "/redirect":
            self.reply(302, Location=query["to"])
        elif path == "/echo-redirect":
            # A careless server echoes the credential it received into a Location.
            received = self.headers.get("Authorization", "")
            token = received.split()[-1] if received else ""
            location = f"http://169.254.169.254/?auth={quote(received)}&raw={token}"
            self.reply(302, Location=location)
        elif path == "/redirect-loop":
            self.reply(302, Location=f"/redirect-loop?n={hit}")
        elif path == "/headers":
            self.reply(200, json.dumps(dict(self.headers.items())).encode())
        elif path == "/big":
            self.reply(200, b"a;b\n" * (CAP // 2))
        elif path == "/big-without-length":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            for _ in range(32):
                self.wfile.write(b"a;b\n" * (CAP // 64))
            self.close_connection = True
        elif path == "/bomb":
            self.reply(200, self.server.bomb, Content_Encoding="gzip")
        elif path == "/gzip.csv":
            self.reply(200, gzip.compress(CSV), Content_Encoding="gzip")
        elif path == "/deflate.csv":
            self.reply(200, zlib.compress(CSV), Content_Encoding="deflate")
        elif path == "/raw-deflate.csv":
            packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
            self.reply(200, packer.compress(CSV) + packer.flush(), Content_Encoding="deflate")
        elif path == "/evil.zip":
            self.reply(200, _evil_zip(), Content_Type="application/zip")
        elif path == "/doctype.rdf":
            self.reply(200, RDF_WITH_DOCTYPE, Content_Type="application/rdf+xml")
        elif path == "/safe.rdf":
            self.reply(200, RDF_SAFE, Content_Type="application/rdf+xml")
        elif path == "/udata/loop":
            # Page 2 sends the harvester back to page 1: ckanext-dcat #260 in udata clothes.
            page = int(query["page"])
            next_page = f"/udata/loop?page={page % 2 + 1}"
            body = {"data": [{"id": f"ds-{page}"}], "next_page": next_page, "total": 10}
            self.reply(200, json.dumps(body).encode(), Content_Type="application/json")
        elif path == "/ckan/shifting":
            # The catalogue changed between two pages: page 2 starts one record too early.
            ids = ["a", "b", "c", "c", "d", "e"]
            start, rows = int(query["start"]), int(query["rows"])
            results = [{"id": i, "name": i} for i in ids[start : start + rows]]
            body = {"success": True, "result": {"count": len(ids), "results": results}}
            self.reply(200, json.dumps(body).encode(), Content_Type="application/json")
        else:
            self.reply(404, b"not found")


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    running = FaultServer()
    thread = threading.Thread(target=running.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield running
    running.release.set()
    running.shutdown()
    running.server_close()


@pytest.fixture
def base(server: FaultServer) -> str:
    # The source is reached as "localhost", the only allow-listed name: 127.0.0.1 itself
    # stays refused, as it would be for any real source.
    return f"http://localhost:{server.server_address[1]}"


@pytest.fixture(autouse=True)
def no_credential_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    for record in caplog.get_records("call"):
        assert "s3cr3t" not in record.getMessage()


def policy(**changes: object) -> FetchPolicy:
    settings: dict[str, object] = {
        "allow_private_hosts": frozenset({"localhost"}),
        "headers": {"Authorization": SECRET},
        "connect_timeout": 1.0,
        "read_timeout": 0.3,
        "deadline": 10.0,
        "retries": 1,
        "backoff": 0.01,
        "max_bytes": CAP,
    }
    settings.update(changes)
    return FetchPolicy(**settings)  # type: ignore[arg-type]


def assert_reported(error: FetchError, kind: type[FetchError], url: str, *causes: str) -> None:
    message = str(error)
    assert type(error) is kind, f"{type(error).__name__}: {message}"
    assert message.startswith(mask_url(url)), message
    for cause in causes:
        assert cause in message
    assert "s3cr3t" not in message
    assert error.url == mask_url(url)


def fetch_error(url: str, fetch_policy: FetchPolicy, **kwargs: object) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch(url, fetch_policy, **kwargs)  # type: ignore[arg-type]
    return caught.value


# --- What works must keep working ------------------------------------------------------


def test_a_csv_comes_with_its_validators_and_a_conditional_fetch_gives_304(base: str) -> None:
    fetched = fetch(f"{base}/ok.csv", policy(), expected_format="CSV")
    assert (fetched.status, fetched.body, fetched.etag) == (200, CSV, '"v1"')
    assert fetched.content_type == "text/csv"
    again = fetch(f"{base}/ok.csv", policy(), etag='"v1"')
    assert again.not_modified and again.body == b""


@pytest.mark.parametrize("path", ["/gzip.csv", "/deflate.csv", "/raw-deflate.csv"])
def test_encoded_bodies_are_decoded(base: str, path: str) -> None:
    assert fetch(f"{base}{path}", policy()).body == CSV


def test_credentials_reach_their_own_host_only(server: FaultServer, base: str) -> None:
    both = policy(allow_private_hosts=frozenset({"localhost", "127.0.0.1"}))
    same_host = json.loads(fetch(f"{base}/redirect?to=/headers", both).body)
    assert same_host["Authorization"] == SECRET
    other_host = f"http://127.0.0.1:{server.server_address[1]}/headers"
    crossed = json.loads(fetch(f"{base}/redirect?to={quote(other_host)}", both).body)
    assert "Authorization" not in crossed
    assert crossed["Host"] == f"127.0.0.1:{server.server_address[1]}"


# --- TLS while connecting to the checked address -----------------------------------------


def _tls_files(folder: Path) -> dict[str, Path]:
    """A test CA, and a server certificate from it for "localhost" and for another name."""
    now = datetime.now(UTC)

    def certificate(
        subject: str, key: ec.EllipticCurvePrivateKey, issuer_key: ec.EllipticCurvePrivateKey
    ) -> x509.Certificate:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
        issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TDH test CA")])
        is_ca = subject == "TDH test CA"
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        )
        if not is_ca:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    files = {"ca": folder / "ca.pem"}
    files["ca"].write_bytes(certificate("TDH test CA", ca_key, ca_key).public_bytes(serialization.Encoding.PEM))
    for subject in ("localhost", "portail.example.fr"):
        key = ec.generate_private_key(ec.SECP256R1())
        pem = certificate(subject, key, ca_key).public_bytes(serialization.Encoding.PEM)
        pem += key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        files[subject] = folder / f"{subject}.pem"
        files[subject].write_bytes(pem)
    return files


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """HTTPS fault servers on 127.0.0.1: one certified for localhost, one for another name."""
    files = _tls_files(tmp_path_factory.mktemp("tls"))
    servers = {}
    for subject in ("localhost", "portail.example.fr"):
        running = FaultServer()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(files[subject])
        running.socket = context.wrap_socket(running.socket, server_side=True)
        threading.Thread(target=running.serve_forever, args=(0.05,), daemon=True).start()
        servers[subject] = running
    yield {
        "ca": str(files["ca"]),
        "good": f"https://localhost:{servers['localhost'].server_address[1]}",
        "misnamed": f"https://localhost:{servers['portail.example.fr'].server_address[1]}",
    }
    for running in servers.values():
        running.shutdown()
        running.server_close()


def test_https_verifies_the_host_name_on_the_pinned_address(tls: dict[str, str]) -> None:
    fetched = fetch(f"{tls['good']}/ok.csv", policy(ca_file=tls["ca"]))
    assert fetched.body == CSV


def test_a_certificate_for_another_name_is_refused(tls: dict[str, str]) -> None:
    url = f"{tls['misnamed']}/ok.csv"
    error = fetch_error(url, policy(ca_file=tls["ca"]))
    assert_reported(error, SourceUnavailable, url, "TLS failure", "'localhost' doesn't match 'portail.example.fr'")


def test_a_certificate_from_an_unknown_authority_is_refused(tls: dict[str, str]) -> None:
    url = f"{tls['good']}/ok.csv"
    error = fetch_error(url, policy())
    assert_reported(error, SourceUnavailable, url, "TLS failure", "certificate verify failed")


# --- Slow, failing and broken servers ---------------------------------------------------


def test_a_timeout_is_retried_then_reported(server: FaultServer, base: str) -> None:
    before = server.hits["/slow"]
    error = fetch_error(f"{base}/slow", policy(retries=1))
    assert_reported(error, SourceUnavailable, f"{base}/slow", "timed out", "2 attempts")
    assert server.hits["/slow"] - before == 2


def test_the_deadline_bounds_the_whole_fetch(base: str) -> None:
    started = time.monotonic()
    error = fetch_error(f"{base}/slow", policy(retries=10, read_timeout=0.4, deadline=1.0))
    assert_reported(error, SourceUnavailable, f"{base}/slow", "deadline of 1 s")
    assert time.monotonic() - started < 2.0


def test_a_500_is_reported_without_a_retry(server: FaultServer, base: str) -> None:
    error = fetch_error(f"{base}/status/500", policy(retries=3))
    assert_reported(error, SourceUnavailable, f"{base}/status/500", "HTTP 500", "not retried")
    assert error.status == 500
    assert server.hits["/status/500"] == 1


def test_a_404_is_never_retried(server: FaultServer, base: str) -> None:
    error = fetch_error(f"{base}/status/404", policy(retries=3))
    assert_reported(error, SourceUnavailable, f"{base}/status/404", "HTTP 404")
    assert server.hits["/status/404"] == 1


def test_a_503_is_retried_until_the_retries_run_out(server: FaultServer, base: str) -> None:
    error = fetch_error(f"{base}/status/503", policy(retries=2))
    assert_reported(error, SourceUnavailable, f"{base}/status/503", "HTTP 503", "3 attempts")
    assert server.hits["/status/503"] == 3


def test_a_passing_503_is_recovered_from(server: FaultServer, base: str) -> None:
    fetched = fetch(f"{base}/flaky/503?fail=2&code=503", policy(retries=2))
    assert fetched.body == CSV
    assert server.hits["/flaky/503"] == 3


def test_a_429_waits_for_retry_after_but_no_longer_than_the_cap(server: FaultServer, base: str) -> None:
    started = time.monotonic()
    fetched = fetch(f"{base}/flaky/429?fail=1&code=429&retry_after=3600", policy(max_retry_after=0.3))
    assert fetched.body == CSV
    assert 0.3 <= time.monotonic() - started < 3
    assert server.hits["/flaky/429"] == 2


def test_a_truncated_body_is_detected(base: str) -> None:
    error = fetch_error(f"{base}/truncated", policy())
    assert_reported(error, SourceUnavailable, f"{base}/truncated", "truncated body: received 500 of 1000")


def test_an_html_page_served_instead_of_a_csv_is_refused(base: str) -> None:
    error = fetch_error(f"{base}/html-error", policy(), expected_format="CSV")
    assert_reported(error, UnexpectedContent, f"{base}/html-error", "expected CSV, got an HTML page")


def test_an_html_page_served_instead_of_json_is_refused(base: str) -> None:
    with pytest.raises(UnexpectedContent) as caught:
        fetch_json(f"{base}/html-error", policy())
    assert_reported(caught.value, UnexpectedContent, f"{base}/html-error", "expected JSON")


# --- Where the hub must not go -----------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "cause"),
    [
        ("http://127.0.0.1:{port}/headers", "127.0.0.1 is a loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "the cloud metadata service"),
    ],
)
def test_redirects_to_loopback_and_metadata_are_refused(
    server: FaultServer, base: str, target: str, cause: str
) -> None:
    target = target.format(port=server.server_address[1])
    before = server.hits["/headers"]
    url = f"{base}/redirect?to={quote(target)}"
    error = fetch_error(url, policy())
    assert_reported(error, UnsafeUrl, url, f"(redirected to {target})", cause, "refused")
    assert server.hits["/headers"] == before  # refused before connecting


@pytest.mark.parametrize(
    ("url", "cause"),
    [
        ("http://127.0.0.1:{port}/ok.csv", "a loopback address"),
        ("http://2130706433:{port}/ok.csv", "2130706433 resolves to 127.0.0.1, a loopback"),
        ("http://[::1]/", "a loopback address"),
        ("http://10.1.2.3/", "a private address"),
        ("http://172.16.0.1/", "a private address"),
        ("http://192.168.1.10/", "a private address"),
        ("http://169.254.169.254/latest/meta-data/iam/", "link-local address (the cloud meta"),
        ("http://[fe80::1]/", "a link-local address"),
        ("http://[fd12:3456::1]/", "a unique local (ULA) address"),
        ("http://0.0.0.0/", "the unspecified address"),
        ("http://[::]/", "the unspecified address"),
        ("http://224.0.0.251/", "a multicast address"),
        ("http://[::ffff:127.0.0.1]/", "an IPv4-mapped IPv6 address"),
        ("http://[::ffff:169.254.169.254]/", "an IPv4-mapped IPv6 address"),
        ("http://100.64.0.1/", "a reserved, non-public address"),
        ("http://[64:ff9b::a9fe:a9fe]/", "carrying 169.254.169.254, a link-local address"),
        ("http://[2002:7f00:1::]/", "carrying 127.0.0.1, a loopback address"),
    ],
)
def test_private_addresses_are_refused_unless_allow_listed(server: FaultServer, url: str, cause: str) -> None:
    url = url.format(port=server.server_address[1])
    before = server.hits["/ok.csv"]
    error = fetch_error(url, policy(allow_private_hosts=frozenset()))
    assert_reported(error, UnsafeUrl, url, cause, "refused")
    assert server.hits["/ok.csv"] == before


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://ftp.example.org/budget.csv", "gopher://example.org/"])
def test_other_schemes_are_refused(url: str) -> None:
    error = fetch_error(url, policy())
    assert_reported(error, UnsafeUrl, url, f"scheme '{url.split(':')[0]}' refused")


def test_a_redirect_to_a_file_url_is_refused(base: str) -> None:
    url = f"{base}/redirect?to=file:///etc/passwd"
    error = fetch_error(url, policy())
    assert_reported(error, UnsafeUrl, url, "redirected to file:///etc/passwd", "scheme 'file'")


def test_redirects_stop_after_five(server: FaultServer, base: str) -> None:
    error = fetch_error(f"{base}/redirect-loop", policy())
    assert_reported(error, SourceUnavailable, f"{base}/redirect-loop", "more than 5 redirects")
    assert server.hits["/redirect-loop"] == 6


def test_credentials_in_the_url_are_refused_and_masked(server: FaultServer) -> None:
    url = f"http://harvester:s3cr3t-pw@localhost:{server.server_address[1]}/ok.csv"
    error = fetch_error(url, policy())
    assert_reported(error, UnsafeUrl, url, "credentials in the URL are refused")
    assert str(error).startswith("http://***@localhost")


def test_secret_query_values_are_masked_in_errors_and_logs(base: str, caplog: pytest.LogCaptureFixture) -> None:
    url = f"{base}/status/503?apikey=s3cr3t-k&Access_Token=s3cr3t-t&format=csv"
    error = fetch_error(url, policy())
    assert_reported(error, SourceUnavailable, url, "apikey=***", "Access_Token=***", "format=csv")
    logged = [record.getMessage() for record in caplog.records]
    assert any("GET /status/503?apikey=***&Access_Token=***" in line for line in logged)
    assert any("retry 1 of 1" in line and "apikey=***" in line for line in logged)


def test_a_credential_echoed_by_the_server_never_shows(base: str) -> None:
    error = fetch_error(f"{base}/echo-redirect", policy())
    assert_reported(
        error,
        UnsafeUrl,
        f"{base}/echo-redirect",
        "(redirected to http://169.254.169.254/?auth=***&raw=***)",
        "cloud metadata",
    )


# --- Too big -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "cause"),
    [
        ("/big", "Content-Length of 2097152 bytes is over the cap of 1048576"),
        ("/big-without-length", "more than the cap of 1048576 bytes"),
    ],
)
def test_a_file_over_the_cap_is_refused(base: str, path: str, cause: str) -> None:
    error = fetch_error(f"{base}{path}", policy())
    assert_reported(error, ResourceTooLarge, f"{base}{path}", cause)


def test_a_gzip_bomb_stops_at_the_cap_without_being_inflated(base: str) -> None:
    tracemalloc.start()
    try:
        error = fetch_error(f"{base}/bomb", policy())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert_reported(error, ResourceTooLarge, f"{base}/bomb", "after gzip decompression")
    assert peak < 4 * CAP  # the 10 MB of zeros were never all inflated


# --- Unsafe content ----------------------------------------------------------------------


def test_a_zip_with_a_parent_member_is_refused(base: str) -> None:
    fetched = fetch(f"{base}/evil.zip", policy(), expected_format="ZIP")
    with pytest.raises(UnsafeArchive) as caught:
        read_zip(fetched.body, fetched.final_url)
    assert_reported(caught.value, UnsafeArchive, f"{base}/evil.zip", "'../../etc/cron.d/evil'", "'..'")


def test_an_rdf_xml_document_with_a_doctype_is_refused_before_parsing(base: str) -> None:
    fetched = fetch(f"{base}/doctype.rdf", policy(), expected_format="RDF")
    with pytest.raises(UnsafeXml) as caught:
        check_xml_safe(fetched.body, fetched.final_url)
    assert_reported(caught.value, UnsafeXml, f"{base}/doctype.rdf", "DOCTYPE or ENTITY")
    safe = fetch(f"{base}/safe.rdf", policy(), expected_format="RDF")
    check_xml_safe(safe.body, safe.final_url)


def test_an_infinite_next_page_loop_is_stopped(server: FaultServer, base: str) -> None:
    url = f"{base}/udata/loop"
    paginator = NextUrlPaginator(url, {"page": 1})
    with pytest.raises(PaginationError) as caught:
        list(paginate(paginator, lambda r: udata_page(fetch_json(r.url, policy(), params=r.params), r.url)))
    assert_reported(caught.value, PaginationError, f"{url}?page=2", "page 2", "next-page loop")
    assert server.hits["/udata/loop"] == 2


def test_duplicate_ids_across_pages_come_out_once(base: str) -> None:
    paginator = OffsetPaginator(f"{base}/ckan/shifting", {"sort": "id asc"}, limit=3)
    records = list(paginate(paginator, lambda r: ckan_page(fetch_json(r.url, policy(), params=r.params), r.url)))
    assert [record["id"] for record in records] == ["a", "b", "c", "d", "e"]
    assert paginator.duplicates == ["c"]


# --- One bad URL among many --------------------------------------------------------------


def test_every_other_request_is_unaffected(base: str) -> None:
    urls = {
        "ok": f"{base}/ok.csv",
        "timeout": f"{base}/slow",
        "500": f"{base}/status/500",
        "truncated": f"{base}/truncated",
        "html": f"{base}/html-error",
        "metadata": f"{base}/redirect?to=http://169.254.169.254/",
        "file": "file:///etc/passwd",
        "big": f"{base}/big",
        "bomb": f"{base}/bomb",
        "gzip": f"{base}/gzip.csv",
    }
    started = time.monotonic()
    results = dict(zip(urls, fetch_all(list(urls.values()), policy(), expected_format="CSV"), strict=True))
    assert time.monotonic() - started < 5
    expected = {
        "ok": Fetched,
        "timeout": SourceUnavailable,
        "500": SourceUnavailable,
        "truncated": SourceUnavailable,
        "html": UnexpectedContent,
        "metadata": UnsafeUrl,
        "file": UnsafeUrl,
        "big": ResourceTooLarge,
        "bomb": ResourceTooLarge,
        "gzip": Fetched,
    }
    assert {name: type(result) for name, result in results.items()} == expected
    assert results["ok"].body == CSV and results["gzip"].body == CSV  # type: ignore[union-attr]
    for name, result in results.items():
        if isinstance(result, FetchError):
            assert str(result).startswith(mask_url(urls[name]))
            assert "s3cr3t" not in str(result)


# --- Content sniffing ----------------------------------------------------------------------


def _parquet() -> bytes:
    buffer = io.BytesIO()
    pl.DataFrame({"code_insee": ["01001"], "population": [776]}).write_parquet(buffer)
    return buffer.getvalue()


def _xlsx() -> bytes:
    buffer = io.BytesIO()
    pl.DataFrame({"code_insee": ["01001"], "population": [776]}).write_excel(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "sample",
    [
        "cantines_diagnostic_latin1.csv",
        "cantines_diagnostic_semicolon_decimal-comma.csv",
        "scdl_budget_crach_CA2021.csv",
        "csvdetective_communes_insee_epci.csv",
    ],
)
def test_real_csv_files_look_like_csv_and_nothing_else(samples: Path, sample: str) -> None:
    body = (samples / sample).read_bytes()
    assert looks_like(body, "CSV")
    assert not looks_like(body, "JSON")
    assert not looks_like(body, "PARQUET")
    assert not looks_like(body, "XLSX")


def test_each_format_is_recognised_by_its_first_bytes(samples: Path) -> None:
    bodies = {
        "CSV": "code;nom\n01001;Clémenciat\n".encode("utf-16"),
        "JSON": (samples / "scdl_budget_schema_v0.8.3.json").read_bytes(),
        "PARQUET": _parquet(),
        "XLSX": _xlsx(),
        "RDF": RDF_SAFE,
    }
    for expected, body in bodies.items():
        matches = {fmt for fmt in bodies if looks_like(body, fmt)}
        assert matches == {expected}, expected


@pytest.mark.parametrize("fmt", ["CSV", "JSON", "GEOJSON", "PARQUET", "XLSX", "RDF", "ODS", "XYZ"])
def test_an_html_error_page_or_an_empty_body_is_never_data(fmt: str) -> None:
    assert not looks_like(HTML_ERROR, fmt)
    assert not looks_like(b"<!-- proxy -->\n<HTML><BODY>Service unavailable</BODY></HTML>", fmt)
    assert not looks_like(b"", fmt)


def test_a_parquet_file_without_its_footer_is_refused() -> None:
    whole = _parquet()
    assert looks_like(whole, "PARQUET")
    assert not looks_like(whole[: len(whole) // 2], "PARQUET")


# --- XML refused before any parser -----------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [
        RDF_WITH_DOCTYPE,
        b'<?xml version="1.0"?><!ENTITY x SYSTEM "file:///etc/passwd"><rdf:RDF/>',
        b"<!doctype rdf:RDF><rdf:RDF/>",
        RDF_WITH_DOCTYPE.decode().encode("utf-16"),  # BOM, then two bytes per character
        RDF_WITH_DOCTYPE.decode().encode("utf-16-le"),  # no BOM
        b'<?xml version="1.0" encoding="cp037"?>' + "<!DOCTYPE x []><x/>".encode("cp037"),
    ],
)
def test_a_dtd_is_found_whatever_the_encoding(document: bytes) -> None:
    with pytest.raises(UnsafeXml, match="DOCTYPE or ENTITY"):
        check_xml_safe(document, "https://portail.example.fr/catalog.rdf?apikey=s3cr3t")


def test_an_unknown_xml_encoding_is_refused() -> None:
    document = b'<?xml version="1.0" encoding="x-made-up"?><rdf:RDF/>'
    with pytest.raises(UnsafeXml) as caught:
        check_xml_safe(document, "https://portail.example.fr/catalog.rdf?apikey=s3cr3t")
    assert str(caught.value) == (
        "https://portail.example.fr/catalog.rdf?apikey=***: unknown XML encoding 'x-made-up'; refused before parsing"
    )
