"""Committee files that must be refused with a clear problem, never loaded half-right nor
answered with a traceback: each case is a real bad file on disk."""

import time
import traceback
from pathlib import Path

import pytest

from catalog.committee import MAX_COMMITTEE_BYTES, MAX_NESTING, ConfigError, load_committee
from pipelines.cli import main

VALID = """\
slug: ctd-test
name: Comité de test
members:
  - slug: auray
    name: Auray
    kind: commune
    insee: "56007"
    siren: "215600073"
    contact: donnees@auray.example.fr
    sources:
      - type: ckan
        url: https://data.auray.example.fr
        datasets:
          budget-2024: {pooled_as: budget}
      - type: files
        files:
          - {id: parking, url: "https://files.auray.example.fr/parking.csv", title: Parking}
  - slug: carnac
    name: Carnac
    kind: commune
    insee: "56034"
    siren: "215600347"
    contact: donnees@carnac.example.fr
"""
SECRET = "s3cr3t-Pa55"


def _write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "committee.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as error:
        load_committee(path)
    return error.value.problems


def test_the_base_file_of_these_tests_loads(tmp_path):
    assert [m.slug for m in load_committee(_write(tmp_path, VALID)).members] == ["auray", "carnac"]


def test_a_utf8_file_with_a_bom_loads(tmp_path):
    assert load_committee(_write(tmp_path, b"\xef\xbb\xbf" + VALID.encode())).name == "Comité de test"


def test_a_repeated_key_is_refused_with_its_line(tmp_path):
    text = VALID.replace("        datasets:\n", "        datasets: {}\n        datasets:\n", 1)
    line = text.splitlines().index("        datasets:") + 1
    assert _problems(_write(tmp_path, text)) == [
        f"line {line}: key 'datasets' appears twice in the same mapping (first at line {line - 1})"
    ]


def test_a_repeated_key_in_a_flow_mapping_is_refused(tmp_path):
    text = VALID.replace("{pooled_as: budget}", "{pooled_as: budget, pooled_as: eau_potable}")
    assert _problems(_write(tmp_path, text)) == [
        "line 14: key 'pooled_as' appears twice in the same mapping (first at line 14)"
    ]


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (("https://data.auray.example.fr", f"https://hub:{SECRET}@data.auray.example.fr"), "members[0].sources[0].url"),
        (("https://files.auray.example.fr", f"https://{SECRET}@files.auray.example.fr"),
         "members[0].sources[1].files[0].url"),
    ],
)
def test_credentials_in_a_url_are_refused_without_echoing_them(tmp_path, capsys, edit, where):
    path = _write(tmp_path, VALID.replace(*edit))
    with pytest.raises(ConfigError) as error:
        load_committee(path)
    [problem] = error.value.problems
    assert problem.startswith(f"{where}: 'https://***@") and "credentials_env" in problem
    assert SECRET not in "".join(traceback.format_exception(error.value))  # chained causes included
    assert main(["check", str(path)]) == 1
    out, err = capsys.readouterr()
    assert where in err and SECRET not in out + err


@pytest.mark.parametrize(
    ("field", "value", "label"), [("siren", "215600073", "SIREN"), ("insee", "56007", "INSEE code")]
)
def test_an_identifier_shared_by_two_members_is_refused(tmp_path, field, value, label):
    carnac = {"siren": '"215600347"', "insee": '"56034"'}[field]
    [problem] = _problems(_write(tmp_path, VALID.replace(f"{field}: {carnac}", f'{field}: "{value}"')))
    assert f"members[1].{field} '{value}' is also the {label} of members[0] (auray)" in problem


def test_a_file_over_the_size_bound_is_refused_before_reading(tmp_path):
    padding = ("# " + "x" * 98 + "\n") * (MAX_COMMITTEE_BYTES // 100 + 1)
    path = _write(tmp_path, VALID + padding)
    started = time.monotonic()
    [problem] = _problems(path)
    assert time.monotonic() - started < 1
    assert f"at most {MAX_COMMITTEE_BYTES:,} bytes" in problem


def test_a_latin1_file_is_refused_with_its_line(tmp_path):
    [problem] = _problems(_write(tmp_path, VALID.encode("latin-1")))
    assert problem == (
        "line 2: not UTF-8 (the committee file must be saved as UTF-8; it looks like Windows-1252/Latin-1)"
    )


@pytest.mark.parametrize("depth", [MAX_NESTING, 100_000])
def test_deep_nesting_is_refused_without_a_traceback(tmp_path, depth):
    text = VALID + "description: " + "[" * depth + "]" * depth + "\n"  # the top mapping is one level more
    [problem] = _problems(_write(tmp_path, text))
    assert problem == f"line {VALID.count(chr(10)) + 1}: nested more than {MAX_NESTING} levels deep"


def test_nesting_at_the_bound_is_read(tmp_path):
    depth = MAX_NESTING - 1
    [problem] = _problems(_write(tmp_path, VALID + "description: " + "[" * depth + "]" * depth + "\n"))
    assert problem.startswith("description:")  # read, then refused by the model: not a string


def test_an_alias_bomb_is_refused_at_once(tmp_path):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    path = _write(tmp_path, VALID + "description:\n" + "".join(f"  {line}\n" for line in lines))
    started = time.monotonic()
    [problem] = _problems(path)
    assert time.monotonic() - started < 1
    assert problem.startswith(f"line {VALID.count(chr(10)) + 3}: YAML aliases (*name) are not allowed")


def test_a_yaml_syntax_error_names_the_line_without_quoting_it(tmp_path):
    text = VALID.replace("url: https://data.auray.example.fr", f"url: [https://hub:{SECRET}@data.auray.example.fr")
    [problem] = _problems(_write(tmp_path, text))
    assert problem.startswith("line ") and "cannot read YAML" in problem and SECRET not in problem
