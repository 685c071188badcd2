"""The French custom checks of SCDL schemas (Validata's `custom_checks`)."""

from __future__ import annotations

import polars as pl
import pytest
from stdnum.fr import siret as stdnum_siret

from catalog.validation import load_schema, validate
from tests.conftest import SAMPLES


def with_checks(fields: list[dict], *checks: dict):
    return load_schema({"name": "essai", "fields": fields, "custom_checks": list(checks)})


def failures(frame: pl.DataFrame, schema) -> list[tuple]:
    return validate(frame, schema).errors.select("row", "column", "rule").rows()


# A La Poste establishment: SIREN 356000000, digit sum 45 (a multiple of 5), Luhn fails.
LA_POSTE_OFFICE = "35600000049837"


def test_la_poste_sirets_follow_their_own_rule():
    assert stdnum_siret.is_valid(LA_POSTE_OFFICE)
    schema = with_checks([{"name": "siret"}], {"name": "french-siret-value", "params": {"column": "siret"}})
    frame = pl.DataFrame(
        {
            "siret": [
                "21560046100010",  # commune of Crach: Luhn
                "35600000000048",  # La Poste head office: Luhn
                LA_POSTE_OFFICE,
                "35600000049838",  # digit sum 46
                "12000123400023",  # Luhn fails
                "2156004610001",  # 13 digits
                "2156004610001A",
                "215 600 461 00010",  # separators are tolerated, as python-stdnum does
                None,
            ]
        }
    )
    errors = validate(frame, schema).errors
    assert errors["row"].to_list() == [4, 5, 6, 7, 9]
    assert errors["rule"].to_list() == ["french-siret-value"] * 4 + ["blank-row"]


def test_siret_messages_name_the_field_as_the_producer_knows_it():
    schema = load_schema(SAMPLES / "scdl_subventions_schema_v2.1.1.json")
    frame = pl.DataFrame({name: ["x"] for name in schema.field_names}).with_columns(
        idAttribuant=pl.lit("12000123400023"), idBeneficiaire=pl.lit("13579246800043")
    )
    errors = validate(frame, schema).errors.filter(pl.col("rule") == "french-siret-value")
    assert errors["message"].str.extract(r"^(.*?) :", 1).to_list() == [
        "SIRET de l'attribuant invalide",
        "SIRET du bénéficiaire invalide",
    ]
    assert errors["message"][1].endswith("vérifier le numéro sur annuaire-entreprises.data.gouv.fr")


def test_siren_values_are_checked_with_luhn():
    schema = with_checks([{"name": "siren"}], {"name": "french-siren-value", "params": {"column": "siren"}})
    frame = pl.DataFrame({"siren": ["215600461", "356000000", "215600462", "21560046"]})
    assert failures(frame, schema) == [(3, "siren", "french-siren-value"), (4, "siren", "french-siren-value")]


def test_one_of_required_needs_one_of_two_columns_filled():
    fields = [{"name": "idBeneficiaire"}, {"name": "rnaBeneficiaire"}]
    check = {"name": "one-of-required", "params": {"column1": "idBeneficiaire", "column2": "rnaBeneficiaire"}}
    frame = pl.DataFrame(
        {"idBeneficiaire": ["21560046100010", None, None], "rnaBeneficiaire": [None, "W123456789", None]}
    )
    result = validate(frame.with_columns(x=pl.lit("filled")), with_checks([*fields, {"name": "x"}], check))
    assert result.errors.select("row", "rule").rows() == [(3, "one-of-required")]
    assert "« idBeneficiaire » ou « rnaBeneficiaire » doit être renseignée" in result.errors["message"][0]
    only_rna = validate(
        frame.select("rnaBeneficiaire", x=pl.lit("filled")), with_checks([*fields, {"name": "x"}], check)
    )
    assert only_rna.errors.select("row", "rule").rows() == [(1, "one-of-required"), (3, "one-of-required")]
    neither = validate(pl.DataFrame({"autre": ["a"]}), with_checks([*fields, {"name": "autre"}], check))
    assert ("idBeneficiaire, rnaBeneficiaire", "one-of-required") in neither.errors.select("column", "rule").rows()


DELIBERATIONS = SAMPLES / "scdl_deliberations_schema_v2.1.5.json"


def deliberations(**columns: list) -> pl.DataFrame:
    """A conformant délibérations frame of as many rows as the columns given, overridden by them."""
    rows = len(next(iter(columns.values())))
    base = {
        "COLL_NOM": "Ville de Poitiers",
        "COLL_SIRET": "21860194600013",
        "DELIB_ID": "1DL15494",
        "DELIB_DATE": "2017-10-15",
        "DELIB_MATIERE_CODE": "8.4",
        "DELIB_MATIERE_NOM": "Domaines de compétences par thèmes/Aménagement du territoire",
        "DELIB_OBJET": "Adhésion à l'association nationale des élus de la montagne",
        "BUDGET_ANNEE": None,
        "BUDGET_NOM": None,
        "PREF_ID": "PREF038",
        "PREF_DATE": "2017-10-20",
        "VOTE_EFFECTIF": "43",
        "VOTE_REEL": "40",
        "VOTE_POUR": "25",
        "VOTE_CONTRE": "10",
        "VOTE_ABSTENTION": "5",
        "DELIB_URL": "https://data.maville.fr/deliberations/files/200417_1.pdf",
    }
    frame = pl.DataFrame({name: [value] * rows for name, value in base.items()}, schema=dict.fromkeys(base, pl.String))
    return frame.with_columns(pl.Series(name, values, dtype=pl.String) for name, values in columns.items())


def test_a_conformant_deliberations_frame_passes_every_declared_check():
    result = validate(deliberations(COLL_NOM=["Ville de Poitiers"]), load_schema(DELIBERATIONS))
    assert result.valid, result.errors.rows()
    assert result.notes == ()


def test_compare_columns_dates_and_counts():
    frame = deliberations(
        PREF_DATE=["2017-10-14", "2017-10-15", None],
        VOTE_POUR=["25", "41", "25"],
        VOTE_CONTRE=["10", "0", "10"],
        VOTE_ABSTENTION=["5", "0", "5"],
    )
    result = validate(frame, load_schema(DELIBERATIONS))
    assert result.errors.select("row", "column", "rule").rows() == [
        (1, "PREF_DATE", "compare-columns-value"),
        (2, "VOTE_REEL", "compare-columns-value"),
        (2, "VOTE_REEL", "sum-columns-value"),
    ]
    assert result.errors["message"][0] == (
        "Date d'enregistrement de la délibération auprès du contrôle de légalité (2017-10-14) "
        "doit être supérieure ou égale à Date d'adoption de la délibération (2017-10-15)"
    )


def test_cohesive_columns_and_year_intervals():
    frame = deliberations(
        BUDGET_ANNEE=["2017", "2017/2018", "2018/2017", "2017/2017", "17", "2019", None],
        BUDGET_NOM=["Budget principal"] * 5 + [None, "Budget annexe"],
    )
    result = validate(frame, load_schema(DELIBERATIONS))
    assert result.errors.select("row", "rule").rows() == [
        (3, "year-interval-value"),
        (4, "year-interval-value"),
        (5, "pattern"),
        (5, "year-interval-value"),
        (6, "cohesive-columns-value"),
        (7, "cohesive-columns-value"),
    ]


def test_actes_nomenclature_matters_ignore_case_and_accents_but_not_spaces():
    frame = deliberations(
        DELIB_MATIERE_NOM=[
            "Finances locales/Subventions",
            "FINANCES LOCALES/Subventions",
            "Libertes publiques et pouvoirs de police/Police",
            "Finances locales / Subventions",
            "Voirie/Entretien",
            "Finances locales",
        ]
    )
    result = validate(frame, load_schema(DELIBERATIONS))
    assert result.errors.select("row", "rule").rows() == [(r, "nomenclature-actes-value") for r in (4, 5, 6)]


@pytest.mark.parametrize("code", ["01001", "2A004", "2B033", "97411", "75056"])
def test_insee_commune_codes_of_every_shape_pass(code: str):
    schema = with_checks([{"name": "insee"}], {"name": "code-commune-insee", "params": {"column": "insee"}})
    assert validate(pl.DataFrame({"insee": [code]}), schema).valid


@pytest.mark.parametrize("code", ["1001", "20004", "00123", "2C004", "99123", "2a004", "010011"])
def test_insee_commune_codes_of_no_known_shape_fail(code: str):
    schema = with_checks([{"name": "insee"}], {"name": "code-commune-insee", "params": {"column": "insee"}})
    result = validate(pl.DataFrame({"insee": [code]}), schema)
    assert result.errors.select("rule", "value").rows() == [("code-commune-insee", code)]


def test_an_unknown_custom_check_is_noted_not_silently_passed():
    schema = with_checks([{"name": "tel"}], {"name": "phone-number-value", "params": {"column": "tel"}})
    result = validate(pl.DataFrame({"tel": ["n'importe quoi"]}), schema)
    assert result.valid
    assert result.notes == ("Contrôle « phone-number-value » non pris en charge : non vérifié",)


def test_checks_on_absent_columns_are_skipped():
    schema = with_checks(
        [{"name": "a"}, {"name": "siret"}],
        {"name": "french-siret-value", "params": {"column": "siret"}},
        {"name": "compare-columns-value", "params": {"column": "a", "op": ">", "column2": "siret"}},
    )
    assert validate(pl.DataFrame({"a": ["1"]}), schema).valid
