"""The Hub'Eau hydrométrie connector against a stand-in speaking the API v2, and its landing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from catalog.committee import Member, Source
from connectors.handoffs.layout import manifest_key
from connectors.http import SourceUnavailable, UnexpectedContent
from connectors.objectstore import ObjectStore, StoredObject
from connectors.pagination import NextUrlPaginator, PaginationError, paginate
from connectors.portals import hubeau
from pipelines.gathering import gather_member
from tests.standins import loopback_policy
from tests.standins.hubeau import HubeauApi, hubeau_observation, hubeau_station
from tests.standins.server import Reply

POLICY = replace(loopback_policy(), retries=0)
AURAY = "J561301001"
PLUVIGNER = "J562302001"
END = datetime(2026, 11, 30, 23, tzinfo=UTC)
WINDOW = hubeau.Window.ending(END, 7)
HEADER = ",".join(hubeau.COLUMNS)


@dataclass(frozen=True)
class Followed:
    code: str
    label: str | None = None
    seuil_jaune_mm: float | None = None
    seuil_orange_mm: float | None = None
    seuil_rouge_mm: float | None = None


def hourly(code: str, grandeur: str, hours: int, value=lambda hour: 800.0 + hour) -> list[dict]:
    """`hours` hourly observations ending at END, oldest first."""
    return [
        hubeau_observation(code, grandeur, (END - timedelta(hours=hours - 1 - h)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                           value(h))
        for h in range(hours)
    ]


STATIONS = [
    hubeau_station(AURAY, "Le Loc'h à Auray", "56007"),
    hubeau_station(PLUVIGNER, "Pluvigner", "56177"),
]


def rows(data: bytes) -> list[str]:
    return data.decode("utf-8").splitlines()


def test_follows_next_to_the_end_for_each_grandeur():
    observations = hourly(AURAY, "H", 169) + hourly(AURAY, "Q", 169, lambda h: 5000.0)
    with HubeauApi(STATIONS, observations) as api:
        data = hubeau.station_csv(api.url, Followed(AURAY), POLICY, window=WINDOW, page_size=50)
    lines = rows(data)
    assert lines[0] == HEADER
    assert len(lines) == 1 + 169  # one row per instant, H and Q on the same row
    paths = api.paths()
    assert paths == [hubeau.STATIONS] + [hubeau.OBSERVATIONS] * 8  # 4 pages of H, 4 of Q
    first_h, *others = [r for r in api.requests if r.path == hubeau.OBSERVATIONS][:4]
    assert (first_h.arg("code_entite"), first_h.arg("grandeur_hydro"), first_h.arg("size")) == (AURAY, "H", "50")
    assert first_h.arg("date_debut_obs") == "2026-11-23T23:00:00Z"
    assert first_h.arg("date_fin_obs") == "2026-11-30T23:00:00Z"
    assert first_h.arg("sort") == "asc" and first_h.arg("cursor") is None
    assert all(r.arg("cursor") for r in others)  # then only the `next` URLs the API gave
    assert lines[1].split(",")[3:6] == ["2026-11-23T23:00:00Z", "800", "5"]
    assert lines[-1].split(",")[3:6] == ["2026-11-30T23:00:00Z", "968", "5"]


def test_pivots_h_and_q_on_date_obs_and_converts_litres_to_cubic_metres():
    observations = [
        hubeau_observation(AURAY, "H", "2026-11-28T06:00:00Z", 1234.0),
        hubeau_observation(AURAY, "H", "2026-11-28T09:00:00+01:00", 1240),  # 08:00 UTC
        hubeau_observation(AURAY, "Q", "2026-11-28T06:00:00Z", 15300.0),
        hubeau_observation(AURAY, "Q", "2026-11-28T08:00:00Z", 1),
        hubeau_observation(AURAY, "Q", "2026-11-28T09:00:00Z", 12.5),
        hubeau_observation(AURAY, "H", "2026-11-28T09:00:00Z", None),  # null result: an empty cell
    ]
    with HubeauApi(STATIONS, observations) as api:
        data = hubeau.station_csv(api.url, Followed(AURAY), POLICY, window=WINDOW)
    assert rows(data) == [
        HEADER,
        "J561301001,Le Loc'h à Auray,56007,2026-11-28T06:00:00Z,1234,15.3,,,",
        "J561301001,Le Loc'h à Auray,56007,2026-11-28T08:00:00Z,1240,0.001,,,",
        "J561301001,Le Loc'h à Auray,56007,2026-11-28T09:00:00Z,,0.0125,,,",
    ]


def test_repeats_the_declared_thresholds_on_every_row():
    station = Followed(AURAY, "Le Loc'h", seuil_jaune_mm=1200.0, seuil_orange_mm=1600.5)
    with HubeauApi(STATIONS, hourly(AURAY, "H", 5)) as api:
        data = hubeau.station_csv(api.url, station, POLICY, window=WINDOW)
    thresholds = {tuple(line.split(",")[-3:]) for line in rows(data)[1:]}
    assert thresholds == {("1200", "1600.5", "")}  # red not declared: empty


def test_the_same_window_gives_the_same_bytes_and_a_later_one_more_rows():
    observations = hourly(AURAY, "H", 400) + hourly(AURAY, "Q", 400, lambda h: 4000.0 + h)
    with HubeauApi(STATIONS, observations) as api:
        first = hubeau.station_csv(api.url, Followed(AURAY), POLICY, window=WINDOW, page_size=100)
        again = hubeau.station_csv(api.url, Followed(AURAY), POLICY, window=WINDOW, page_size=37)
        longer = hubeau.station_csv(api.url, Followed(AURAY), POLICY, window=hubeau.Window.ending(END, 14))
    assert first == again
    assert len(rows(longer)) == 1 + 337 and longer != first


def test_a_page_without_data_is_a_typed_error_naming_its_url():
    broken = Reply.json({"count": 169, "first": None, "prev": None, "next": None, "api_version": "1.0.1"}, 206)
    with HubeauApi(STATIONS, hourly(AURAY, "H", 169), replace_pages={2: broken}) as api:
        with pytest.raises(UnexpectedContent) as caught:
            hubeau.station_csv(api.url, Followed(AURAY), POLICY, window=WINDOW, page_size=100)
    assert "no data list" in str(caught.value)
    assert caught.value.url.startswith(f"{api.url}{hubeau.OBSERVATIONS}?") and "cursor=" in caught.value.url
    assert caught.value.url in str(caught.value)


@pytest.mark.parametrize(
    ("reply", "error", "says"),
    [
        (Reply(status=200, body=b"<html>maintenance</html>", content_type="text/html"), UnexpectedContent, "JSON"),
        (Reply(status=200, body=b'{"data": [', content_type="application/json"), UnexpectedContent, "not JSON"),
        (Reply.json({"code": 500, "message": "erreur"}, status=500), SourceUnavailable, "HTTP 500"),
        (Reply.json({"data": [{"code_station": AURAY, "grandeur_hydro": "H", "date_obs": "hier",
                               "resultat_obs": 1.0}], "next": None}), UnexpectedContent, "date_obs"),
        (Reply.json({"data": [{"code_station": AURAY, "grandeur_hydro": "H", "date_obs": "2026-11-30T00:00:00Z",
                               "resultat_obs": "haut"}], "next": None}), UnexpectedContent, "not a number"),
        (Reply.json({"data": [{"code_station": PLUVIGNER, "grandeur_hydro": "H", "date_obs": "2026-11-30T00:00:00Z",
                               "resultat_obs": 1.0}], "next": None}), UnexpectedContent, PLUVIGNER),
    ],
)
def test_bad_answers_raise_typed_errors_naming_the_url(reply, error, says):
    with HubeauApi(STATIONS, [], replace_pages={1: reply}) as api:
        with pytest.raises(error) as caught:
            hubeau.station_csv(api.url, Followed(AURAY), POLICY, window=WINDOW)
    assert says in str(caught.value)
    assert f"{api.url}{hubeau.OBSERVATIONS}" in str(caught.value)


def test_an_unknown_station_is_a_typed_error_naming_the_referential_url():
    with HubeauApi(STATIONS, []) as api:
        with pytest.raises(hubeau.UnknownStation) as caught:
            hubeau.station_csv(api.url, Followed("J999999999"), POLICY, window=WINDOW)
    assert f"{api.url}{hubeau.STATIONS}?code_station=J999999999" in str(caught.value)


def test_paginator_fed_fake_pages_follows_next_and_stops_a_loop():
    url = "https://hubeau.eaufrance.fr" + hubeau.OBSERVATIONS
    second = f"{url}?code_entite={AURAY}&cursor=Mg"
    pages = {
        f"{url}?code_entite={AURAY}": {"count": 3, "next": second, "data": [{"date_obs": "a"}, {"date_obs": "b"}]},
        second: {"count": 3, "next": None, "data": [{"date_obs": "c"}]},
    }

    def get_page(request):
        return hubeau.hubeau_page(pages[request.full_url], request.full_url)

    pager = NextUrlPaginator(url, {"code_entite": AURAY}, id_of=lambda o: o["date_obs"])
    assert [o["date_obs"] for o in paginate(pager, get_page)] == ["a", "b", "c"]

    pages[second] = {"count": 3, "next": second, "data": [{"date_obs": "c"}]}  # next points at itself
    with pytest.raises(PaginationError, match="next-page loop"):
        list(paginate(NextUrlPaginator(url, {"code_entite": AURAY}, id_of=lambda o: o["date_obs"]), get_page))


def test_lists_one_dataset_per_station_without_fetching():
    stations = [Followed(AURAY, "Le Loc'h à Auray"), Followed(PLUVIGNER)]
    listed = list(hubeau.list_datasets("https://hubeau.eaufrance.fr/", stations, days=5))
    assert [d.remote_id for d in listed] == [AURAY, PLUVIGNER]
    assert listed[0].title == "Hauteurs d'eau et débits : Le Loc'h à Auray (J561301001)"
    assert "5 derniers jours" in listed[1].description
    [resource] = listed[0].resources
    assert (resource.format, resource.url) == (
        "CSV",
        f"https://hubeau.eaufrance.fr{hubeau.OBSERVATIONS}?code_entite={AURAY}",
    )


# --- The committee's hubeau sources -------------------------------------------------------


def hubeau_source(**fields) -> dict:
    return {"type": "hubeau", "url": "https://hubeau.eaufrance.fr", "stations": [{"code": AURAY}], **fields}


def test_committee_reads_a_hubeau_source():
    source = Source.model_validate(
        hubeau_source(
            window_end="2026-11-30T23:00:00",
            days=3,
            stations=[{"code": AURAY, "label": "Le Loc'h", "seuil_jaune_mm": 1200, "seuil_rouge_mm": 2000}],
        )
    )
    assert source.window_end == END and source.days == 3
    assert source.stations[0].seuil_orange_mm is None and source.stations[0].seuil_rouge_mm == 2000


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"stations": [{"code": "J56130100"}]}, "not a Hub'Eau station code"),
        ({"stations": [{"code": "j561301001"}]}, "not a Hub'Eau station code"),
        ({"stations": [{"code": AURAY, "seuil_jaune_mm": 1600, "seuil_orange_mm": 1200}]},
         "seuil_orange_mm (1200) must be above seuil_jaune_mm (1600)"),
        ({"stations": [{"code": AURAY, "seuil_jaune_mm": 1600, "seuil_rouge_mm": 1600}]}, "must be above"),
        ({"stations": []}, "needs `stations`"),
        ({"stations": [{"code": AURAY}, {"code": AURAY}]}, "listed twice"),
        ({"url": None}, "needs `url`"),
        ({"days": 31}, "less than or equal to 30"),
        ({"days": 0}, "greater than or equal to 1"),
    ],
)
def test_committee_refuses_bad_hubeau_sources(fields, says):
    with pytest.raises(ValidationError) as caught:
        Source.model_validate(hubeau_source(**fields))
    assert says in str(caught.value)


# --- Gathering: the built CSV is landed like a fetched file ------------------------------


class MemoryStore(ObjectStore):
    """The few calls of a bucket that gathering makes, in memory."""

    def __init__(self) -> None:
        self.bucket = "hub"
        self.objects: dict[str, bytes] = {}

    def exists(self, key: str) -> bool:
        return key in self.objects

    def put_bytes(self, key, data, content_type="application/octet-stream", metadata=None) -> StoredObject:
        self.objects[key] = data
        return StoredObject(key=key, size=len(data), etag="")

    def get_bytes(self, key: str) -> bytes:
        return self.objects[key]

    def list(self, prefix: str):
        return iter(())


def member(url: str, *codes: str) -> Member:
    return Member.model_validate(
        {
            "slug": "auray",
            "name": "Auray",
            "kind": "commune",
            "insee": "56007",
            "siren": "215600073",
            "contact": "donnees@auray.example.fr",
            "sources": [
                {
                    "type": "hubeau",
                    "url": url,
                    "allow_private_network": True,
                    "window_end": END.isoformat(),
                    "stations": [{"code": code, "seuil_jaune_mm": 1200} for code in codes],
                }
            ],
        }
    )


def test_gathering_lands_each_station_once_then_finds_it_unchanged():
    store = MemoryStore()
    observations = hourly(AURAY, "H", 200) + hourly(PLUVIGNER, "H", 200)
    with HubeauApi(STATIONS, observations) as api:
        first = gather_member(store, member(api.url, AURAY, PLUVIGNER), workers=2)
        raw = {k for k in store.objects if k.endswith(".csv")}
        second = gather_member(store, member(api.url, AURAY, PLUVIGNER), END + timedelta(hours=1), workers=2)
    assert (first.datasets, first.landed, first.unchanged, first.failures) == (2, 2, 0, [])
    assert (second.landed, second.unchanged, second.failures) == (0, 2, [])
    assert {k for k in store.objects if k.endswith(".csv")} == raw and len(raw) == 2
    manifest = store.get_json(manifest_key("auray"))
    landing = manifest["datasets"]["auray-j561301001"]["resources"]
    [record] = landing.values()
    assert record["key"].startswith("raw/auray/") and record["key"] in raw
    assert record["detected_by"] == "same-sha256" and record["changed"] is False
    assert store.objects[record["key"]].startswith(HEADER.encode())


def test_gathering_records_a_failing_station_and_lands_the_others():
    store = MemoryStore()
    with HubeauApi(STATIONS, hourly(PLUVIGNER, "H", 10)) as api:
        report = gather_member(store, member(api.url, "J999999999", PLUVIGNER), workers=1)
    assert (report.datasets, report.landed) == (2, 1)
    [failure] = report.failures
    assert failure.what == "resource" and failure.dataset == "auray-j999999999"
    assert "is not in the Hub'Eau referential" in failure.why and api.url in failure.why
    manifest = store.get_json(manifest_key("auray"))
    assert manifest["datasets"]["auray-j999999999"]["errors"][0]["why"] == failure.why
    assert manifest["datasets"]["auray-j562302001"]["resources"]
