"""Hub'Eau hydrométrie API v2: the station referential and `observations_tr`, cursor-paged.

`/api/v2/hydrometrie/observations_tr?code_entite=..&grandeur_hydro=..&date_debut_obs=..
&date_fin_obs=..&sort=asc&size=N` answers `count`, `first`, `prev`, `next` (an absolute
URL carrying an opaque `cursor`, null on the last page), `api_version` and `data`, with
HTTP 206 while pages follow and 200 with the last, as Hub'Eau does.
`/api/v2/hydrometrie/referentiel/stations?code_station=A,B` answers the known stations.
Fault: `replace_pages={n: Reply}` serves that reply instead of the n-th observations page
(counted over every observations request, from 1): a page without `data`, an HTML error.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from tests.standins.server import Reply, Request, StandIn

OBSERVATIONS = "/api/v2/hydrometrie/observations_tr"
STATIONS = "/api/v2/hydrometrie/referentiel/stations"


def hubeau_station(code: str, libelle: str, commune: str) -> dict[str, Any]:
    """A station in the shape of the v2 referential."""
    return {
        "code_site": code[:8],
        "code_station": code,
        "libelle_station": libelle,
        "type_station": "STD",
        "longitude_station": -2.98,
        "latitude_station": 47.67,
        "code_commune_station": commune,
        "libelle_commune": "Auray",
        "code_departement": "56",
        "en_service": True,
    }


def hubeau_observation(code: str, grandeur: str, date_obs: str, resultat: Any) -> dict[str, Any]:
    """An observation in the shape of `observations_tr`."""
    return {
        "code_site": code[:8],
        "code_station": code,
        "grandeur_hydro": grandeur,
        "date_debut_serie": "2026-11-01T00:00:00Z",
        "date_fin_serie": "2026-11-30T23:00:00Z",
        "statut_serie": 4,
        "code_systeme_alti_serie": 31,
        "date_obs": date_obs,
        "resultat_obs": resultat,
        "code_methode_obs": 0,
        "libelle_methode_obs": "Mesurée",
        "code_qualification_obs": 16,
        "libelle_qualification_obs": "Non qualifiée",
        "continuite_obs_hydro": True,
        "longitude": -2.98,
        "latitude": 47.67,
    }


class HubeauApi(StandIn):
    def __init__(
        self,
        stations: list[dict[str, Any]],
        observations: list[dict[str, Any]],
        *,
        replace_pages: dict[int, Reply] | None = None,
    ):
        super().__init__()
        self.stations = stations
        self.observations = observations
        self.replace_pages = replace_pages or {}
        self.observation_pages = 0

    def answer(self, request: Request) -> Reply:
        if request.path == STATIONS:
            wanted = set((request.arg("code_station") or "").split(","))
            return self._paged(request, STATIONS, [s for s in self.stations if s["code_station"] in wanted])
        if request.path == OBSERVATIONS:
            self.observation_pages += 1
            if self.observation_pages in self.replace_pages:
                return self.replace_pages[self.observation_pages]
            return self._paged(request, OBSERVATIONS, self._matching(request))
        return Reply.json({"code": 404, "message": "not found"}, status=404)

    def _matching(self, request: Request) -> list[dict[str, Any]]:
        codes = set((request.arg("code_entite") or "").split(","))
        grandeurs = set((request.arg("grandeur_hydro") or "H,Q").split(","))
        since = _instant(request.arg("date_debut_obs"))
        until = _instant(request.arg("date_fin_obs"))
        found = [
            o
            for o in self.observations
            if o["code_station"] in codes
            and o["grandeur_hydro"] in grandeurs
            and (since is None or _instant(o["date_obs"]) >= since)
            and (until is None or _instant(o["date_obs"]) <= until)
        ]
        found.sort(key=lambda o: _instant(o["date_obs"]), reverse=request.arg("sort", "desc") == "desc")
        fields = [f for f in (request.arg("fields") or "").split(",") if f]
        return [{k: v for k, v in o.items() if k in fields} for o in found] if fields else found

    def _paged(self, request: Request, path: str, records: list[dict[str, Any]]) -> Reply:
        size = int(request.arg("size", "1000") or 1000)
        cursor = request.arg("cursor")
        start = int(base64.urlsafe_b64decode(cursor.encode())) if cursor else 0
        asked = [(k, v) for k, values in request.query.items() if k != "cursor" for v in values]
        end = start + size
        following = None
        if end < len(records):
            token = base64.urlsafe_b64encode(str(end).encode()).decode()
            following = f"{self.url}{path}?{urlencode([*asked, ('cursor', token)])}"
        payload = {
            "count": len(records),
            "first": f"{self.url}{path}?{urlencode(asked)}",
            "prev": None,
            "next": following,
            "api_version": "1.0.1",
            "data": records[start:end],
        }
        return Reply.json(payload, status=206 if following else 200)


def _instant(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
