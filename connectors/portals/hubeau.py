"""Hub'Eau hydrométrie (API v2): water heights and flows at the stations a member follows.

Hub'Eau (https://hubeau.eaufrance.fr/page/api-hydrometrie) republishes the near-real-time
observations of France's hydrometric stations, one month deep: heights (grandeur H, mm)
and flows (grandeur Q, l/s). A member follows a few stations, each with the vigilance
thresholds it watches there.

There is no file to download: each followed station is one dataset whose single resource
is a CSV built here (`station_csv`) from the station referential and from every page of
`observations_tr` over a window of days: H and Q side by side on each observed instant,
Q in m3/s, the member's thresholds repeated on each row. The same observations over the
same window give the same bytes, so change detection works as for a fetched file. Pages
are followed through `next` (cursor paging; the API answers 206 while more pages follow,
200 with the last) under the guards of `connectors.pagination`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol
from urllib.parse import quote

from connectors.http import FetchPolicy, UnexpectedContent, fetch_json, mask_url
from connectors.pagination import NextUrlPaginator, Page, PageRequest, paginate
from connectors.portals.listing import check_same_host, parse_timestamp
from connectors.records import RemoteDataset, RemoteResource

OBSERVATIONS = "/api/v2/hydrometrie/observations_tr"
STATIONS = "/api/v2/hydrometrie/referentiel/stations"
MAX_SIZE = 20_000  # the largest page the API serves
GRANDEURS = ("H", "Q")  # height in mm, flow in l/s
COLUMNS = (
    "code_station",
    "libelle_station",
    "code_commune",
    "date_obs",
    "hauteur_mm",
    "debit_m3s",
    "seuil_jaune_mm",
    "seuil_orange_mm",
    "seuil_rouge_mm",
)


class UnknownStation(UnexpectedContent):
    """A followed station the Hub'Eau referential does not know."""


class FollowedStation(Protocol):
    """What the configuration says about one station (catalog.committee.Station fits)."""

    @property
    def code(self) -> str: ...
    @property
    def label(self) -> str | None: ...
    @property
    def seuil_jaune_mm(self) -> float | None: ...
    @property
    def seuil_orange_mm(self) -> float | None: ...
    @property
    def seuil_rouge_mm(self) -> float | None: ...


@dataclass(frozen=True)
class Window:
    """The observation window: `days` days ending at `end` (UTC, whole seconds)."""

    end: datetime
    days: int

    @classmethod
    def ending(cls, end: datetime | None, days: int) -> Window:
        """The window ending at `end` (naive means UTC), or now."""
        end = end or datetime.now(UTC)
        if end.tzinfo is None:
            end = end.replace(tzinfo=UTC)
        return cls(end.astimezone(UTC).replace(microsecond=0), days)

    @property
    def start(self) -> datetime:
        return self.end - timedelta(days=self.days)

    def params(self) -> dict[str, str]:
        return {"date_debut_obs": _instant(self.start), "date_fin_obs": _instant(self.end)}


@dataclass(frozen=True)
class Observation:
    date_obs: str  # ISO 8601, UTC, whole seconds: 2026-11-28T06:00:00Z
    value: Decimal | None  # resultat_obs; None when the API gives null


def observations_url(api_url: str, code: str) -> str:
    """The station's observations endpoint: the resource's URL in the hub's records."""
    return f"{api_url.rstrip('/')}{OBSERVATIONS}?code_entite={quote(code, safe='')}"


def list_datasets(api_url: str, stations: Iterable[FollowedStation], *, days: int = 7) -> Iterator[RemoteDataset]:
    """One dataset per followed station, in the order of the configuration.

    Nothing is fetched to list them (like plain files): the station code is the dataset's
    remote id, and an unknown station fails when its CSV is built, alone.
    """
    for station in stations:
        name = f"{station.label} ({station.code})" if station.label else f"station {station.code}"
        yield RemoteDataset(
            remote_id=station.code,
            title=f"Hauteurs d'eau et débits : {name}",
            description=(
                f"Observations hydrométriques en temps réel de la station {station.code} sur les "
                f"{days} derniers jours (Hub'Eau, API Hydrométrie) : hauteur d'eau (mm) et débit "
                "(m3/s) à chaque instant observé, avec les seuils de vigilance retenus par la commune."
            ),
            tags=("eau", "hydrométrie", "crue"),
            resources=(
                RemoteResource(
                    url=observations_url(api_url, station.code),
                    name=f"hauteurs_eau_{station.code}.csv",
                    format="CSV",
                    remote_id="observations_tr",
                ),
            ),
        )


def station_csv(
    api_url: str,
    station: FollowedStation,
    policy: FetchPolicy,
    *,
    window: Window,
    page_size: int = MAX_SIZE,
    max_pages: int = 1000,
) -> bytes:
    """The station's CSV (`COLUMNS`): one row per observed instant of the window, in time order."""
    root = api_url.rstrip("/")
    referential = station_record(root, station.code, policy)
    values: dict[str, dict[str, Decimal | None]] = {}
    for grandeur in GRANDEURS:
        for observation in observations(
            root, station.code, grandeur, policy, window, page_size=page_size, max_pages=max_pages
        ):
            values.setdefault(observation.date_obs, {})[grandeur] = observation.value
    thresholds = [_number(t) for t in (station.seuil_jaune_mm, station.seuil_orange_mm, station.seuil_rouge_mm)]
    identity = [
        station.code,
        referential.get("libelle_station") or station.label or "",
        referential.get("code_commune_station") or "",
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for instant, measured in sorted(values.items()):
        flow = measured.get("Q")
        height = _number(measured.get("H"))
        writer.writerow([*identity, instant, height, _number(None if flow is None else flow.scaleb(-3)), *thresholds])
    return out.getvalue().encode("utf-8")


def station_record(api_url: str, code: str, policy: FetchPolicy) -> Mapping[str, Any]:
    """The station's entry in the Hub'Eau referential (libelle_station, code_commune_station...)."""
    request = PageRequest(f"{api_url.rstrip('/')}{STATIONS}", {"code_station": code})
    page = hubeau_page(fetch_json(request.url, policy, params=request.params), request.full_url)
    for item in page.items:
        if isinstance(item, dict) and item.get("code_station") == code:
            return item
    where = mask_url(request.full_url)
    raise UnknownStation(f"{where}: station {code} is not in the Hub'Eau referential", url=where)


def observations(
    api_url: str,
    code: str,
    grandeur: str,
    policy: FetchPolicy,
    window: Window,
    *,
    page_size: int = MAX_SIZE,
    max_pages: int = 1000,
) -> Iterator[Observation]:
    """Every observation of one grandeur at one station in the window, page after page."""
    url = f"{api_url.rstrip('/')}{OBSERVATIONS}"
    params = {
        "code_entite": code,
        "grandeur_hydro": grandeur,
        **window.params(),
        "fields": "code_station,grandeur_hydro,date_obs,resultat_obs",
        "sort": "asc",
        "size": min(page_size, MAX_SIZE),
    }
    pager = NextUrlPaginator(url, params, id_of=lambda o: o.date_obs, max_pages=max_pages)

    def get_page(request: PageRequest) -> Page:
        check_same_host(request.url, url)
        page = hubeau_page(fetch_json(request.url, policy, params=request.params or None), request.full_url)
        items = [_observation(item, n, code, grandeur, request.full_url) for n, item in enumerate(page.items)]
        return Page(items=items, next_url=page.next_url, total=page.total)

    yield from paginate(pager, get_page)


def hubeau_page(body: Any, url: str) -> Page:
    """A Hub'Eau v2 answer: `data`, `next` (null on the last page) and `count`."""
    where = mask_url(url)
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise UnexpectedContent(f"{where}: not a Hub'Eau answer (no data list)", url=where)
    following = body.get("next")
    if following is not None and not isinstance(following, str):
        raise UnexpectedContent(f"{where}: not a Hub'Eau answer (next is not a URL)", url=where)
    count = body.get("count")
    return Page(items=body["data"], next_url=following, total=count if isinstance(count, int) else None)


def _observation(item: Any, position: int, code: str, grandeur: str, url: str) -> Observation:
    where = mask_url(url)

    def refuse(reason: str) -> UnexpectedContent:
        return UnexpectedContent(f"{where}: observation {position} {reason}", url=where)

    if not isinstance(item, dict):
        raise refuse("is not an object")
    if item.get("code_station") != code or item.get("grandeur_hydro", grandeur) != grandeur:
        raise refuse(f"is of {item.get('code_station')}/{item.get('grandeur_hydro')}, not of {code}/{grandeur}")
    instant = parse_timestamp(item.get("date_obs"))
    if instant is None:
        raise refuse(f"has no readable date_obs ({item.get('date_obs')!r})")
    result = item.get("resultat_obs")
    if result is None:
        return Observation(_instant(instant), None)
    value = _decimal(result)
    if value is None:
        raise refuse(f"has a resultat_obs that is not a number ({result!r})")
    return Observation(_instant(instant), value)


def _decimal(value: object) -> Decimal | None:
    """A JSON number as an exact decimal; None for anything else (booleans, text, NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = Decimal(repr(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _number(value: Decimal | float | None) -> str:
    """A cell: the number in plain notation without trailing zeros (1200, 15.3), or empty."""
    if value is None:
        return ""
    number = value if isinstance(value, Decimal) else Decimal(repr(value))
    return format(number.normalize(), "f")


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
