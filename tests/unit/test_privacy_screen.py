"""Personal-data screening: real positives with masked evidence, and decoys that must stay silent."""

from __future__ import annotations

import string
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import iban as stdnum_iban
from stdnum import luhn as stdnum_luhn

from catalog.privacy import Finding, screen
from catalog.privacy.names import first_names
from tests.conftest import SAMPLES

DECOYS = Path(__file__).parent / "data" / "privacy_decoys.csv"


def kinds(findings: list[Finding]) -> list[tuple[str, str, int]]:
    return [(f.column, f.kind, f.count) for f in findings]


def test_the_canteen_diagnostic_sample_holds_two_email_addresses_in_one_cell():
    frame = pl.read_csv(SAMPLES / "cantines_diagnostic_latin1.csv", encoding="latin-1", infer_schema=False)
    assert frame["nom"][0] == "CC Ma deuxième Cantine"  # decoded as latin-1, not mangled
    assert screen(frame) == [Finding("gestionnaires_additionnels", "email", 1, ("t***@example.com",))]


def test_the_decoy_file_of_organisation_identifiers_yields_no_finding_as_text_or_typed():
    as_text = pl.read_csv(DECOYS, separator=";", infer_schema=False)
    typed = pl.read_csv(DECOYS, separator=";")
    assert typed.schema["siret"] == pl.Int64 and typed.schema["code_postal"] == pl.Int64
    assert as_text.height == 14
    assert screen(as_text) == []
    assert screen(typed) == []


@pytest.mark.parametrize(
    "sample",
    [
        "stationnement_exemple-valide.csv",
        "scdl_budget_crach_CA2021.csv",
        "cantines_teledeclarations_2021.csv",
        "cantines_diagnostic_semicolon_decimal-comma.csv",
        "csvdetective_communes_insee_epci.csv",
        "subventions_DILCRAH_2019_nonconforme.csv",
    ],
)
def test_sample_files_of_organisations_yield_no_finding(sample: str):
    separator = ";" if "semicolon" in sample or "DILCRAH" in sample or "csvdetective" in sample else ","
    frame = pl.read_csv(SAMPLES / sample, separator=separator, infer_schema=False)
    assert screen(frame) == []


def test_emails_are_found_but_role_mailboxes_are_not():
    frame = pl.DataFrame(
        {
            "contact": [
                "jean.dupont@gmail.com",
                "Écrire à c.martin@mairie-crach.fr ou à mairie@crach.fr",
                "mairie@crach.fr",
                "secretariat-mairie@crach.fr",
                "contact@poitiers.fr",
                "DPO@poitiers.fr",
                "ne-pas-repondre@exemple.fr",
                "info.tourisme@ville.fr",
                None,
            ]
        }
    )
    assert screen(frame) == [Finding("contact", "email", 2, ("c***@mairie-crach.fr", "j***@gmail.com"))]


def test_french_phone_numbers_in_all_usual_writings():
    writings = [
        "06 12 34 56 78",
        "06.12.34.56.78",
        "06-12-34-56-78",
        "0612345678",
        "+33 6 12 34 56 78",
        "+33 (0)6 12 34 56 78",
        "+33612345678",
        "0033 6 12 34 56 78",
        "Tél. : 01 23 45 67 89 (standard)",
    ]
    not_phones = ["0800 123 456", "08 00 12 34 56", "21920044100018", "69001", "45000.00", "0,0612345678"]
    frame = pl.DataFrame({"telephone": writings + not_phones})
    [finding] = screen(frame)
    assert (finding.kind, finding.count) == ("phone", len(writings))
    assert finding.examples == ("+33 (0)* ** ** ** 78", "+33 6 ** ** ** 78", "+336******78")


def test_nir_with_a_valid_key_including_corsica_and_spaces():
    frame = pl.DataFrame(
        {
            "observations": [
                "NIR 2 53 07 2B 073 004 70",
                "253072A07300443",
                "2 95 10 99 126 111 93",
                "2 95 10 99 126 111 94",  # wrong key
                "295109912611",  # no key
            ]
        }
    )
    assert screen(frame) == [Finding("observations", "nir", 3, ("2 ** ** ** *** *** **", "2**************"))]


def test_a_nir_column_read_as_numbers_is_still_found():
    frame = pl.DataFrame({"secu": [295109912611193, 253072407300443, 1]})
    assert kinds(screen(frame)) == [("secu", "nir", 1)]


def test_ibans_pass_mod_97():
    frame = pl.DataFrame(
        {
            "rib": [
                "FR76 3000 6000 0112 3456 7890 189",
                "FR7630006000011234567890189",
                "FR76 3000 6000 0112 3456 7890 188",
                "BE31435411161155",
            ]
        }
    )
    [finding] = screen(frame)
    assert (finding.kind, finding.count) == ("iban", 3)
    assert "FR76 **** **** **** **** **** *89" in finding.examples


def test_card_numbers_pass_luhn_and_have_an_issuer_prefix_but_sirets_never_do():
    frame = pl.DataFrame(
        {
            "paiement": [
                "4111 1111 1111 1111",
                "5555-5555-5555-4444",
                "378282246310005",
                "4111 1111 1111 1112",  # Luhn fails
                "9999999999999995",  # Luhn passes, no issuer
                "21920044100018",  # a SIRET: 14 digits, Luhn valid
                "35600000000048",
            ]
        }
    )
    assert screen(frame) == [
        Finding("paiement", "card", 3, ("3************05", "4*** **** **** **11", "5***-****-****-**44"))
    ]


def test_columns_named_after_organisation_identifiers_skip_the_number_detectors():
    card = "4111111111111111"
    assert kinds(screen(pl.DataFrame({"montant_total": [card]}))) == []
    assert kinds(screen(pl.DataFrame({"reference": [card]}))) == [("reference", "card", 1)]


def test_person_names_in_a_column_named_for_them():
    frame = pl.DataFrame({"nom_prenom": ["Jean Dupont", "DUPONT Marie", "Ma Cantine", None, "Zoé Lefèvre"]})
    assert screen(frame) == [Finding("nom_prenom", "name", 3, ("D*** M***", "J*** D***", "Z*** L***"))]


def test_person_names_in_a_loosely_named_column_need_known_first_names():
    frame = pl.DataFrame(
        {
            "responsable": ["M. Jean Dupont", "Mme Claire Martin", "Pierre-Yves Le Gall", "Service technique"],
            "nom": ["Collège Jean Jaurès", "Mairie de Crach", "Parking Victor Hugo", "Rue Jean Moulin"],
            "nomBeneficiaire": ["ANNO_1", "ANNO_2", "ANNO_3", "ANNO_4"],
        }
    )
    assert kinds(screen(frame)) == [("responsable", "name", 3)]


def test_person_names_in_any_column_when_most_cells_are_names():
    names = ["Jean Dupont", "Marie Curie", "Paul Martin", "Lucie Bernard"]
    assert kinds(screen(pl.DataFrame({"beneficiaire_final": names}))) == [("beneficiaire_final", "name", 4)]
    assert kinds(screen(pl.DataFrame({"intitule": names}))) == [("intitule", "name", 4)]
    mostly_things = names[:1] + ["Animation climat", "Fête de la musique", "Pride Marseille 2019"]
    assert kinds(screen(pl.DataFrame({"intitule": mostly_things}))) == []


def test_ignored_columns_are_not_screened():
    frame = pl.DataFrame({"contact": ["jean.dupont@gmail.com"], "tel": ["06 12 34 56 78"]})
    assert kinds(screen(frame, ignore_columns=["contact"])) == [("tel", "phone", 1)]


def test_examples_never_show_a_full_value_and_at_most_three():
    emails = [f"{letter}.nom@exemple{letter}.fr" for letter in "abcdefghij"]
    [finding] = screen(pl.DataFrame({"mail": emails}))
    assert finding.count == 10 and len(finding.examples) == 3
    assert not any(example in emails for example in finding.examples)


def test_the_first_name_list_is_shipped_with_its_provenance():
    text = (Path(__file__).parents[2] / "catalog" / "privacy" / "data" / "prenoms.txt").read_text("utf-8")
    assert text.startswith("# Provenance: list of common French first names written by hand")
    names = first_names()
    assert 300 <= len(names) <= 1000
    assert {"jean", "marie", "pierre", "camille"} <= names
    assert not {"france", "nancy", "lorraine"} & names
    assert all(name == name.lower() and name.isascii() for name in names)


def with_luhn(body: str) -> str:
    return body + stdnum_luhn.calc_check_digit(body)


sirets = st.builds(
    lambda siren, nic: with_luhn(siren + nic),
    st.text(string.digits, min_size=8, max_size=8).map(with_luhn),
    st.text(string.digits, min_size=4, max_size=4),
)
insee_codes = st.builds(
    lambda department, commune: department + commune,
    st.sampled_from(["01", "2A", "2B", "29", "56", "69", "75", "971", "974"]),
    st.text(string.digits, min_size=3, max_size=3),
).map(lambda code: code[:5])
amounts = st.one_of(
    st.floats(0, 10**7, allow_nan=False).map(lambda x: f"{x:.2f}"),
    st.floats(0, 10**7, allow_nan=False).map(lambda x: f"{x:,.2f}".replace(",", " ").replace(".", ",")),
    st.floats(0, 1).map(lambda x: f"{x:.16f}"),
    st.integers(0, 10**9).map(str),
)
role_mailboxes = st.builds(
    lambda role, town: f"{role}@{town}.fr",
    st.sampled_from(["mairie", "contact", "accueil", "info", "secretariat", "dpo", "rh", "urbanisme"]),
    st.sampled_from(["crach", "poitiers", "ville-lyon", "cc-pays-fouesnantais"]),
)


@given(
    st.lists(
        st.tuples(sirets, insee_codes, st.text(string.digits, min_size=5, max_size=5), amounts, role_mailboxes),
        min_size=1,
        max_size=30,
    )
)
@settings(max_examples=60, deadline=None)
def test_generated_organisation_data_yields_no_finding(rows: list[tuple]):
    frame = pl.DataFrame(rows, schema=["siret", "code_commune", "code_postal", "montant", "contact"], orient="row")
    assert screen(frame) == []
    assert screen(frame.rename({"siret": "numero", "montant": "valeur"})) == []


@given(st.sampled_from(["FR", "DE", "BE"]), st.text(string.digits, min_size=20, max_size=23))
@settings(max_examples=30, deadline=None)
def test_generated_ibans_are_found(country: str, bban: str):
    number = country + stdnum_iban.calc_check_digits(country + "00" + bban) + bban
    assert kinds(screen(pl.DataFrame({"coordonnees_bancaires": [number]}))) == [("coordonnees_bancaires", "iban", 1)]
