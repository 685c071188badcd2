"""Validation verdicts on the real sample files against their schemas."""

from __future__ import annotations

import polars as pl

from catalog.validation import load_schema, validate
from tests.conftest import SAMPLES

SUBVENTIONS_SCHEMA = SAMPLES / "scdl_subventions_schema_v2.1.1.json"
# The DILCRAH file's human headers, in order, as the SCDL field names they stand for.
DILCRAH_FIELDS = [
    "nomAttribuant",
    "idAttribuant",
    "dateConvention",
    "referenceDecision",
    "nomBeneficiaire",
    "idBeneficiaire",
    "objet",
    "montant",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "idRAE",
    "notificationUE",
    "pourcentageSubvention",
]


def read(name: str, separator: str = ",", **options) -> pl.DataFrame:
    return pl.read_csv(SAMPLES / name, separator=separator, **options)


def test_stationnement_example_is_valid_read_as_text_or_typed():
    schema = load_schema(SAMPLES / "stationnement_schema.json")
    as_text = read("stationnement_exemple-valide.csv", infer_schema=False)
    typed = read("stationnement_exemple-valide.csv")
    assert typed.schema["gratuit"] == pl.Boolean and typed.schema["Xlong"] == pl.Float64
    for frame in (as_text, typed):
        result = validate(frame, schema)
        assert result.valid, result.errors.rows()
        assert result.summary() == {"schema": "stationnement_schema", "version": "0.1.5", "valid": True, "errors": 0,
                                        "conforms_to": "https://github.com/etalab/schema-stationnement/raw/v0.1.5/schema.json"}


def test_dilcrah_subventions_header_is_non_conformant_with_french_messages():
    frame = read("subventions_DILCRAH_2019_nonconforme.csv", separator=";", infer_schema=False)
    result = validate(frame, load_schema(SUBVENTIONS_SCHEMA))
    assert not result.valid
    rules = result.errors.group_by("rule").len().sort("rule").rows()
    # 11 required fields absent, its 14 human headers unknown, neither SIRET nor RNA column.
    assert rules == [("extra-column", 14), ("missing-column", 11), ("one-of-required", 1)]
    assert result.errors["row"].null_count() == result.error_count
    messages = result.errors["message"].to_list()
    assert (
        "Colonne obligatoire « montant » (Montant total de la subvention) absente du fichier : "
        "à ajouter pour respecter le schéma subventions"
    ) in messages
    assert (
        "Colonne «  Aide notifiée Ã\xa0 l'Europe  » non prévue par le schéma subventions : "
        "à retirer ou à renommer selon le schéma"
    ) in messages


def test_dilcrah_rows_with_schema_headers_still_fail_on_every_siret():
    frame = read("subventions_DILCRAH_2019_nonconforme.csv", separator=";", infer_schema=False)
    frame.columns = DILCRAH_FIELDS
    result = validate(frame, load_schema(SUBVENTIONS_SCHEMA))
    assert result.errors.select("row", "column", "value").rows() == [
        (1, "idAttribuant", "12000123400023"),
        (1, "idBeneficiaire", "13579246800043"),
        (2, "idAttribuant", "12000123400023"),
        (2, "idBeneficiaire", "11223344500034"),
        (3, "idAttribuant", "12000123400023"),
        (3, "idBeneficiaire", "98876554100014"),
        (4, "idAttribuant", "12000123400023"),
        (4, "idBeneficiaire", "74185296300016"),
    ]
    assert set(result.errors["message"].str.extract(r"^(.*?) :", 1)) == {
        "SIRET de l'attribuant invalide",
        "SIRET du bénéficiaire invalide",
    }
    assert result.summary() == {"schema": "subventions", "version": "2.1.1", "valid": False, "errors": 8,
                                "conforms_to": "https://gitlab.com/opendatafrance/scdl/subventions/raw/v2.1.1/schema.json"}


def test_crach_budget_fails_on_case_of_its_budget_step_and_on_blank_required_cells():
    schema = load_schema(SAMPLES / "scdl_budget_schema_v0.8.3.json")
    frame = read("scdl_budget_crach_CA2021.csv", infer_schema=False)
    result = validate(frame, schema)
    assert frame.height == 196
    counts = result.errors.group_by("column", "rule").len().sort("column").rows()
    assert counts == [
        ("BGT_CONTNAT", "required", 49),
        ("BGT_CONTNAT_LABEL", "required", 49),
        ("BGT_NATDEC", "enum", 196),
        ("BGT_SECTION", "required", 49),
    ]
    # The schema spells the step in lower case: 'compte administratif'.
    assert result.errors.filter(rule="enum")["value"].unique().to_list() == ["Compte administratif"]
    assert result.summary() == {"schema": "budget", "version": "0.8.3", "valid": False, "errors": 343,
                                "conforms_to": "https://gitlab.com/opendatafrance/scdl/budget/raw/v0.8.3/schema.json"}


def test_canteen_teledeclarations_conform_to_their_schema_read_as_text_or_typed():
    schema = load_schema(SAMPLES / "cantines_teledeclarations_schema.json")
    as_text = read("cantines_teledeclarations_2021.csv", infer_schema=False)
    typed = read("cantines_teledeclarations_2021.csv", infer_schema_length=None)
    assert typed.schema["id"] == pl.Int64 and typed.schema["teledeclaration_ratio_bio"] == pl.Float64
    assert as_text.height == 3089
    for frame in (as_text, typed):
        result = validate(frame, schema)
        assert result.valid, result.errors.head().rows()


def test_canteen_teledeclarations_with_a_broken_ratio_and_year_point_at_the_rows():
    schema = load_schema(SAMPLES / "cantines_teledeclarations_schema.json")
    frame = read("cantines_teledeclarations_2021.csv", infer_schema=False)
    broken = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 99)
        .then(pl.lit("15,19%"))
        .otherwise(pl.col("teledeclaration_ratio_bio"))
        .alias("teledeclaration_ratio_bio"),
        pl.when(pl.int_range(pl.len()) == 2000).then(pl.lit("2021.0")).otherwise(pl.col("year")).alias("year"),
    )
    result = validate(broken, schema)
    assert result.errors.select("row", "column", "rule", "value").rows() == [
        (100, "teledeclaration_ratio_bio", "type", "15,19%"),
        (2001, "year", "type", "2021.0"),
    ]
