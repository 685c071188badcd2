"""The screen's two orders of work give the same findings.

On a column whose values are mostly distinct, every cell first goes through each check's
cheap test and only the cells that pass are grouped; otherwise every distinct value is
grouped first and checked (the full scan). Both look at every cell: a single e-mail in row
900,000 of a million is found either way.
"""

from __future__ import annotations

import importlib

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.privacy import Finding, screen
from catalog.privacy.detectors import DETECTORS
from connectors.tabular import read_table
from tests.conftest import SAMPLES

# `catalog.privacy.screen` is also the name of the function the package exports.
SCREEN_MODULE = importlib.import_module("catalog.privacy.screen")
DECOYS = SAMPLES.parent / "unit" / "data" / "privacy_decoys.csv"
FILES = [*sorted(SAMPLES.glob("*.csv")), DECOYS]


def both_orders(frame: pl.DataFrame, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Finding], list[Finding]]:
    """(cell tests first on every column, full scan of every column)."""
    with monkeypatch.context() as patched:
        patched.setattr(SCREEN_MODULE, "_mostly_distinct", lambda column: True)
        cell_tests_first = screen(frame)
    with monkeypatch.context() as patched:
        patched.setattr(SCREEN_MODULE, "_mostly_distinct", lambda column: False)
        full_scan = screen(frame)
    return cell_tests_first, full_scan


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_sample_files_give_the_same_findings_in_both_orders(path, monkeypatch):
    typed = read_table(path.read_bytes(), path.name).frame  # as `tdh inspect` and staging read it
    separator = ";" if b";" in path.read_bytes().splitlines()[0] else ","
    as_text = pl.read_csv(path, separator=separator, infer_schema=False, encoding="utf8-lossy")
    for frame in (typed, as_text):
        cell_tests_first, full_scan = both_orders(frame, monkeypatch)
        assert cell_tests_first == full_scan == screen(frame)


def test_a_file_with_findings_of_every_kind_gives_the_same_findings_in_both_orders(monkeypatch):
    frame = pl.DataFrame(
        {
            "contact": ["jean.dupont@gmail.com", "mairie@crach.fr", "Tél. 06 12 34 56 78", None],
            "observations": [
                "NIR 2 53 07 2B 073 004 70", "FR76 3000 6000 0112 3456 7890 189", "RAS", "4111 1111 1111 1111"
            ],
            "nom_prenom": ["Jean Dupont", "Marie Curie", "Ma Cantine", "Zoé Lefèvre"],
            "secu": [295109912611193, 253072407300443, 1, None],
            "siret": ["21920044100018", "21560034700015", "a.martin@orange.fr", None],
        }
    )
    cell_tests_first, full_scan = both_orders(frame, monkeypatch)
    assert cell_tests_first == full_scan == screen(frame)
    assert {(f.column, f.kind) for f in full_scan} == {
        ("contact", "email"), ("contact", "phone"), ("observations", "nir"), ("observations", "iban"),
        ("observations", "card"), ("nom_prenom", "name"), ("secu", "nir"), ("siret", "email"),
    }


@pytest.mark.parametrize("column", ["reference", "commune"])  # values all different / six values
def test_a_single_email_in_row_900000_of_a_million_is_found(tmp_path, monkeypatch, column):
    rows = 1_000_000
    index = pl.int_range(rows, eager=True)
    communes = pl.Series(["Auray", "Carnac", "Crach", "Pluvigner", "Quiberon", "Saint-Étienne"])
    frame = pl.DataFrame(
        {
            "siret": (index * 7_654_321 % 10**14).cast(pl.String).str.zfill(14),
            "reference": "REF-" + index.cast(pl.String).str.zfill(7),
            "commune": communes.gather(index % len(communes)),
            "population": (index * 13) % 200_000,
        }
    )
    email = pl.when(pl.int_range(rows) == 899_999).then(pl.lit("jean.dupont@gmail.com"))
    frame = frame.with_columns(email.otherwise(pl.col(column)).alias(column))
    path = tmp_path / "envoi_commune.csv"
    frame.write_csv(path, separator=";")
    table = read_table(path.read_bytes(), path.name).frame
    assert table.height == rows and table[column][899_999] == "jean.dupont@gmail.com"
    expected = [Finding(column, "email", 1, ("j***@gmail.com",))]
    assert screen(table) == expected
    assert both_orders(table, monkeypatch) == (expected, expected)


@given(st.data())
@settings(max_examples=200, deadline=None)
def test_every_cell_a_detector_hint_matches_passes_its_cell_test(data):
    detector = data.draw(st.sampled_from(DETECTORS))
    cells = pl.Series(data.draw(st.lists(st.from_regex(detector.hint), min_size=1, max_size=20)), dtype=pl.String)
    missed = cells.filter(cells.str.contains(detector.hint) & ~cells.str.contains(detector.cell_test))
    assert missed.to_list() == []
