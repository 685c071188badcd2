"""The frame of every stand-in: a threaded http.server on a free loopback port.

A stand-in answers requests from Python data and remembers each request it received, so
a test can assert what a connector asked for (paging parameters, filters, headers).
"""

from __future__ import annotations

import json
import threading
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> Reply:
        return cls(status=status, body=json.dumps(payload).encode("utf-8"))


class StandIn:
    """Base of the stand-in servers: subclasses implement `answer`."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._url: str | None = None

    def answer(self, request: Request) -> Reply:
        raise NotImplementedError

    @property
    def url(self) -> str:
        """Its root URL, e.g. http://127.0.0.1:41234 (still known after `stop`)."""
        if self._url is None:
            raise RuntimeError("stand-in not started")
        return self._url

    def paths(self) -> list[str]:
        with self._lock:
            return [request.path for request in self.requests]

    def start(self, port: int = 0) -> StandIn:
        handler = type("Handler", (_Handler,), {"app": self})
        self._server = _Server(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        host, bound_port = self._server.server_address[:2]
        self._url = f"http://{host}:{bound_port}"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)


class _Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: a pool of 8 fetchers opening connections
    # at once overflows it, and each dropped SYN costs the client a 1 s retransmission.
    request_queue_size = 128


class _Handler(BaseHTTPRequestHandler):
    app: StandIn
    # HTTP/1.0, one request per connection: a pooled connection must never outlive its
    # stand-in and reach an old handler when a later stand-in gets the same port.
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass

    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        # What GET would answer, without the body: clients ask a feed's type this way (udata does).
        self._serve(body=False)

    def _serve(self, body: bool) -> None:
        parts = urlsplit(self.path)
        request = Request(
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
        )
        self.app._record(request)
        try:
            reply = self.app.answer(request)
        except Exception:  # a stand-in bug must show in the test, not hang it
            reply = Reply(status=500, body=traceback.format_exc().encode(), content_type="text/plain")
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if body and reply.status != 304:
            self.wfile.write(reply.body)
