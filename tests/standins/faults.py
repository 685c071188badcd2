"""Broken member web: a file host whose files can fail, and a CKAN portal that can fail.

`FaultyFiles` serves its files like `FileHost` (ETag, Last-Modified, 304), except the
paths named in `faults`, which answer with the fault instead:
- "slow": the answer waits `slow_seconds` before coming (a read timeout);
- "html": an HTML error page with a 200, where a CSV was expected;
- "metadata": a redirect to the cloud metadata service, 169.254.169.254;
- "error": HTTP 500.
Removing a path from `faults` heals it. `FailingCkan` answers 500 to everything while
`failing` is set, and like `CkanPortal` once it is cleared.
"""

from __future__ import annotations

import time
from typing import Literal

from tests.standins.ckan import CkanPortal
from tests.standins.files import FileHost
from tests.standins.server import Reply, Request

Fault = Literal["slow", "html", "metadata", "error"]
ERROR_PAGE = b"<!DOCTYPE html><html><head><title>Erreur</title></head><body>Service indisponible</body></html>"
METADATA_URL = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"


class FaultyFiles(FileHost):
    def __init__(self, files: dict[str, bytes], *, slow_seconds: float = 2.0) -> None:
        super().__init__(files)
        self.faults: dict[str, Fault] = {}
        self.slow_seconds = slow_seconds

    def answer(self, request: Request) -> Reply:
        match self.faults.get(request.path.lstrip("/")):
            case "slow":
                time.sleep(self.slow_seconds)
            case "html":
                return Reply(body=ERROR_PAGE, content_type="text/html; charset=utf-8")
            case "metadata":
                return Reply(status=302, headers={"Location": METADATA_URL}, content_type="text/plain")
            case "error":
                return Reply(status=500, body=b"Internal Server Error", content_type="text/plain")
        return super().answer(request)

    def requests_for(self, name: str) -> int:
        """How many requests reached the file `name`."""
        return self.paths().count("/" + name)


class FailingCkan(CkanPortal):
    failing = True

    def answer(self, request: Request) -> Reply:
        if self.failing:
            return Reply(status=500, body=b"Internal Server Error", content_type="text/plain")
        return super().answer(request)
