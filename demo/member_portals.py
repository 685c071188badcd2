"""The members' own web, standing in for the internet the demo cannot reach.

Serves, on one loopback port (stdlib only, so the stack can run it with any Python):
- /<site>/api/3/action/package_search and package_show: the CKAN action API shape, from
  demo/portals/<site>/catalog.json (paging with rows/start, sort=id asc, fq on
  metadata_modified);
- /<site>/files/<file> and /files/<member>/<file>: plain files with ETag and
  Last-Modified, answering 304 to conditional requests like a real web server.
Run: python3 demo/member_portals.py PORT
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

DEMO = Path(__file__).parent
# Fixed date: a checkout's file mtimes must not make every file look changed.
PUBLISHED = email.utils.formatdate(1767225600, usegmt=True)  # 2026-01-01


class Handler(BaseHTTPRequestHandler):
    server_version = "MemberPortals/1.0"

    def log_message(self, fmt, *args):  # one line per request on stderr
        sys.stderr.write(f"{self.address_string()} {fmt % args}\n")

    def do_GET(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        parts = [p for p in url.path.split("/") if p]
        if len(parts) == 3 and parts[0] == "files":
            return self._file(DEMO / "files" / parts[1] / parts[2])
        if len(parts) == 3 and parts[1] == "files":
            return self._file(DEMO / "portals" / parts[0] / parts[2])
        if len(parts) == 5 and parts[1:4] == ["api", "3", "action"]:
            return self._ckan_action(parts[0], parts[4], query)
        self._json(404, {"error": "not found"})

    def _file(self, path: Path):
        if ".." in path.parts or not path.is_file():
            return self._json(404, {"error": "not found"})
        body = path.read_bytes()
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", PUBLISHED)
        self.end_headers()
        self.wfile.write(body)

    def _ckan_action(self, site: str, action: str, query: dict):
        catalog_file = DEMO / "portals" / site / "catalog.json"
        if not re.fullmatch(r"[a-z0-9-]+", site) or not catalog_file.is_file():
            return self._json(404, {"success": False, "error": {"__type": "Not Found Error"}})
        catalog = json.loads(catalog_file.read_text(encoding="utf-8"))
        base = "http://{}/{}/files/".format(self.headers.get("Host"), site)
        packages = [self._package(d, catalog["organization"], base) for d in catalog["datasets"]]
        if action == "package_show":
            wanted = query.get("id")
            found = [p for p in packages if wanted in (p["id"], p["name"])]
            if not found:
                return self._json(404, {"success": False, "error": {"__type": "Not Found Error"}})
            return self._json(200, {"success": True, "result": found[0]})
        if action != "package_search":
            return self._json(400, {"success": False, "error": {"message": "unknown action"}})
        since = re.search(r"metadata_modified:\[(\S+) TO", query.get("fq", ""))
        if since:
            packages = [p for p in packages if p["metadata_modified"] >= since.group(1).rstrip("Z")]
        packages.sort(key=lambda p: p["id"])
        start, rows = int(query.get("start", 0)), min(int(query.get("rows", 10)), 1000)
        result = {"count": len(packages), "results": packages[start : start + rows]}
        self._json(200, {"success": True, "result": result})

    @staticmethod
    def _package(dataset: dict, organization: dict, base: str) -> dict:
        resources = [
            {k: v for k, v in r.items() if k != "file"} | {"url": base + r["file"]}
            for r in dataset["resources"]
        ]
        tags = [{"name": t} for t in dataset.get("tags", [])]
        return dataset | {"organization": organization, "resources": resources, "tags": tags}

    def _json(self, status: int, payload: dict):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 28700
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
