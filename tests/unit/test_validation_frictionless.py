"""Cross-check against frictionless, the reference TableSchema validator: same failing rows.

Both validate the same file; each error is reduced to (row, field, family),
our row being frictionless' rowNumber minus one (we count data rows, it
counts the header as row 1). Deliberate differences, kept out of the
comparison or asserted as such:
- custom checks (`custom_checks`) are Validata's, which frictionless alone
  ignores; they are compared with python-stdnum in test_validation_checksums;
- frictionless strips spaces around header labels; polars keeps them in
  column names, so labels are compared stripped;
- a blank row is one `blank-row` error for us; frictionless adds a
  `primary-key` error on it when the schema has a primary key.
Header matching is frictionless' `fieldsMatch: "superset"`, which is what
the hub does (see catalog/validation/validator.py).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import frictionless
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.validation import load_schema, validate
from tests.conftest import SAMPLES

FAMILY = {
    "type": "type-error",
    "required": "constraint-error",
    "pattern": "constraint-error",
    "enum": "constraint-error",
    "minimum": "constraint-error",
    "maximum": "constraint-error",
    "exclusiveMinimum": "constraint-error",
    "exclusiveMaximum": "constraint-error",
    "minLength": "constraint-error",
    "maxLength": "constraint-error",
    "unique": "unique-error",
    "primary-key": "primary-key",
    "blank-row": "blank-row",
    "missing-column": "missing-label",
    "extra-column": "extra-label",
}


def frictionless_failures(path: Path, schema_path: Path, delimiter: str) -> Counter:
    descriptor = json.loads(schema_path.read_text(encoding="utf-8"))
    descriptor["fieldsMatch"] = "superset"
    descriptor.pop("custom_checks", None)
    resource = frictionless.Resource(
        path=path.name,
        basepath=str(path.parent),
        schema=frictionless.Schema.from_descriptor(descriptor),
        control=frictionless.formats.CsvControl(delimiter=delimiter),
    )
    report = frictionless.validate(resource, limit_errors=10**9)
    assert not [e for e in report.tasks[0].errors if e.type in ("resource-error", "source-error")]
    return Counter(
        (
            error.row_number - 1 if getattr(error, "row_number", None) else None,
            getattr(error, "field_name", None) or getattr(error, "label", None) or None,
            error.type,
        )
        for error in report.tasks[0].errors
    )


def hub_failures(path: Path, schema_path: Path, delimiter: str) -> Counter:
    frame = pl.read_csv(path, separator=delimiter, infer_schema=False)
    errors = validate(frame, load_schema(schema_path)).errors
    return Counter(
        (row, None if rule == "primary-key" else (column or "").strip() or None, FAMILY[rule])
        for row, column, rule in errors.select("row", "column", "rule").iter_rows()
        if rule in FAMILY
    )


@pytest.mark.parametrize(
    ("sample", "schema", "delimiter", "errors"),
    [
        ("stationnement_exemple-valide.csv", "stationnement_schema.json", ",", 0),
        ("subventions_DILCRAH_2019_nonconforme.csv", "scdl_subventions_schema_v2.1.1.json", ";", 25),
        ("scdl_budget_crach_CA2021.csv", "scdl_budget_schema_v0.8.3.json", ",", 343),
        ("cantines_teledeclarations_2021.csv", "cantines_teledeclarations_schema.json", ",", 0),
    ],
)
def test_sample_files_fail_on_the_same_rows_as_frictionless(sample, schema, delimiter, errors):
    ours = hub_failures(SAMPLES / sample, SAMPLES / schema, delimiter)
    theirs = frictionless_failures(SAMPLES / sample, SAMPLES / schema, delimiter)
    assert ours == theirs
    assert sum(ours.values()) == errors


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def damaged_stationnement(tmp_path: Path) -> Path:
    lines = (SAMPLES / "stationnement_exemple-valide.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    base = next(csv.reader([lines[1]]))

    def row(number: int, **changes: str) -> list[str]:
        values = dict(zip(header, base, strict=True), id=f"75114-P-{number:03d}")
        values.update(changes)
        return [values[name] for name in header]

    rows = [
        row(1),
        row(1),  # primary key repeated
        row(3, insee="2C123"),  # pattern
        row(4, url="notaurl"),  # uri format
        row(5, type_usagers="personne"),  # enum
        row(6, gratuit="oui"),  # boolean
        row(7, nb_places="12.5"),  # integer
        row(8, nb_places=""),  # required
        row(9, Xlong="200"),  # maximum
        row(10, tarif_1h="-1"),  # minimum
        row(11, Ylat="abc"),  # number
        [""] * len(header),  # blank row
        row(13, hauteur_max="2m"),  # pattern
        row(14, nb_pmr="1 000"),  # integer with a thousands space
        row(15, Xlong=" 1.45 "),  # surrounding spaces are fine
        row(16, tarif_2h="1,5"),  # decimal comma in a dot schema
        row(17, id=""),  # blank primary key
        row(18, url="www.exemple.fr"),  # uri without scheme
        row(19, gratuit="Vrai", nb_velo="+3", abo_resident="1e2"),  # all fine
        row(20, Xlong="NaN"),  # outside both bounds
        row(21, nb_pr="-0"),
    ]
    return write_csv(tmp_path / "stationnement_abime.csv", header, rows)


def test_a_damaged_parking_file_fails_on_the_same_rows_as_frictionless(tmp_path: Path):
    path = damaged_stationnement(tmp_path)
    schema = SAMPLES / "stationnement_schema.json"
    ours = hub_failures(path, schema, ",")
    theirs = frictionless_failures(path, schema, ",")
    assert theirs - ours == Counter({(12, None, "primary-key"): 1})  # the blank row
    assert ours - theirs == Counter()
    assert sum(ours.values()) == 19


def test_a_damaged_subsidies_file_fails_on_the_same_rows_as_frictionless(tmp_path: Path):
    schema_path = SAMPLES / "scdl_subventions_schema_v2.1.1.json"
    fields = [name for name in load_schema(schema_path).field_names if name != "dispositifAide"]
    base = {
        "nomAttribuant": "Région Bretagne",
        "idAttribuant": "23350001600040",
        "dateConvention": "2017-06-27",
        "referenceDecision": "2017-03-103",
        "nomBeneficiaire": "Association Les Petits Débrouillards Bretagne",
        "idBeneficiaire": "38047555800058",
        "rnaBeneficiaire": "W380475558",
        "objet": "Animations climat-énergie dans les lycées de la région",
        "montant": "47800.20",
        "nature": "aide en numéraire",
        "conditionsVersement": "échelonné",
        "datesPeriodeVersement": "2017-03-14/2018-03-14",
        "idRAE": "12345",
        "notificationUE": "non",
        "pourcentageSubvention": "0.45",
        "commentaire": "",
    }
    defects = [
        {},
        {"dateConvention": "10/05/2019"},
        {"dateConvention": "2019-02-30"},
        {"dateConvention": "2019-5-1"},
        {"montant": "45 000"},
        {"montant": "45000,50"},
        {"montant": ""},
        {"notificationUE": "Non"},
        {"pourcentageSubvention": "0"},
        {"pourcentageSubvention": "1.5"},
        {"objet": "x" * 257},
        {"datesPeriodeVersement": "2019/05/20"},
        {"idRAE": "123456"},
        {"rnaBeneficiaire": "W12345678"},
        {"nature": "aide"},
        {"nomBeneficiaire": "", "idAttribuant": "2335000160004"},
    ]
    header = [*fields, "commentaire"]
    rows = [[{**base, **defect}[name] for name in header] for defect in defects]
    path = write_csv(tmp_path / "subventions_abimees.csv", header, rows)
    ours = hub_failures(path, schema_path, ",")
    assert ours == frictionless_failures(path, schema_path, ",")
    # One extra column, then one error per damaged row but 2019-5-1 (valid), two on the last.
    assert sum(ours.values()) == 1 + 13 + 2


# Cell by cell, on generated text: which cells frictionless' field readers refuse.
# Deliberate differences: Python's int() and Decimal() also take '1_000', non-ASCII
# digits and 'sNaN'; strptime takes ' 1' as a day. The hub refuses those, so the
# alphabets below leave out '_', 's' and spaces inside dates.
TYPED_CELLS = [
    ({"type": "integer"}, st.text("0123456789+-. e", max_size=6)),
    ({"type": "number"}, st.text("0123456789+-.eEinaINF ", max_size=8)),
    ({"type": "number", "decimalChar": ",", "groupChar": " "}, st.text("0123456789-., ", max_size=8)),
    ({"type": "number", "bareNumber": False}, st.text("0123456789-.€% ab", max_size=8)),
    ({"type": "year"}, st.text("0123456789-+ .", max_size=5)),
    ({"type": "boolean"}, st.sampled_from(["true", "True", "TRUE", "1", "0", "false", "oui", "vrai", "", "tRue"])),
    (
        {"type": "date"},
        st.one_of(
            st.from_regex(r"[0-9]{3,5}-[0-9]{1,3}-[0-9]{1,3}", fullmatch=True), st.text("0123456789-/", max_size=10)
        ),
    ),
    (
        {"type": "date", "format": "%d/%m/%Y"},
        st.one_of(
            st.from_regex(r"[0-9]{1,3}/[0-9]{1,3}/[0-9]{4}", fullmatch=True), st.text("0123456789-/", max_size=10)
        ),
    ),
]


@pytest.mark.parametrize(("field", "cells"), TYPED_CELLS, ids=lambda v: json.dumps(v) if isinstance(v, dict) else "")
@given(data=st.data())
@settings(max_examples=60, deadline=None)
def test_type_verdicts_agree_with_frictionless_cell_by_cell(field: dict, cells, data: st.DataObject):
    values = data.draw(st.lists(cells, min_size=1, max_size=30))
    reader = frictionless.Field.from_descriptor({"name": "a", **field})
    refused_by_frictionless = [index + 1 for index, value in enumerate(values) if reader.read_cell(value)[1]]
    frame = pl.DataFrame({"a": values, "b": ["x"] * len(values)}, schema={"a": pl.String, "b": pl.String})
    errors = validate(frame, load_schema({"fields": [{"name": "a", **field}, {"name": "b"}]})).errors
    assert errors.filter(pl.col("rule") == "type")["row"].to_list() == refused_by_frictionless
