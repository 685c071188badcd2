"""Staging a file above the memory budget: the streaming path gives the report and the files
the in-memory path gives, on real sample files split into many batches."""

from __future__ import annotations

import io
from datetime import date

import polars as pl
import pyarrow.parquet as pq
import pytest

from catalog.privacy import screen, screen_batches
from catalog.validation import load_schema, validate, validate_batches
from connectors.handoffs.layout import manifest_key, staged_key
from connectors.landing import land_bytes
from connectors.objectstore import MemoryObjectStore
from connectors.tabular.table import ORIGINAL_NAME
from pipelines import staging
from pipelines.staging import stage_member
from tests.conftest import SAMPLES

KEY = b"pseudonymisation-key-of-the-test"


def _land(store: MemoryObjectStore, data: bytes, name: str, override: dict) -> None:
    key, sha256, _ = land_bytes(store, "auray", data, "CSV")
    landing = {"member": "auray", "dataset": "echantillon", "resource": "fichier", "key": key, "sha256": sha256,
               "size": len(data), "format": "CSV", "name": name, "fetched_at": "2026-01-01T00:00:00+00:00"}
    store.put_json(manifest_key("auray"), {"datasets": {"echantillon": {
        "status": "present", "override": override, "resources": {"fichier": landing}}}})


def _stage(data: bytes, name: str, override: dict, schema_file: str | None) -> MemoryObjectStore:
    store = MemoryObjectStore()
    _land(store, data, name, {**override, "pooled_as": "pack"} if schema_file else override)
    schemas = {"pack": load_schema(SAMPLES / schema_file)} if schema_file else {}
    result = stage_member(store, "auray", KEY, schemas)
    assert result.staged == 1 and not result.failures, result.failures
    return store


def _staged(store: MemoryObjectStore, suffix: str) -> bytes:
    return store.get_bytes(staged_key("auray", "echantillon", "fichier", suffix))


def _rows_twice(sample: str) -> bytes:
    header, *rows = (SAMPLES / sample).read_bytes().splitlines(keepends=True)
    return header + b"".join(rows) + b"".join(rows)


# sample, schema, committee decisions, rows a batch, whether the rows are landed twice
CASES = {
    # 3,089 canteens, a column pseudonymised and one dropped.
    "teledeclarations": ("cantines_teledeclarations_2021.csv", "cantines_teledeclarations_schema.json",
                         {"pseudonymise_columns": ["canteen_name"], "drop_columns": ["applicant_id"]}, 401, False),
    # Crach's real budget: 343 errors spread over the batches.
    "budget": ("scdl_budget_crach_CA2021.csv", "scdl_budget_schema_v0.8.3.json", {}, 7, False),
    # Parking places, each row twice: primary-key duplicates found across batches.
    "stationnement": ("stationnement_exemple-valide.csv", "stationnement_schema.json", {}, 1, True),
    # Latin-1, an e-mail address (twice, one per batch): a finding, so the file is blocked.
    "contacts": ("cantines_diagnostic_latin1.csv", None, {}, 1, True),
}


@pytest.mark.parametrize("case", CASES)
def test_the_streaming_path_stages_what_the_in_memory_path_stages(case, monkeypatch):
    sample, schema_file, override, batch_rows, twice = CASES[case]
    data = _rows_twice(sample) if twice else (SAMPLES / sample).read_bytes()
    in_memory = _stage(data, sample, override, schema_file)
    monkeypatch.setattr(staging, "MEMORY_BUDGET", 0)  # every file is above it
    # Small batches, so that duplicates, errors and findings fall across their borders.
    monkeypatch.setattr(staging, "_batch_rows", lambda table: batch_rows)
    streamed = _stage(data, sample, override, schema_file)

    report, expected = _report(streamed), _report(in_memory)
    assert report["normalisation"].pop("streamed") is True
    # The digests of the files written: the Parquet metadata says the file was streamed.
    written, expected_written = report.pop("written_sha256", {}), expected.pop("written_sha256", {})
    assert written.keys() == expected_written.keys()
    assert {k: v for k, v in written.items() if not k.endswith(".parquet")} == {
        k: v for k, v in expected_written.items() if not k.endswith(".parquet")}
    assert report == expected
    assert expected["rows"] > batch_rows
    parquet, expected_parquet = (pq.read_table(io.BytesIO(_staged(s, "parquet"))) for s in (streamed, in_memory))
    assert pl.from_arrow(parquet).equals(pl.from_arrow(expected_parquet))
    assert [f.metadata[ORIGINAL_NAME.encode()] for f in parquet.schema] == [
        f.metadata[ORIGINAL_NAME.encode()] for f in expected_parquet.schema]
    assert _staged(streamed, "csv") == _staged(in_memory, "csv")
    if schema_file:
        assert _staged(streamed, "errors.csv") == _staged(in_memory, "errors.csv")
    if case == "stationnement":
        assert report["validation"]["errors"] == 2  # the second copy of each of the two ids
    if case == "contacts":
        assert report["decision"] == "blocked" and report["personal_data"][0]["count"] == 2
    if case == "teledeclarations":
        assert report["pseudonymised_columns"] == ["canteen_name"] and report["dropped_columns"] == ["applicant_id"]


def _report(store: MemoryObjectStore) -> dict:
    return store.get_json(staged_key("auray", "echantillon", "fichier", "json"))


def test_a_large_spreadsheet_is_still_read_in_memory(monkeypatch):
    frame = pl.DataFrame({"code_insee": ["56007", "56046"], "volume": [1.5, 2.0]})
    buffer = io.BytesIO()
    frame.write_excel(buffer)
    monkeypatch.setattr(staging, "MEMORY_BUDGET", 0)
    store = MemoryObjectStore()
    _land(store, buffer.getvalue(), "volumes.xlsx", {})
    assert stage_member(store, "auray", KEY).staged == 1
    assert "streamed" not in _report(store)["normalisation"] and _report(store)["rows"] == 2


def test_a_refused_pseudonymisation_key_fails_the_file_as_in_memory(monkeypatch):
    monkeypatch.setattr(staging, "MEMORY_BUDGET", 0)
    store = MemoryObjectStore()
    _land(store, (SAMPLES / "cantines_diagnostic_latin1.csv").read_bytes(), "c.csv",
          {"pseudonymise_columns": ["nom"]})
    result = stage_member(store, "auray", b"short")
    assert result.staged == 0 and "pseudonymisation key of 5 bytes" in result.failures[0].why


# The batch forms of screening and validation, on tables made to split awkwardly.

def test_screening_in_batches_weighs_shares_and_examples_on_the_whole_column():
    # 'nom' is a weak hint: names must be a fifth of its cells. Only the first batch holds
    # names (3 of 10 cells overall), and the e-mail addresses sort across batches.
    frame = pl.DataFrame({
        "nom": ["Jean Dupont", "Marie Curie", "Paul Martin"] + ["Mairie de Crach"] * 7,
        "contact": ["zoe@exemple.fr", None, "yann@exemple.fr", None, "alice@exemple.fr",
                    None, "bob@exemple.fr", None, None, "jean@exemple.fr"],
    })
    whole = screen(frame)
    assert {f.kind for f in whole} == {"name", "email"}
    for size in (1, 2, 3, 4, 10):
        assert screen_batches(frame.iter_slices(size)) == whole
    sparse = pl.concat([frame.head(3), pl.DataFrame({"nom": ["Mairie de Crach"] * 20, "contact": [None] * 20},
                                                    schema=frame.schema)])
    assert screen(sparse) == screen_batches(sparse.iter_slices(3))
    assert [f.kind for f in screen(sparse)] == ["email"]  # 3 names in 23 cells: under the share


def test_validation_in_batches_finds_duplicates_across_batches(tmp_path):
    schema = load_schema({
        "name": "t", "primaryKey": ["code", "mois"],
        "fields": [{"name": "code", "type": "string"}, {"name": "mois", "type": "date"},
                   {"name": "ref", "type": "integer", "constraints": {"unique": True}},
                   {"name": "volume", "type": "number", "constraints": {"minimum": 0}}],
    })
    frame = pl.DataFrame({
        "code": ["a", "b", "a", None, "c", "a", "b", "d"],
        "mois": [date(2024, 1, 1), date(2024, 1, 1), date(2024, 2, 1), None, date(2024, 1, 1),
                 date(2024, 1, 1), date(2024, 1, 1), None],
        "ref": [1, 2, 3, None, 2, 4, 1, 5],
        "volume": [1.0, -1.0, 2.0, None, 3.0, -2.0, 0.0, 1.0],
        "autre": ["x"] * 8,
    })
    whole = validate(frame, schema)
    assert {"primary-key", "unique", "blank-row", "minimum", "extra-column"} <= set(whole.errors["rule"])
    frame.write_parquet(tmp_path / "t.parquet")
    for size in (1, 3, 100):
        parts = list(validate_batches(pl.scan_parquet(tmp_path / "t.parquet"), schema, batch_rows=size))
        assert pl.concat([part.errors for part in parts]).equals(whole.errors)
        assert sum(part.error_count for part in parts) == whole.error_count
