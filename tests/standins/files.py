"""Plain files on a web server that honours conditional requests, like a real one.

Each file answers with an ETag (a digest of its bytes) and a fixed Last-Modified; a request
whose If-None-Match or If-Modified-Since matches gets 304 Not Modified. Replacing
`host.files[name]` changes what the next request receives.
"""

from __future__ import annotations

import email.utils
import hashlib
import time

from tests.standins.server import Reply, Request, StandIn

PUBLISHED = email.utils.formatdate(1767225600, usegmt=True)  # 2026-01-01, fixed


class FileHost(StandIn):
    def __init__(self, files: dict[str, bytes], *, validators: bool = True, latency: float = 0.0) -> None:
        super().__init__()
        self.files = dict(files)
        self.validators = validators  # False: a server that sends neither ETag nor date
        self.latency = latency  # seconds each answer waits: a member's server far away (benchmarks)

    def answer(self, request: Request) -> Reply:
        if self.latency:
            time.sleep(self.latency)
        body = self.files.get(request.path.lstrip("/"))
        if body is None:
            return Reply(status=404, body=b"not found", content_type="text/plain")
        if not self.validators:
            return Reply(body=body, content_type="text/csv")
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = {"ETag": etag, "Last-Modified": PUBLISHED}
        if request.headers.get("if-none-match") == etag or (
            "if-none-match" not in request.headers and request.headers.get("if-modified-since") == PUBLISHED
        ):
            return Reply(status=304, headers=headers)
        return Reply(body=body, content_type="text/csv", headers=headers)
