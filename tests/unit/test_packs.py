"""Packs as data: every built-in pack loads; a wrong pack is refused with the path of its fault."""

import shutil
from pathlib import Path

import pytest
import yaml

from catalog.committee import load_committee
from catalog.packs import BUILTIN, PackError, load_pack
from pipelines.packs import enabled_packs, pack_schema

PROJECT_DIR = Path(__file__).resolve().parents[2]
BUILTINS = sorted(p.name for p in BUILTIN.iterdir() if (p / "pack.yaml").is_file())


def test_at_least_five_built_in_packs():
    assert {"eau_potable", "restauration_collective", "budget", "subventions", "hauteurs_eau"} <= set(BUILTINS)


@pytest.mark.parametrize("name", BUILTINS)
def test_built_in_pack_loads_with_its_schema_and_provenance(name):
    pack = load_pack(BUILTIN / name)
    schema = pack_schema(pack)
    assert (BUILTIN / name / "SOURCES.md").is_file()
    known = set(schema.field_names) | {"membre", "collectivite", "jeu_source", "recu_le"}
    assert pack.tenancy.column in known and set(pack.primary_key or schema.primary_key) <= known
    kinds = {c.type for c in pack.dashboard.charts}
    assert kinds and all(c.title for c in pack.dashboard.charts)


def test_the_pack_format_offers_every_chart_kind():
    kinds = {c.type for name in BUILTINS for c in load_pack(BUILTIN / name).dashboard.charts}
    assert kinds == {"big_number", "time_series", "bar", "table"}


def _broken_pack(tmp_path: Path, change) -> Path:
    folder = tmp_path / "eau_test"
    shutil.copytree(BUILTIN / "eau_potable", folder)
    raw = yaml.safe_load((folder / "pack.yaml").read_text())
    change(raw)
    (folder / "pack.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True))
    return folder


def test_a_chart_naming_an_unknown_measure_is_refused_with_its_path(tmp_path):
    folder = _broken_pack(tmp_path, lambda raw: raw["dashboard"]["charts"][0].update(metrics=["rendemnt"]))
    with pytest.raises(PackError) as error:
        load_pack(folder)
    assert "dashboard.charts[0] (rendement): metric 'rendemnt' is not a measure" in str(error.value)
    assert str(folder / "pack.yaml") in str(error.value)


def test_a_layout_that_forgets_a_chart_is_refused(tmp_path):
    folder = _broken_pack(tmp_path, lambda raw: raw["dashboard"]["layout"].pop())
    with pytest.raises(PackError, match="not placed: alertes"):
        load_pack(folder)


def test_a_schema_outside_the_pack_folder_is_refused(tmp_path):
    folder = _broken_pack(tmp_path, lambda raw: raw.update(schema="../../../etc/passwd"))
    with pytest.raises(PackError, match="schema"):
        load_pack(folder)


def test_committee_check_names_pack_column_and_pooled_as_faults(tmp_path):
    _broken_pack(tmp_path, lambda raw: raw["tenancy"].update(column="insee"))
    committee = yaml.safe_load((PROJECT_DIR / "demo" / "committee.yaml").read_text())
    committee["packs"] = ["eau_test", "budget"]
    path = tmp_path / "committee.yaml"
    path.write_text(yaml.safe_dump(committee, allow_unicode=True))
    with pytest.raises(PackError) as error:
        enabled_packs(load_committee(path), path)
    problems = "\n".join(error.value.problems)
    assert "packs[0] (eau_test): 'insee' is not a field of the schema" in problems
    assert "members[0].sources[0].datasets" in problems and "'eau_potable' is not an enabled pack" in problems


def test_tdh_check_accepts_the_demo_committee_and_lists_its_packs(capsys):
    from pipelines.cli import main

    assert main(["check", str(PROJECT_DIR / "demo" / "committee.yaml")]) == 0
    assert "packs: eau_potable, restauration_collective, budget, subventions, hauteurs_eau" in capsys.readouterr().out
