"""Spreadsheets, JSON, GeoJSON and Parquet read like CSV; the Parquet and CSV the hub writes."""

import io
import json
import zipfile
from datetime import date, datetime

import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest
import xlsxwriter

from connectors.tabular import UnreadableFile, read_table
from connectors.tabular.table import ORIGINAL_NAME, REPORT_KEY


def workbook_with_title() -> bytes:
    """What a member exports from Excel: a title, a blank row, then the table."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Subventions 2024")
    day = book.add_format({"num_format": "dd/mm/yyyy"})
    percent = book.add_format({"num_format": "0.00%"})
    sheet.write("A1", "Subventions versées par la commune en 2024")
    for column, name in enumerate(["Code INSEE", "Bénéficiaire", "Montant", "Date", "Taux"]):
        sheet.write(2, column, name)
    rows = [(1001, "Association Les Amis", 1500.5, datetime(2024, 3, 1), 0.8814)]
    rows.append((75056, "Club de foot", 300, datetime(2024, 4, 15), 0.5))
    for offset, (insee, who, amount, when, rate) in enumerate(rows, start=3):
        sheet.write_number(offset, 0, insee)
        sheet.write_string(offset, 1, who)
        sheet.write_number(offset, 2, amount)
        sheet.write_datetime(offset, 3, when, day)
        sheet.write_number(offset, 4, rate, percent)
    book.add_worksheet("Notes").write("A1", "Source : service financier")
    book.close()
    return buffer.getvalue()


def test_xlsx_with_a_title_row():
    table = read_table(workbook_with_title(), "subventions.xlsx")
    frame = table.frame
    assert table.report["format"] == "xlsx"
    assert table.report["sheet"] == "Subventions 2024"
    assert frame.columns == ["code_insee", "beneficiaire", "montant", "date", "taux"]
    # The INSEE code stored as the number 1001 gets its zero back by its name.
    assert frame["code_insee"].to_list() == ["01001", "75056"]
    assert frame["montant"].to_list() == [1500.5, 300.0]
    assert frame["date"].to_list() == [date(2024, 3, 1), date(2024, 4, 15)]
    assert frame["taux"].to_list() == [0.8814, 0.5]
    found = {entry["kind"]: entry for entry in table.report["changes"]}
    assert found["lines_before_header_skipped"]["count"] == 2
    assert found["other_sheets_ignored"]["detail"].endswith("Notes")


def test_ods_is_read_like_xlsx():
    buffer = io.BytesIO()
    source = pd.DataFrame(
        {
            "Code postal": [6000, 75001],
            "Commune": ["Nice", "Paris"],
            "Population": [342669, 16266],
            "Mise à jour": [date(2024, 1, 31), date(2024, 2, 29)],
        }
    )
    source.to_excel(buffer, engine="odf", index=False, sheet_name="Communes")
    table = read_table(buffer.getvalue(), "communes.ods")
    frame = table.frame
    assert table.report["format"] == "ods" and table.report["sheet"] == "Communes"
    assert frame["code_postal"].to_list() == ["06000", "75001"]
    assert frame["population"].to_list() == [342669, 16266]
    assert frame.schema["population"] == pl.Int64
    assert frame["mise_a_jour"].to_list() == [date(2024, 1, 31), date(2024, 2, 29)]


def test_a_spreadsheet_labelled_csv_is_read_as_a_spreadsheet():
    table = read_table(workbook_with_title(), "export.csv", declared_format="CSV")
    assert table.report["format"] == "xlsx"
    assert table.report["changes"][0]["kind"] == "format_mismatch"


def test_json_list_of_records():
    records = [
        {"code_insee": "01001", "montant": 12.5, "date": "10/05/2021", "actif": True},
        {"code_insee": 2004, "montant": 3, "date": "2021-05-11", "actif": False, "note": "x"},
    ]
    table = read_table(json.dumps(records).encode(), "data.json")
    frame = table.frame
    assert table.report["format"] == "json"
    assert frame.columns == ["code_insee", "montant", "date", "actif", "note"]
    assert frame["code_insee"].to_list() == ["01001", "02004"]
    assert frame["montant"].to_list() == [12.5, 3.0]
    assert frame["date"].to_list() == [date(2021, 5, 10), date(2021, 5, 11)]
    assert frame["actif"].to_list() == [True, False]
    assert frame["note"].to_list() == [None, "x"]


def test_opendatasoft_results_with_nested_values():
    document = {"total_count": 1, "results": [{"nom": "Auray", "geo": {"lon": -2.9, "lat": 47.6}}]}
    table = read_table(json.dumps(document).encode(), "records.json")
    assert table.frame["geo"].to_list() == ['{"lon": -2.9, "lat": 47.6}']


def test_geojson_keeps_the_geometry_as_geojson_text():
    geometry = {"type": "Polygon", "coordinates": [[[2.3, 48.8], [2.4, 48.8], [2.3, 48.9], [2.3, 48.8]]]}
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": geometry, "properties": {"insee": "75056", "nb": "2 133 111"}},
            {"type": "Feature", "geometry": None, "properties": {"insee": "2A004", "nb": "70 000"}},
        ],
    }
    table = read_table(json.dumps(collection).encode(), "communes.geojson")
    frame = table.frame
    assert table.report["format"] == "geojson"
    assert {c["name"]: c["type"] for c in table.report["columns"]} == {
        "insee": "string",
        "nb": "integer",
        "geometry": "geojson",
    }
    assert json.loads(frame["geometry"][0]) == geometry
    assert frame["geometry"][1] is None
    assert frame["nb"].to_list() == [2133111, 70000]


@pytest.mark.parametrize(
    ("document", "cause"),
    [(b"{not json", "invalid JSON"), (b'{"a": 1}', "without a list of records"), (b"[1, 2]", "records")],
)
def test_json_that_is_no_table(document, cause):
    with pytest.raises(UnreadableFile, match=rf"^x\.json: .*{cause}"):
        read_table(document, "x.json")


def test_zip_archive_that_is_no_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.csv", "x;y\n1;2\n")
    with pytest.raises(UnreadableFile, match=r"^lot\.zip: a ZIP archive, not a table"):
        read_table(buffer.getvalue(), "lot.zip")


def test_parquet_passes_through_with_names_normalised():
    buffer = io.BytesIO()
    pl.DataFrame({"Code INSEE": ["01001"], "Montant €": [1.5]}).write_parquet(buffer)
    table = read_table(buffer.getvalue(), "x.parquet")
    assert table.report["format"] == "parquet"
    assert table.frame.rows() == [("01001", 1.5)]
    assert table.report["columns"] == [
        {"name": "code_insee", "original": "Code INSEE", "type": "string"},
        {"name": "montant", "original": "Montant €", "type": "number"},
    ]


def test_parquet_keeps_original_names_and_the_report():
    table = read_table("Code INSEE;Coût (€)\n01001;1 200,5\n".encode(), "budget.csv")
    data = table.to_parquet()
    metadata = pq.read_metadata(io.BytesIO(data))
    assert metadata.row_group(0).column(0).compression == "ZSTD"
    schema = pq.read_schema(io.BytesIO(data))
    assert schema.field("cout").metadata[ORIGINAL_NAME.encode()].decode() == "Coût (€)"
    assert json.loads(metadata.metadata[REPORT_KEY.encode()])["delimiter"] == ";"
    # Read back by the hub, a Parquet file it wrote gives its original names again.
    again = read_table(data, "budget.parquet")
    assert [c["original"] for c in again.report["columns"]] == ["Code INSEE", "Coût (€)"]
    assert again.frame.equals(table.frame)


def test_republished_csv_neutralises_formulas_but_not_numbers():
    text = 'nom;solde;note\n=HYPERLINK("http://x");-12,5;@SUM(A1)\n+33 6 12;3;\t-x\nDupont;0;ok\n'
    table = read_table(text.encode(), "f.csv")
    lines = table.to_csv().decode("utf-8").splitlines()
    assert lines[0] == "nom,solde,note"
    assert lines[1] == '"\'=HYPERLINK(""http://x"")",-12.5,\'@SUM(A1)'
    assert lines[2] == "'+33 6 12,3.0,'-x"
    assert lines[3] == "Dupont,0.0,ok"


def test_republished_csv_is_utf8_with_iso_dates():
    table = read_table("commune;date\nÉvreux;10/05/2021\n".encode("cp1252"), "f.csv")
    assert table.to_csv() == "commune,date\nÉvreux,2021-05-10\n".encode()
