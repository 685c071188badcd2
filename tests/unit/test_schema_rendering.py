"""Published CSVs keep their schema's names, order and formats: a file as conformant when
the hub republishes it as when it was received (frictionless says so)."""

import io
import json
from datetime import date

import polars as pl
from frictionless import Resource, Schema

from catalog.validation import load_schema
from catalog.validation.rendering import schema_rendering
from connectors.tabular import read_table, safe_csv
from tests.conftest import PROJECT_DIR

SCHEMA = {
    "name": "test-stationnement", "version": "1.0.0",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "Xlong", "type": "number"},
        {"name": "Ylat", "type": "number"},
        {"name": "date_maj", "type": "date", "format": "%d/%m/%Y"},
        {"name": "gratuit", "type": "boolean", "trueValues": ["oui"], "falseValues": ["non"]},
        {"name": "tarif", "type": "number", "decimalChar": ","},
    ],
}
RECEIVED = ("id;Xlong;Ylat;date_maj;gratuit;tarif;remarque\n"
            "P1;-3,07;47,58;15/01/2025;oui;0,5;près du port\n"
            "P2;-3,08;47,59;01/02/2025;non;1,25;\n")


def _frictionless_errors(csv: bytes, tmp_path, name: str) -> int:
    path = tmp_path / name
    path.write_bytes(csv)
    report = Resource(path=name, basepath=str(tmp_path), schema=Schema.from_descriptor(SCHEMA)).validate()
    return sum(len(task.errors) for task in report.tasks) + len(report.errors)


def test_the_schema_names_order_and_formats_come_back(tmp_path):
    (tmp_path / "schema.json").write_text(json.dumps(SCHEMA))
    schema = load_schema(tmp_path / "schema.json")
    table = read_table(RECEIVED.encode("utf-8"), "parkings.csv", keep_text=schema.text_fields)
    assert table.frame.columns[:3] == ["id", "xlong", "ylat"]  # normalised names
    assert table.frame["date_maj"].dtype == pl.Date
    rendered = schema_rendering(table.frame, schema)
    assert rendered.columns == ["id", "Xlong", "Ylat", "date_maj", "gratuit", "tarif", "remarque"]
    assert rendered.row(0) == ("P1", -3.07, 47.58, "15/01/2025", "oui", "0,5", "près du port")
    published = safe_csv(rendered)
    normalised = safe_csv(table.frame)
    # As received: ";" and decimal commas that the schema's Xlong and Ylat (decimal ".") refuse.
    received = _frictionless_errors(RECEIVED.encode(), tmp_path, "received.csv")
    assert _frictionless_errors(published, tmp_path, "published.csv") <= received
    assert _frictionless_errors(normalised, tmp_path, "normalised.csv") > received  # what the hub did before


def test_a_missing_boolean_stays_missing_and_extra_columns_follow():
    schema_path = PROJECT_DIR / "catalog" / "packs" / "eau_potable" / "schema.json"
    schema = load_schema(schema_path)
    frame = pl.DataFrame({"autre": ["x"], "mois": [date(2024, 1, 1)], "code_insee": ["56007"]})
    rendered = schema_rendering(frame, schema)
    assert rendered.columns == ["code_insee", "mois", "autre"]
    assert pl.read_csv(io.BytesIO(safe_csv(rendered)), infer_schema=False).row(0) == ("56007", "2024-01-01", "x")
