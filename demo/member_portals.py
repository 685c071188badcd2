"""The members' own web, standing in for the internet the demo cannot reach.

Serves, on one loopback port (stdlib only, so the stack can run it with any Python):
- /<site>/api/3/action/package_search and package_show: the CKAN action API shape, from
  demo/portals/<site>/catalog.json (paging with rows/start, sort=id asc, fq on
  metadata_modified);
- /<site>/files/<file> and /files/<member>/<file>: plain files with ETag and
  Last-Modified, answering 304 to conditional requests like a real web server;
- /hubeau/api/v2/hydrometrie/observations_tr and .../referentiel/stations: the Hub'Eau
  hydrométrie API v2 shape (cursor paging through `next`, 206 while partial, 200 when
  complete) over two generated stations with invented figures, hourly up to a fixed
  instant (HUBEAU_LAST_OBS): the same window always gives the same observations, and
  pages hold at most HUBEAU_PAGE_MAX records so a client's paging really runs.
Run: python3 demo/member_portals.py PORT
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import math
import re
import sys
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

DEMO = Path(__file__).parent
# Fixed date: a checkout's file mtimes must not make every file look changed.
PUBLISHED = email.utils.formatdate(1767225600, usegmt=True)  # 2026-01-01

# Hub'Eau: one month of hourly observations ending at a fixed instant, a flood-like rise
# over the last three days (Auray's station crosses its yellow threshold, 1200 mm).
UTC = timezone.utc  # noqa: UP017 (datetime.UTC needs Python 3.11)
HUBEAU_LAST_OBS = datetime(2026, 11, 30, 23, tzinfo=UTC)
HUBEAU_HOURS = 30 * 24
HUBEAU_PAGE_MAX = 100
HUBEAU_STATIONS = {  # generated stations, invented figures (demo/SOURCES.md)
    "J561301001": {
        "libelle_station": "Le Loc'h à Auray (station fictive)",
        "code_commune_station": "56007",
        "libelle_commune": "Auray",
        "longitude_station": -2.9822,
        "latitude_station": 47.6679,
        # base height, daily swing, flood rise (mm); rating curve Q = a * ((H - h0) / 1000) ** 1.6 m3/s
        "curve": {"base": 800, "swing": 30, "rise": 550, "a": 12.0, "h0": 200},
    },
    "J562302001": {
        "libelle_station": "Pluvigner (station fictive)",
        "code_commune_station": "56177",
        "libelle_commune": "Pluvigner",
        "longitude_station": -3.0106,
        "latitude_station": 47.7765,
        "curve": {"base": 420, "swing": 15, "rise": 250, "a": 3.0, "h0": 100},
    },
    "J563403001": {
        "libelle_station": "Ruisseau du Moulin à Carnac (station fictive)",
        "code_commune_station": "56034",
        "libelle_commune": "Carnac",
        "longitude_station": -3.0755,
        "latitude_station": 47.5905,
        "curve": {"base": 300, "swing": 10, "rise": 180, "a": 1.5, "h0": 60},
    },
}


class Handler(BaseHTTPRequestHandler):
    server_version = "MemberPortals/1.0"

    def log_message(self, fmt, *args):  # one line per request on stderr
        sys.stderr.write(f"{self.address_string()} {fmt % args}\n")

    def do_GET(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        parts = [p for p in url.path.split("/") if p]
        if parts[:4] == ["hubeau", "api", "v2", "hydrometrie"]:
            return self._hubeau("/".join(parts[4:]), query)
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

    def _hubeau(self, operation: str, query: dict):
        base = "http://{}/hubeau/api/v2/hydrometrie/{}".format(self.headers.get("Host"), operation)
        try:
            if operation == "observations_tr":
                records = _hubeau_observations(query)
            elif operation == "referentiel/stations":
                wanted = _hubeau_list(query.get("code_station"))
                records = [_hubeau_station(code) for code in sorted(HUBEAU_STATIONS) if not wanted or code in wanted]
            else:
                return self._json(404, {"code": 404, "message": "not found"})
            size = min(int(query.get("size", 1000)), HUBEAU_PAGE_MAX)
            start = int(query.get("cursor", 0))  # the real cursor is opaque: clients only follow `next`
            if size < 1 or start < 0:
                raise ValueError("size must be at least 1, cursor a position")
        except ValueError as exc:
            return self._json(400, {"code": 400, "message": str(exc)})
        asked = {k: v for k, v in query.items() if k != "cursor"}
        end = start + size
        following = f"{base}?{urlencode({**asked, 'cursor': end})}" if end < len(records) else None
        payload = {
            "count": len(records),
            "first": f"{base}?{urlencode(asked)}",
            "prev": None,
            "next": following,
            "api_version": "1.0.1",
            "data": records[start:end],
        }
        self._json(206 if following else 200, payload)

    def _json(self, status: int, payload: dict):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _hubeau_list(value: str | None) -> set[str]:
    return {v.strip() for v in (value or "").split(",") if v.strip()}


def _hubeau_instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _hubeau_station(code: str) -> dict:
    station = HUBEAU_STATIONS[code]
    return {
        "code_site": code[:8],
        "code_station": code,
        "libelle_station": station["libelle_station"],
        "type_station": "STD",
        "longitude_station": station["longitude_station"],
        "latitude_station": station["latitude_station"],
        "code_commune_station": station["code_commune_station"],
        "libelle_commune": station["libelle_commune"],
        "code_departement": "56",
        "libelle_departement": "Morbihan",
        "en_service": True,
    }


def _hubeau_series(code: str, grandeur: str) -> list[tuple[datetime, float]]:
    """The station's generated series, oldest first: a daily swing, then a three-day rise."""
    curve = HUBEAU_STATIONS[code]["curve"]
    series = []
    for hour in range(HUBEAU_HOURS):
        to_end = HUBEAU_HOURS - 1 - hour
        flood = curve["rise"] * math.sin(math.pi / 2 * (72 - to_end) / 72) if to_end < 72 else 0
        height = round(curve["base"] + curve["swing"] * math.sin(2 * math.pi * hour / 24) + flood)
        if grandeur == "H":
            value = float(height)
        else:  # l/s, as Hub'Eau gives flows
            value = round(curve["a"] * ((height - curve["h0"]) / 1000) ** 1.6 * 1000, 1)
        series.append((HUBEAU_LAST_OBS - timedelta(hours=to_end), value))
    return series


def _hubeau_observations(query: dict) -> list[dict]:
    """observations_tr filtered by code_entite, grandeur_hydro, date_debut_obs/date_fin_obs."""
    entities = _hubeau_list(query.get("code_entite"))
    grandeurs = _hubeau_list(query.get("grandeur_hydro")) or {"H", "Q"}
    since = _hubeau_instant(query["date_debut_obs"]) if query.get("date_debut_obs") else None
    until = _hubeau_instant(query["date_fin_obs"]) if query.get("date_fin_obs") else None
    fields = _hubeau_list(query.get("fields"))
    records = []
    for code, station in sorted(HUBEAU_STATIONS.items()):
        if entities and code not in entities and code[:8] not in entities:
            continue
        for grandeur in sorted(grandeurs & {"H", "Q"}):
            series = _hubeau_series(code, grandeur)
            for instant, value in series:
                if (since and instant < since) or (until and instant > until):
                    continue
                record = {
                    "code_site": code[:8],
                    "code_station": code,
                    "grandeur_hydro": grandeur,
                    "date_debut_serie": _hubeau_iso(series[0][0]),
                    "date_fin_serie": _hubeau_iso(series[-1][0]),
                    "statut_serie": 4,
                    "code_systeme_alti_serie": 31,
                    "date_obs": _hubeau_iso(instant),
                    "resultat_obs": value,
                    "code_methode_obs": 0,
                    "libelle_methode_obs": "Mesurée",
                    "code_qualification_obs": 16,
                    "libelle_qualification_obs": "Non qualifiée",
                    "continuite_obs_hydro": True,
                    "longitude": station["longitude_station"],
                    "latitude": station["latitude_station"],
                }
                records.append(record)
    if query.get("sort", "desc") == "desc":  # Hub'Eau's default: newest first
        records.sort(key=lambda r: r["date_obs"], reverse=True)
    return [{k: v for k, v in r.items() if k in fields} for r in records] if fields else records


def _hubeau_iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 28700
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
