"""`tdh inspect`: the committee's first look at a file, as the pipeline reads it."""

import json

import pytest

from pipelines.cli import main


def _inspect(capsys, *args) -> tuple[int, dict | None, str]:
    code = main(["inspect", *map(str, args)])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 and "--json" in args else None), err


def test_latin1_file_with_an_email(samples, capsys):
    code, report, _ = _inspect(capsys, samples / "cantines_diagnostic_latin1.csv", "--json")
    assert code == 0
    assert report["encoding"] in {"iso-8859-1", "windows-1252"} and report["delimiter"] == ","
    assert report["rows"] == 1 and report["validation"] is None
    columns = {c["name"]: c["type"] for c in report["columns"]}
    assert columns["siret"] == "string" and columns["code_insee_commune"] == "string"
    assert columns["nombre_repas_jour"] == "integer"
    assert {"column": "gestionnaires_additionnels", "kind": "email", "count": 1} in [
        {k: f[k] for k in ("column", "kind", "count")} for f in report["personal_data"]
    ]


def test_valid_file_against_its_schema(samples, capsys, tmp_path):
    out = tmp_path / "stationnement.parquet"
    code, report, _ = _inspect(capsys, samples / "stationnement_exemple-valide.csv",
                               "--schema", samples / "stationnement_schema.json", "--out", out, "--json")
    assert code == 0 and report["validation"]["valid"] is True and report["validation"]["errors"] == 0
    assert report["personal_data"] == [] and out.stat().st_size > 0


def test_non_conformant_file_gets_french_messages(samples, capsys):
    code, report, _ = _inspect(capsys, samples / "subventions_DILCRAH_2019_nonconforme.csv",
                               "--schema", samples / "scdl_subventions_schema_v2.1.1.json", "--json")
    assert code == 0 and report["delimiter"] == ";"
    assert report["validation"]["valid"] is False and report["validation"]["errors"] > 0
    assert any("obligatoire" in e["message"] for e in report["validation"]["first_errors"])


def test_semicolon_decimal_comma(samples, capsys):
    code, report, _ = _inspect(capsys, samples / "cantines_diagnostic_semicolon_decimal-comma.csv", "--json")
    assert code == 0 and report["delimiter"] == ";"
    assert any(c["type"] == "number" for c in report["columns"])


@pytest.mark.parametrize(
    "content", [b"", b"\x00\x01\x02\xff\xfe" * 100, b"<!DOCTYPE html><html><body>Erreur 500</body></html>"]
)
def test_unreadable_file_exits_2_naming_the_cause(tmp_path, capsys, content):
    path = tmp_path / "envoi_commune.csv"
    path.write_bytes(content)
    code, _, err = _inspect(capsys, path, "--json")
    assert code == 2 and "envoi_commune.csv" in err


def test_urls_go_through_the_safe_fetcher(capsys):
    code, _, err = _inspect(capsys, "http://169.254.169.254/latest/meta-data", "--json")
    assert code == 2 and "169.254.169.254" in err
    code, _, err = _inspect(capsys, "file:///etc/passwd", "--json")
    assert code == 2 and "file:///etc/passwd" in err
