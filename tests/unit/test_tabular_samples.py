"""Every CSV of tests/samples (copied from ../shared/samples) read as the hub reads it."""

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from connectors.tabular import NormalisedTable, normalise_csv_file, read_table

# The `samples` fixture's folder, listed at collection time for parametrize.
SAMPLE_CSVS = sorted(path.name for path in (Path(__file__).resolve().parents[1] / "samples").glob("*.csv"))


def read(samples: Path, name: str) -> NormalisedTable:
    return read_table((samples / name).read_bytes(), name)


def types(table: NormalisedTable) -> dict[str, str]:
    return {column["name"]: column["type"] for column in table.report["columns"]}


def changes(table: NormalisedTable, kind: str) -> list[dict]:
    return [entry for entry in table.report["changes"] if entry["kind"] == kind]


def test_the_samples_are_all_here():
    assert len(SAMPLE_CSVS) == 7


def test_latin1_file_keeps_its_accents(samples):
    table = read(samples, "cantines_diagnostic_latin1.csv")
    assert table.report["encoding"] == "iso-8859-1"
    assert table.report["delimiter"] == ","
    row = table.frame.row(0, named=True)
    assert row["nom"] == "CC Ma deuxième Cantine"
    assert row["secteurs"] == "Secondaire collège"
    assert row["gestionnaires_additionnels"] == "test1@example.com,test2@example.com"
    assert row["annee_bilan"] == 2022 and row["valeur_totale"] == 30300
    assert row["siret"] == "96463820453707" and row["code_insee_commune"] == "69123"
    originals = {c["name"]: c["original"] for c in table.report["columns"]}
    assert originals["modele_economique"] == "modèle_économique"
    assert originals["annee_bilan"] == "année_bilan"


def test_semicolon_file_reads_decimal_commas(samples):
    table = read(samples, "cantines_diagnostic_semicolon_decimal-comma.csv")
    assert (table.report["encoding"], table.report["delimiter"]) == ("utf-8", ";")
    assert table.frame["valeur_siqo"].to_list() == [100.1, 200.1]
    assert table.frame.schema["valeur_siqo"] == pl.Float64
    assert table.frame["nombre_repas_jour"].to_list() == [700, 790]
    assert table.frame.schema["nombre_repas_jour"] == pl.Int64
    assert table.frame["siret"].to_list() == ["83163531573760", "26906596262004"]
    assert changes(table, "decimal_comma")[0]["column"] == "valeur_siqo"
    assert table.frame["code_insee_commune"].null_count() == 2


def test_canteen_declarations_keep_their_codes(samples):
    table = read(samples, "cantines_teledeclarations_2021.csv")
    frame = table.frame
    assert table.report["rows"] == frame.height == 3089
    column_types = types(table)
    for code in ("canteen_siret", "canteen_city_insee_code", "canteen_epci", "canteen_department"):
        assert column_types[code] == "string", code
    assert frame["canteen_siret"].str.len_chars().unique().to_list() == [14]
    # One SIRET of the file lost its leading zero (13 digits): it is given back.
    assert "03473816260014" in frame["canteen_siret"].to_list()
    assert changes(table, "identifier_zeros_restored")[0]["count"] == 1
    insee = frame["canteen_city_insee_code"].to_list()
    assert {"09225", "05061", "2A004", "2A271"} <= set(insee)  # leading zeros, Corsica
    assert "0811191E" in insee  # a wrong code stays as written, for validation to report
    assert "09" in frame["canteen_department"].to_list()
    assert frame.schema["teledeclaration_ratio_bio"] == pl.Float64
    assert frame["teledeclaration_ratio_bio"].is_between(0, 1).all()
    # Two ids in one cell are a list, not the number 1931.5157.
    assert frame["canteen_pat_list"][0] == "1931,5157"
    assert frame.schema["creation_date"] == pl.Datetime("us", "UTC")
    assert frame["creation_date"][0] == datetime(2022, 7, 19, 7, 13, 33, 643000, tzinfo=UTC)
    assert frame["canteen_name"][0] == "Collège Jean Jaurès"


def test_repeated_header_lines_are_dropped(samples):
    table = read(samples, "csvdetective_communes_insee_epci.csv")
    frame = table.frame
    assert table.report["delimiter"] == ";"
    assert table.report["rows"] == frame.height == 404
    assert changes(table, "repeated_header_dropped")[0]["count"] == 2
    assert "NUMCOM" not in frame["numcom"].to_list()
    assert frame["numcom"][0] == "01001"
    assert frame["numcom"].str.len_chars().unique().to_list() == [5]
    assert frame["numepci"][0] == "200035210"
    assert frame["numdep"][0] == "01"  # the department code had lost its zero
    assert frame.schema["txcouvglo_com_2014"] == pl.Float64
    assert frame["txcouvglo_com_2014"][0] == 41.7
    assert frame["structured_info"][0] == '{"champ_1": 0, "champ_2": -1.0}'


def test_budget_file_with_crlf_lines(samples):
    table = read(samples, "scdl_budget_crach_CA2021.csv")
    frame = table.frame
    assert table.report["rows"] == 196
    assert frame["bgt_siret"].unique().to_list() == ["21560046100010"]
    assert frame["bgt_contnat"][0] == "012"
    assert frame["bgt_mtreal"][0] == 13615.55 and frame.schema["bgt_mtreal"] == pl.Float64
    assert frame["bgt_annee"].unique().to_list() == [2021]
    assert frame["bgt_contnat_label"][0] == "Charges de personnel et frais assimilés"
    assert not frame["bgt_artspe"].str.contains("\r").any()


def test_parking_file_reads_na_as_null(samples):
    table = read(samples, "stationnement_exemple-valide.csv")
    frame = table.frame
    assert frame["hauteur_max"].to_list() == [290, None]
    assert frame.schema["hauteur_max"] == pl.Int64
    assert changes(table, "null_markers") == [
        {
            "kind": "null_markers",
            "column": "hauteur_max",
            "count": 1,
            "detail": "N/A, -, NC and similar markers read as empty",
        }
    ]
    assert frame["gratuit"].to_list() == [True, True]
    assert frame["insee"][0] == "75114" and frame["num_siret"][0] == "21920044100018"
    assert frame["adresse"][0] == "3 rue de la Gare, 92300, Levallois-Peret"
    assert frame["xlong"][0] == 1.452323 and frame["tarif_1h"][0] == 5.5
    assert frame["info"][0] == "Gratuité pour le marché le samedi matin"


def test_schema_string_fields_can_be_kept_as_text(samples):
    # The parking schema declares hauteur_max a string matching ^(\d+|N/A)$: "N/A" is a value.
    data = (samples / "stationnement_exemple-valide.csv").read_bytes()
    table = read_table(data, "stationnement.csv", keep_text={"hauteur_max", "Xlong"})
    assert table.frame["hauteur_max"].to_list() == ["290", "N/A"]
    assert table.frame["xlong"].to_list() == ["1.452323", "1.452323"]
    assert types(table)["nb_places"] == "integer"


def test_non_conformant_grant_file(samples):
    table = read(samples, "subventions_DILCRAH_2019_nonconforme.csv")
    frame = table.frame
    assert table.report["delimiter"] == ";"
    columns = {c["name"]: c for c in table.report["columns"]}
    # "Aide notifiée Ã  l'Europe": the header's double-encoded "à" is repaired.
    assert columns["aide_notifiee_a_l_europe"]["original"] == "Aide notifiée à l'Europe"
    assert columns["montant_total_de_la_subvention"]["original"] == ("Montant total de la subvention*")
    assert changes(table, "double_encoding_repaired")[0]["count"] == 1
    assert frame["date_de_convention"].to_list()[:2] == [date(2019, 5, 10), date(2019, 8, 30)]
    # One cell is a period ("2019-02-15/2022-02-14"): the column stays text, nothing lost.
    assert frame.schema["date_de_versement"] == pl.String
    assert frame["date_de_versement"][1] == "2019-02-15/2022-02-14"
    assert frame["montant_total_de_la_subvention"].to_list() == [45000, 50000, 5000, 10000]
    assert frame["identification_du_beneficiaire"][0] == "13579246800043"
    assert frame["pourcentage_du_montant_de_la_subvention_attribue_au_beneficiaire"][0] == 1.0
    assert frame["objet_de_la_convention"][3] == (
        '"A la mémoire des travailleurs chinois de la Grande guerre et du traité de Versailles"'
    )


@pytest.mark.parametrize("name", SAMPLE_CSVS)
def test_streaming_gives_the_same_table_and_report(samples, name, tmp_path):
    in_memory = read(samples, name)
    report = normalise_csv_file(samples / name, tmp_path / "out.parquet")
    streamed = pl.read_parquet(tmp_path / "out.parquet")
    assert streamed.equals(in_memory.frame)
    for key in ("encoding", "delimiter", "rows", "columns", "changes"):
        assert report[key] == in_memory.report[key], key


@pytest.mark.parametrize("name", SAMPLE_CSVS)
def test_every_sample_becomes_parquet_and_csv(samples, name):
    table = read(samples, name)
    assert pl.read_parquet(table.to_parquet()).equals(table.frame)
    republished = pl.read_csv(table.to_csv(), infer_schema=False)
    assert republished.columns == table.frame.columns
    assert republished.height == table.frame.height
