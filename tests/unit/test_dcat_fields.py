"""The DCAT-AP fields the hub fills in its dataset dicts (docs/dcat-ap.md): the period a
table covers, EU frequencies, schema IRIs, communes' places, and a member's dataset."""

from datetime import date, datetime

import polars as pl
import pytest
from pydantic import ValidationError

from catalog.committee import Committee, load_committee
from catalog.communes import spatial_coverage
from catalog.packages import Rendering, StagedFile, committee_coverage, member_dataset
from catalog.packs import load_pack, pack_folder
from catalog.temporal import temporal_coverage
from catalog.vocabularies import EU_FREQUENCY, FRENCH, frequency_iri, schema_iri
from tests.conftest import PROJECT_DIR

DEMO = load_committee(PROJECT_DIR / "demo" / "committee.yaml")


def test_the_period_is_read_from_date_then_year_columns():
    months = pl.LazyFrame({"mois": [date(2024, 1, 1), date(2025, 12, 1), None], "volume": [1, 2, 3]})
    assert temporal_coverage(months) == {"start": "2024-01-01", "end": "2025-12-01"}
    # Datetimes in UTC count by their day; a placeholder far in the future does not stretch the period.
    observed = pl.LazyFrame({"date_obs": [datetime(2026, 11, 23, 5), datetime(2026, 11, 30, 23)],
                             "fin": [date(9999, 12, 31), date(2026, 11, 30)]}).with_columns(
        pl.col("date_obs").dt.replace_time_zone("UTC"))
    assert temporal_coverage(observed) == {"start": "2026-11-23", "end": "2026-11-30"}
    # SCDL budgets have a year, not a date: the whole exercise.
    budget = pl.LazyFrame({"BGT_ANNEE": [2024, 2024], "BGT_MTREAL": [1.5, 2.0]})
    assert temporal_coverage(budget) == {"start": "2024-01-01", "end": "2024-12-31"}
    assert temporal_coverage(pl.LazyFrame({"annee_bilan": [2019, 2020]})) == {"start": "2019-01-01",
                                                                              "end": "2020-12-31"}


def test_no_period_without_dates_or_years():
    assert temporal_coverage(pl.LazyFrame({"nb_places": [325], "annees_de_service": [12]})) is None
    assert temporal_coverage(pl.LazyFrame({"mois": [None]}, schema={"mois": pl.Date})) is None
    assert temporal_coverage(pl.LazyFrame({"annee": [1200, 3000]})) is None  # not years of data


def test_frequencies_as_portals_write_them():
    assert frequency_iri("monthly") == EU_FREQUENCY + "MONTHLY"
    assert frequency_iri("Mensuelle") == EU_FREQUENCY + "MONTHLY"
    assert frequency_iri("temps réel") == EU_FREQUENCY + "CONT"
    assert frequency_iri("annual") == frequency_iri("ANNUAL") == EU_FREQUENCY + "ANNUAL"
    assert frequency_iri(EU_FREQUENCY + "DAILY") == EU_FREQUENCY + "DAILY"
    assert frequency_iri("http://example.org/frequency/weekly") == EU_FREQUENCY + "WEEKLY"
    assert frequency_iri("quand on peut") is None and frequency_iri("") is None and frequency_iri(None) is None


def test_a_schema_is_named_by_its_url_else_its_reference_else_a_urn():
    scdl = {"path": "https://gitlab.com/opendatafrance/scdl/budget/raw/v0.8.3/schema.json"}
    assert schema_iri(scdl, "budget", "0.8.3") == scdl["path"]
    own = {"homepage": "https://www.services.eaufrance.fr/indicateurs", "path": "schema.json"}
    assert schema_iri(own, "eau-potable", "1.0.0") == "https://www.services.eaufrance.fr/indicateurs"
    assert schema_iri({}, "mon schéma", "1.0") == "urn:x-territorial-data-hub:schema:mon-sch-ma:1.0"


def test_a_commune_is_its_cog_uri_with_its_box_and_centre():
    auray = spatial_coverage("56007", "Auray")
    assert auray["uri"] == "http://id.insee.fr/geo/commune/56007" and auray["text"] == "Auray (56007)"
    assert auray["bbox"].startswith("POLYGON((-3.01707 47.65515, ")
    assert auray["centroid"] == "POINT(-2.99054 47.66743)"
    # Inside its own box.
    lon, lat = map(float, auray["centroid"][6:-1].split())
    assert -3.01707 < lon < -2.96342 and 47.65515 < lat < 47.68158
    # A code the 2018 table lacks keeps its URI and name, without a box.
    assert spatial_coverage("56999", "Nouvelle") == {"uri": "http://id.insee.fr/geo/commune/56999",
                                                    "text": "Nouvelle (56999)"}


def staged(report: dict) -> StagedFile:
    return StagedFile(slug="r1", report={"name": "f.csv", **report}, csv=Rendering.of(b"a\n1\n"),
                      parquet=Rendering.of(b"PAR1"))


def test_a_members_dataset_carries_its_dcat_ap_fields():
    crach = DEMO.member("crach")
    entry = {"remote": {"title": "Volumes", "remote_id": "volumes-eau", "frequency": None}}
    validation = {"schema": "eau", "version": "1.0.0", "valid": True, "errors": 0,
                  "conforms_to": "https://www.services.eaufrance.fr/indicateurs"}
    fields = member_dataset(crach, "crach-volumes-eau", entry,
                            [staged({"temporal": {"start": "2024-01-01", "end": "2025-12-01"},
                                     "validation": validation})], "ENVI", "MONTHLY").fields
    # The hub's name, not the member's id: Quiberon's inbox has a `volumes-eau` too.
    assert fields["identifier"] == "crach-volumes-eau"
    assert fields["publisher"][0]["uri"] == "https://annuaire-entreprises.data.gouv.fr/entreprise/215600461"
    assert fields["publisher"][0]["identifier"] == "215600461"
    assert fields["spatial_coverage"][0]["uri"] == "http://id.insee.fr/geo/commune/56046"
    assert fields["temporal_coverage"] == [{"start": "2024-01-01", "end": "2025-12-01"}]
    assert fields["frequency"] == EU_FREQUENCY + "MONTHLY" and fields["language"] == [FRENCH]
    assert fields["conforms_to"] == ["https://www.services.eaufrance.fr/indicateurs"]
    assert fields["theme"] == ["http://publications.europa.eu/resource/authority/data-theme/ENVI"]


def test_without_dates_a_file_is_dated_by_its_source_and_the_source_frequency_wins():
    carnac = DEMO.member("carnac")
    entry = {"remote": {"title": "Parkings", "remote_id": "p", "modified": "2026-01-05 08:00:00+00:00",
                        "frequency": "quotidien"}}
    fields = member_dataset(carnac, "carnac-parkings", entry, [staged({"temporal": None})], None, "ANNUAL").fields
    assert fields["temporal_coverage"] == [{"start": "2026-01-05", "end": "2026-01-05"}]
    assert fields["frequency"] == EU_FREQUENCY + "DAILY"
    nothing = member_dataset(carnac, "carnac-x", {"remote": {"title": "X", "remote_id": "x"}}, [staged({})]).fields
    assert "temporal_coverage" not in nothing and nothing["frequency"] == EU_FREQUENCY + "UNKNOWN"


def test_the_committees_datasets_are_published_by_the_committee_over_its_communes():
    fields = committee_coverage(DEMO, "MONTHLY", ["auray", "crach"])
    assert fields["publisher"][0]["uri"].endswith("/200043123")
    assert [place["uri"][-5:] for place in fields["spatial_coverage"]] == ["56007", "56046"]
    without_siren = Committee.model_validate({**DEMO.model_dump(by_alias=True, exclude={"governance"}),
                                              "siren": None})
    assert "uri" not in committee_coverage(without_siren, None)["publisher"][0]


def test_a_wrong_siren_or_frequency_is_refused_by_name():
    with pytest.raises(ValidationError, match="'123' is not a valid SIREN"):
        Committee.model_validate({**DEMO.model_dump(by_alias=True, exclude={"governance"}), "siren": "123"})
    pack = load_pack(pack_folder("budget", PROJECT_DIR))
    with pytest.raises(ValidationError, match="'parfois' is not an update frequency"):
        type(pack).model_validate({**pack.model_dump(by_alias=True), "frequency": "parfois"})
