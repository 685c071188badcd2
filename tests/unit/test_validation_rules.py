"""Each rule of the validator on small frames: what fails, on which row, with which message."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from catalog.validation import SchemaError, load_schema, validate


def schema_of(*fields: dict, **extra) -> object:
    return load_schema({"name": "essai", "version": "1.0", "fields": list(fields), **extra})


def failures(frame: pl.DataFrame, schema) -> list[tuple]:
    return validate(frame, schema).errors.select("row", "column", "rule").rows()


def test_a_conformant_frame_is_valid_and_its_summary_names_schema_and_version():
    schema = schema_of({"name": "a", "type": "integer", "constraints": {"required": True}})
    result = validate(pl.DataFrame({"a": ["1", "2"]}), schema)
    assert result.valid and result.error_count == 0
    assert result.errors.schema == pl.Schema(
        {"row": pl.Int64, "column": pl.String, "value": pl.String, "rule": pl.String, "message": pl.String}
    )
    # Not published anywhere: a URN names it (catalog.vocabularies.schema_iri).
    assert result.summary() == {"schema": "essai", "version": "1.0", "valid": True, "errors": 0,
                                "conforms_to": "urn:x-territorial-data-hub:schema:essai:1.0"}


def test_rows_are_numbered_from_one_after_the_header():
    schema = schema_of({"name": "a", "type": "integer"})
    result = validate(pl.DataFrame({"a": ["1", "x", "3", "y"]}), schema)
    assert result.errors["row"].to_list() == [2, 4]
    assert result.errors["value"].to_list() == ["x", "y"]
    assert result.summary()["errors"] == 2 and not result.summary()["valid"]


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ({"type": "integer"}, ["1", "-5", "+6", " 7 "], ["1.5", "1 000", "abc", "4.0"]),
        ({"type": "number"}, ["1.5", "-2", "1e3", ".5", "NaN"], ["1,5", "12 €", "abc"]),
        ({"type": "number", "decimalChar": ","}, ["1,5", "-2"], ["1.5"]),
        ({"type": "number", "bareNumber": False}, ["12 €", "95%"], ["douze"]),
        ({"type": "boolean"}, ["true", "FALSE", "1", "0"], ["oui", "yes", "vrai"]),
        ({"type": "boolean", "trueValues": ["oui"], "falseValues": ["non"]}, ["oui", "non"], ["Non"]),
        ({"type": "date"}, ["2019-05-10", "2019-5-1"], ["10/05/2019", "2019-02-30", " 2019-05-10"]),
        ({"type": "date", "format": "%d/%m/%Y"}, ["10/05/2019"], ["2019-05-10", "31/02/2019"]),
        (
            {"type": "datetime"},
            ["2022-07-19T09:13:33", "2022-07-19T09:13:33.643000+02:00", "2022-07-19T09:13:33Z"],
            ["2022-07-19", "19/07/2022 09:13", "2022-13-19T09:13:33"],
        ),
        ({"type": "year"}, ["2021", "0999"], ["21", "2021.0", "an 2021"]),
        ({"type": "time"}, ["09:13:33"], ["9h13", "25:00:00"]),
        ({"type": "yearmonth"}, ["2021-03"], ["2021-13", "03/2021"]),
        ({"type": "geopoint"}, ["1.45, 46.59", "-180,90"], ["46.59", "200, 10", "a, b"]),
        ({"type": "geopoint", "format": "array"}, ["[1.45, 46.59]"], ["1.45, 46.59"]),
        ({"type": "string", "format": "email"}, ["mairie@crach.fr"], ["mairie.crach.fr", "a@b"]),
        ({"type": "string", "format": "uri"}, ["https://www.exemple.fr/a"], ["www.exemple.fr", "a b"]),
    ],
)
def test_types_and_formats_accept_and_refuse_like_frictionless(field: dict, good: list, bad: list):
    schema = schema_of({"name": "a", **field})
    result = validate(pl.DataFrame({"a": good + bad}), schema)
    assert result.errors["rule"].unique().to_list() in ([], ["type"])
    assert result.errors["value"].to_list() == bad


def test_a_type_error_message_says_what_is_expected_in_french():
    schema = schema_of(
        {
            "name": "dateConvention",
            "title": "Date de la convention de subvention",
            "type": "date",
            "example": "2017-06-27",
        }
    )
    message = validate(pl.DataFrame({"dateConvention": ["10/05/2019"]}), schema).errors["message"][0]
    assert message == (
        "Date de la convention de subvention : la valeur doit être une date au format AAAA-MM-JJ (ex. 2017-06-27)"
    )


def test_required_reports_empty_and_missing_values_only_where_required():
    schema = schema_of(
        {"name": "a", "constraints": {"required": True}},
        {"name": "b"},
        missingValues=["", "N/A"],
    )
    frame = pl.DataFrame({"a": ["x", None, "N/A"], "b": [None, "y", "z"]})
    assert failures(frame, schema) == [(2, "a", "required"), (3, "a", "required")]


def test_constraints_pattern_enum_bounds_and_lengths():
    schema = schema_of(
        {"name": "code", "constraints": {"pattern": r"\d{5}"}},
        {"name": "etape", "constraints": {"enum": ["budget primitif", "compte administratif"]}},
        {"name": "taux", "type": "number", "constraints": {"minimum": 0.01, "maximum": 1}},
        {"name": "objet", "constraints": {"minLength": 2, "maxLength": 5}},
        {"name": "jour", "type": "date", "constraints": {"minimum": "2020-01-01"}},
        {"name": "n", "type": "integer", "constraints": {"enum": [1, 2], "exclusiveMaximum": 2}},
    )
    frame = pl.DataFrame(
        {
            "code": ["01001", "1001", "010011"],
            "etape": ["budget primitif", "Compte administratif", None],
            "taux": ["0.5", "0", "1.5"],
            "objet": ["abc", "a", "abcdef"],
            "jour": ["2020-01-01", "2019-12-31", None],
            "n": ["1", "2", "3"],
        }
    )
    assert failures(frame, schema) == [
        (2, "code", "pattern"),
        (2, "etape", "enum"),
        (2, "taux", "minimum"),
        (2, "objet", "minLength"),
        (2, "jour", "minimum"),
        (2, "n", "exclusiveMaximum"),
        (3, "code", "pattern"),
        (3, "taux", "maximum"),
        (3, "objet", "maxLength"),
        (3, "n", "enum"),
        (3, "n", "exclusiveMaximum"),
    ]


def test_the_pattern_must_match_the_whole_value():
    schema = schema_of({"name": "a", "constraints": {"pattern": "[0-9]{2}|AB"}})
    assert failures(pl.DataFrame({"a": ["12", "AB", "123", "xAB"]}), schema) == [
        (3, "a", "pattern"),
        (4, "a", "pattern"),
    ]


def test_a_cell_of_the_wrong_type_is_not_also_reported_for_its_bounds():
    schema = schema_of({"name": "a", "type": "number", "constraints": {"minimum": 0}})
    assert failures(pl.DataFrame({"a": ["-1", "moins un"]}), schema) == [
        (1, "a", "minimum"),
        (2, "a", "type"),
    ]


def test_enum_messages_list_the_allowed_values():
    schema = schema_of(
        {
            "name": "BGT_SECTION",
            "title": "section budgétaire",
            "constraints": {"enum": ["investissement", "fonctionnement"]},
        }
    )
    message = validate(pl.DataFrame({"BGT_SECTION": ["Investissement"]}), schema).errors["message"][0]
    assert message == (
        "section budgétaire : valeur non prévue ; valeurs possibles : « investissement », « fonctionnement »"
    )


def test_unique_reports_repeats_with_the_row_of_the_first_occurrence():
    schema = schema_of({"name": "a", "type": "integer", "constraints": {"unique": True}}, {"name": "b"})
    frame = pl.DataFrame({"a": ["1", "2", "1.0", "01", None, None, "2"], "b": ["x"] * 7})
    result = validate(frame, schema)
    # '1.0' is no integer; '01' is the integer 1, the same as row 1.
    assert result.errors.select("row", "rule").rows() == [(3, "type"), (4, "unique"), (7, "unique")]
    assert result.errors["message"][1].endswith("déjà présente ligne 1")
    assert result.errors["message"][2].endswith("déjà présente ligne 2")


def test_primary_key_repeats_and_blanks_are_reported_once_per_row():
    schema = schema_of({"name": "id"}, {"name": "annee", "type": "year"}, primaryKey=["id", "annee"])
    frame = pl.DataFrame({"id": ["A", "A", "A", None], "annee": ["2020", "2021", "2020", "2020"]})
    result = validate(frame, schema)
    assert result.errors.select("row", "column", "rule").rows() == [
        (3, "id, annee", "primary-key"),
        (4, "id", "required"),
    ]
    assert result.errors["message"][0] == "Clé primaire (id, annee) en double ; déjà présente ligne 1"


def test_a_blank_row_is_one_error_not_one_per_required_field():
    schema = schema_of(
        {"name": "a", "constraints": {"required": True}},
        {"name": "b", "constraints": {"required": True}},
    )
    frame = pl.DataFrame({"a": ["x", None], "b": ["y", None]})
    result = validate(frame, schema)
    assert result.errors.select("row", "rule", "message").rows() == [
        (2, "blank-row", "Ligne vide : à supprimer du fichier")
    ]


def test_header_missing_required_column_is_an_error_missing_optional_a_note_extra_an_error():
    schema = schema_of(
        {"name": "nomAttribuant", "title": "Nom de l'attribuant", "constraints": {"required": True}},
        {"name": "referenceDecision"},
    )
    result = validate(pl.DataFrame({"Nom attributaire*": ["Région"]}), schema)
    assert result.errors.select("row", "column", "rule").rows() == [
        (None, "nomAttribuant", "missing-column"),
        (None, "Nom attributaire*", "extra-column"),
    ]
    assert result.errors["message"][0] == (
        "Colonne obligatoire « nomAttribuant » (Nom de l'attribuant) absente du fichier : "
        "à ajouter pour respecter le schéma essai"
    )
    assert result.notes == ("Colonne facultative « referenceDecision » absente du fichier",)


def test_columns_renamed_to_snake_case_or_reordered_still_match_their_fields():
    schema = schema_of(
        {"name": "idBeneficiaire", "constraints": {"pattern": r"\d{14}"}},
        {"name": "montant", "type": "number"},
    )
    frame = pl.DataFrame({"montant": ["12.5"], "id_beneficiaire": ["123"]})
    result = validate(frame, schema)
    assert result.errors.select("column", "rule", "value").rows() == [("idBeneficiaire", "pattern", "123")]


def test_typed_and_text_frames_get_the_same_verdicts():
    schema = schema_of(
        {"name": "n", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "x", "type": "number", "constraints": {"maximum": 10}},
        {"name": "d", "type": "date", "constraints": {"minimum": "2020-01-01"}},
        {"name": "ok", "type": "boolean"},
        {"name": "t", "type": "datetime"},
        {"name": "siret", "constraints": {"pattern": r"\d{14}"}},
    )
    text = pl.DataFrame(
        {
            "n": ["1", "-2", None],
            "x": ["2.5", "11", "3"],
            "d": ["2020-05-01", "2019-01-01", None],
            "ok": ["true", "false", None],
            "t": ["2022-07-19T09:13:33", None, "2022-07-19T00:00:00"],
            "siret": ["21920044100018", "01234567890123", "123"],
        }
    )
    typed = text.with_columns(
        pl.col("n").cast(pl.Int64),
        pl.col("x").cast(pl.Float64),
        pl.col("d").str.to_date(),
        pl.col("ok") == "true",
        pl.col("t").str.to_datetime(),
    )
    assert (
        failures(typed, schema)
        == failures(text, schema)
        == [
            (2, "n", "minimum"),
            (2, "x", "maximum"),
            (2, "d", "minimum"),
            (3, "siret", "pattern"),
        ]
    )


def test_typed_values_of_the_wrong_kind_are_type_errors():
    schema = schema_of({"name": "n", "type": "integer"}, {"name": "d", "type": "date"})
    frame = pl.DataFrame(
        {
            "n": [1.0, 2.5],
            "d": [dt.datetime(2020, 1, 1), dt.datetime(2020, 1, 1, 12, 30)],
        }
    )
    assert failures(frame, schema) == [(2, "n", "type"), (2, "d", "type")]


def test_an_empty_frame_with_the_right_header_is_valid():
    schema = schema_of({"name": "a", "constraints": {"required": True}})
    assert validate(pl.DataFrame({"a": []}, schema={"a": pl.String}), schema).valid


def test_a_bound_that_is_no_value_of_the_type_is_a_schema_error():
    schema = schema_of({"name": "a", "type": "integer", "constraints": {"minimum": "zéro"}})
    with pytest.raises(SchemaError, match="field 'a': minimum 'zéro' is not of type integer"):
        validate(pl.DataFrame({"a": ["1"]}), schema)


def test_enum_members_that_are_no_value_of_the_type_match_nothing():
    schema = schema_of({"name": "a", "type": "integer", "constraints": {"enum": [1, "x"]}})
    assert failures(pl.DataFrame({"a": ["1", "2"]}), schema) == [(2, "a", "enum")]


def test_decimal_columns_are_read_as_numbers():
    schema = schema_of({"name": "n", "type": "integer"}, {"name": "x", "type": "number", "constraints": {"maximum": 1}})
    frame = pl.DataFrame({"n": ["1.00", "2.50"], "x": ["0.50", "1.50"]}).with_columns(pl.all().cast(pl.Decimal(10, 2)))
    assert failures(frame, schema) == [(2, "n", "type"), (2, "x", "maximum")]
