"""Reading French CSV files: encodings, dialects, headers, French numbers and dates, codes."""

from datetime import UTC, date, datetime

import polars as pl
import pytest

from connectors.tabular import NormalisedTable, UnreadableFile, read_table
from connectors.tabular.encoding import repair_double_encoding
from connectors.tabular.names import column_names, snake_case


def read_text(text: str, encoding: str = "utf-8", name: str = "f.csv") -> NormalisedTable:
    return read_table(text.encode(encoding), name)


def kinds(table: NormalisedTable) -> dict[tuple[str | None, str], dict]:
    return {(entry["column"], entry["kind"]): entry for entry in table.report["changes"]}


# Encodings


def test_windows_1252_is_told_from_latin1_by_its_own_characters():
    table = read_text("nom;prix\nŒuvre d’art;12 €\nCafé;3 €\n", "cp1252")
    assert table.report["encoding"] == "windows-1252"
    assert table.frame["nom"].to_list() == ["Œuvre d’art", "Café"]
    assert table.frame["prix"].to_list() == [12, 3]


def test_latin1_without_windows_characters():
    table = read_text("commune;population\nÉvreux;46000\nSaint-Étienne;172000\n", "latin-1")
    assert table.report["encoding"] == "iso-8859-1"
    assert table.frame["commune"].to_list() == ["Évreux", "Saint-Étienne"]


def test_utf8_bom_is_removed_from_the_first_name():
    table = read_table(b"\xef\xbb\xbfcode_insee;nom\n01001;Ain\n", "bom.csv")
    assert table.report["encoding"] == "utf-8"
    assert table.frame.columns == ["code_insee", "nom"]
    assert "bom_removed" in {kind for _, kind in kinds(table)}


def test_utf16_with_bom():
    table = read_text("commune\tcode\nÈze\t06059\n", "utf-16")
    assert table.report["encoding"] == "utf-16"
    assert table.report["delimiter"] == "\t"
    assert table.frame.row(0) == ("Èze", "06059")


def test_double_encoded_utf8_is_repaired_in_cells():
    mangled = "nom;objet\nRÃ©gion;Ã‰cole Ã  rÃ©nover â€“ phase 1\nCafÃ©;Å’uvre\n"
    table = read_text(mangled)
    assert table.frame["nom"].to_list() == ["Région", "Café"]
    assert table.frame["objet"].to_list() == ["École à rénover – phase 1", "Œuvre"]
    assert kinds(table)[("nom", "double_encoding_repaired")]["count"] == 2


def test_correct_text_is_not_touched_by_the_repair():
    text = "Ça coûte 12 € à l’hôtel — « Noël » Œuvre"
    assert repair_double_encoding(text) == text
    table = read_text(f"libelle\n{text}\n")
    assert table.frame["libelle"][0] == text
    assert not any(kind == "double_encoding_repaired" for _, kind in kinds(table))


# Dialects and headers


@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
def test_delimiter_is_sniffed(delimiter):
    rows = [["code_postal", "commune", "montant"], ["75001", "Paris, 1er", "12"], ["13001", "Marseille", "7"]]
    lines = [delimiter.join(f'"{cell}"' if "," in cell else cell for cell in row) for row in rows]
    table = read_text("\n".join(lines) + "\n")
    assert table.report["delimiter"] == delimiter
    assert table.frame["commune"].to_list() == ["Paris, 1er", "Marseille"]


def test_decimal_commas_do_not_pass_for_a_comma_delimiter():
    table = read_text("a;b;c\n1,5;2,5;x\n3,5;4,5;y\n")
    assert table.report["delimiter"] == ";"
    assert table.frame["a"].to_list() == [1.5, 3.5]


def test_single_quote_as_quote_character():
    table = read_text("nom,note\n'Dupont, Jean',12\n'Martin, Paul',15\n")
    assert table.report["quote"] == "'"
    assert table.frame["nom"].to_list() == ["Dupont, Jean", "Martin, Paul"]


def test_title_lines_above_the_header_are_skipped():
    text = "Budget primitif 2024 - Commune de Crach\n\ncompte;libelle;montant\n6066;Carburants;1 200,50\n"
    table = read_text(text)
    assert table.frame.columns == ["compte", "libelle", "montant"]
    assert table.frame["montant"].to_list() == [1200.5]
    assert kinds(table)[(None, "lines_before_header_skipped")]["count"] == 2


def test_file_without_header_gets_positional_names():
    table = read_text("01001;12,5;10/05/2021\n01002;7,25;11/05/2021\n")
    assert table.frame.columns == ["column_1", "column_2", "column_3"]
    assert table.frame["column_1"].to_list() == ["01001", "01002"]
    assert table.frame["column_3"].to_list() == [date(2021, 5, 10), date(2021, 5, 11)]


def test_years_as_column_names_are_a_header():
    table = read_text("Commune;2019;2020\nAuray;1 200;1 350\n")
    assert table.frame.columns == ["commune", "2019", "2020"]
    assert table.frame.row(0) == ("Auray", 1200, 1350)


def test_multi_line_cells():
    table = read_text('id;adresse;n\n1;"2 rue de la Paix\n75002 Paris";3\n2;"Mairie";4\n')
    assert table.frame["adresse"].to_list() == ["2 rue de la Paix\n75002 Paris", "Mairie"]
    assert table.frame["n"].to_list() == [3, 4]


def test_repeated_header_and_empty_rows_are_dropped():
    text = "commune;montant\nA;1\n;\ncommune;montant\nB;2\n ; \ncommune;montant\n"
    table = read_text(text)
    assert table.frame.rows() == [("A", 1), ("B", 2)]
    assert table.report["rows"] == 2
    found = kinds(table)
    assert found[(None, "repeated_header_dropped")]["count"] == 2
    assert found[(None, "empty_rows_dropped")]["count"] == 2


def test_header_only_file_has_no_rows():
    table = read_text("code_insee;nom\n")
    assert table.frame.height == 0 and table.report["rows"] == 0
    assert table.frame.columns == ["code_insee", "nom"]


# Column names


def test_column_names_in_snake_case_ascii():
    assert snake_case("Montant total de la subvention*") == "montant_total_de_la_subvention"
    assert snake_case("nomAttribuant") == "nom_attribuant"
    assert snake_case("IDBeneficiaire") == "id_beneficiaire"
    assert snake_case("Cœur de bourg (€)") == "coeur_de_bourg"
    assert snake_case("TXCOUVGLO_COM_2014") == "txcouvglo_com_2014"
    assert column_names(["Nom", "nom", "", "NOM"]) == ["nom", "nom_2", "column_3", "nom_3"]


def test_original_names_are_reported():
    table = read_text("Date de début;Coût (€)\n01/02/2024;3\n")
    assert table.report["columns"] == [
        {"name": "date_de_debut", "original": "Date de début", "type": "date"},
        {"name": "cout", "original": "Coût (€)", "type": "integer"},
    ]


# French numbers


def test_thousands_separators():
    text = "espace;insecable;fine;point\n1 234,5;1\u00a0234,5;1\u202f234,5;1.234,5\n12,5;12,5;12,5;12,5\n"
    table = read_text(text)
    for column in table.frame.columns:
        assert table.frame[column].to_list() == [1234.5, 12.5], column
    assert kinds(table)[("point", "thousands_separator")]["count"] == 1


def test_integers_with_thousands_separators_stay_integers():
    table = read_text("population\n2 133 111\n15 000\n850\n")
    assert table.frame.schema["population"] == pl.Int64
    assert table.frame["population"].to_list() == [2133111, 15000, 850]


def test_percentages_become_fractions():
    table = read_text("taux\n88,14%\n12 %\n100%\n")
    assert table.frame["taux"].to_list() == pytest.approx([0.8814, 0.12, 1.0])
    assert kinds(table)[("taux", "percent")]["count"] == 3


def test_euro_amounts():
    table = read_text("montant\n1 200,50 €\n30 €\n")
    assert table.frame["montant"].to_list() == [1200.5, 30.0]


def test_dot_decimals_stay_decimals():
    table = read_text("x,y\n1.234,5\n12.5,6\n")
    assert table.frame["x"].to_list() == [1.234, 12.5]


@pytest.mark.parametrize("marker", ["N/A", "n/a", "-", "NC", "ND", "#N/A", ""])
def test_null_markers_in_numbers(marker):
    table = read_text(f"montant;nom\n12,5;a\n{marker};b\n3;c\n")
    assert table.frame["montant"].to_list() == [12.5, None, 3.0]


def test_null_markers_stay_in_text_columns():
    table = read_text("commentaire;n\nN/A;1\nà revoir;2\n")
    assert table.frame["commentaire"].to_list() == ["N/A", "à revoir"]


def test_a_word_in_a_number_column_keeps_it_text():
    rows = "\n".join(f"{n},5;a" for n in range(3000))
    table = read_text(f"valeur;nom\n{rows}\nsecret statistique;b\n")
    # The word comes after the sample: the check on all rows catches it.
    assert table.frame.schema["valeur"] == pl.String
    assert table.frame["valeur"][-1] == "secret statistique"
    assert table.frame["valeur"][0] == "0,5"


def test_spaces_around_a_number_after_the_sample():
    rows = "\n".join(f"{n},5;a" for n in range(3000))
    table = read_text(f"valeur;nom\n{rows}\n  7,25 ;b\n")
    assert table.frame.schema["valeur"] == pl.Float64
    assert table.frame["valeur"][-1] == 7.25


def test_booleans_true_false_but_not_oui_non():
    table = read_text("gratuit;notification_ue\ntrue;oui\nFalse;non\n")
    assert table.frame["gratuit"].to_list() == [True, False]
    assert table.frame["notification_ue"].to_list() == ["oui", "non"]


# Dates


def test_french_and_iso_dates_mixed_in_a_column():
    table = read_text("date\n10/05/2021\n2021-05-11\n1/6/2021\n12-05-2021\n13.05.2021\n")
    assert table.frame["date"].to_list() == [
        date(2021, 5, 10),
        date(2021, 5, 11),
        date(2021, 6, 1),
        date(2021, 5, 12),
        date(2021, 5, 13),
    ]
    assert ("date", "french_date") in kinds(table)


def test_impossible_date_keeps_the_column_text():
    table = read_text("date\n31/02/2021\n01/03/2021\n")
    assert table.frame["date"].to_list() == ["31/02/2021", "01/03/2021"]


def test_datetimes_naive():
    table = read_text("horodatage\n10/05/2021 14:30\n2021-05-10 15:45:10\n2021-05-10T16:00\n")
    assert table.frame["horodatage"].to_list() == [
        datetime(2021, 5, 10, 14, 30),
        datetime(2021, 5, 10, 15, 45, 10),
        datetime(2021, 5, 10, 16, 0),
    ]


def test_datetimes_with_offsets_in_utc():
    table = read_text("releve\n2021-05-10T14:30:00+02:00\n2021-05-10T12:00:00Z\n2021-05-10 14:30\n")
    assert table.frame["releve"].to_list() == [
        datetime(2021, 5, 10, 12, 30, tzinfo=UTC),
        datetime(2021, 5, 10, 12, 0, tzinfo=UTC),
        datetime(2021, 5, 10, 12, 30, tzinfo=UTC),  # naive: Paris time (UTC+2 in May)
    ]


def test_datetimes_at_midnight_are_dates():
    table = read_text("jour\n2021-05-10 00:00:00\n2021-05-11 00:00:00\n")
    assert table.frame["jour"].to_list() == [date(2021, 5, 10), date(2021, 5, 11)]


# Identifiers


def test_codes_with_leading_zeros_stay_text():
    table = read_text("numero;valeur\n01001;1\n75056;2\n")
    assert table.frame["numero"].to_list() == ["01001", "75056"]
    assert kinds(table)[("numero", "identifier")]["detail"] == "kept as text (identifier by its name)"


def test_leading_zero_pattern_keeps_any_column_text():
    table = read_text("champ;valeur\n01001;1\n75056;2\n")
    assert table.frame["champ"].to_list() == ["01001", "75056"]


def test_a_late_leading_zero_keeps_the_column_text():
    rows = "\n".join(str(10_000 + n) for n in range(3000))
    table = read_text(f"champ\n{rows}\n09999\n")
    assert table.frame.schema["champ"] == pl.String
    assert table.frame["champ"][-1] == "09999"


def test_corsica_insee_codes():
    table = read_text("commune;population\n2A004;70000\n2B033;45000\n")
    assert table.frame["commune"].to_list() == ["2A004", "2B033"]


@pytest.mark.parametrize(
    ("name", "written", "restored"),
    [
        ("siret", "3805449320029.0", "03805449320029"),
        ("siren", "12345678", "012345678"),
        ("code_insee", "1001", "01001"),
        ("code_postal", "6000", "06000"),
        ("code_commune", "1053", "01053"),
        ("departement", "1", "01"),
        ("epci", "200035210", "200035210"),
    ],
)
def test_codes_read_as_numbers_get_their_zeros_back(name, written, restored):
    table = read_text(f"{name};n\n{written};1\n")
    assert table.frame[name].to_list() == [restored]


def test_fixed_width_digits_are_codes():
    table = read_text("beneficiaire;montant\n13579246800043;10\n11223344500034;20\n")
    assert table.frame["beneficiaire"].to_list() == ["13579246800043", "11223344500034"]
    assert table.frame["montant"].to_list() == [10, 20]


def test_a_rate_is_not_a_code_whatever_its_name():
    table = read_text("tx_epci;dep_moyenne\n72,9;1,5\n45,2;2\n")
    assert table.frame["tx_epci"].to_list() == [72.9, 45.2]
    assert table.frame["dep_moyenne"].to_list() == [1.5, 2.0]


# Unreadable files


@pytest.mark.parametrize(
    ("data", "cause"),
    [
        (b"", "empty file"),
        (b" \r\n\t\n", "empty file"),
        (bytes(range(256)) * 8, "binary content"),
        (b"\x01\x02\x03\x04garbage\x05\x06\x07\x08" * 40, "binary content"),
        (b"<!DOCTYPE html><html><body><h1>404</h1></body></html>", "an HTML page"),
        (b"\n  <html lang='fr'><head><title>Erreur</title></head></html>", "an HTML page"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF document"),
        (b"\x1f\x8b\x08\x00rest", "gzip-compressed"),
    ],
)
def test_unreadable_inputs_name_the_file_and_the_cause(data, cause):
    with pytest.raises(UnreadableFile, match=rf"^budget_2024\.csv: .*{cause}") as raised:
        read_table(data, "budget_2024.csv")
    assert raised.value.filename == "budget_2024.csv"


def test_ragged_csv_is_unreadable():
    with pytest.raises(UnreadableFile, match=r"^x\.csv: malformed CSV"):
        read_text("a;b\n1;2\n3;4;5;6;7\n", name="x.csv")
