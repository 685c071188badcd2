"""Loading TableSchema descriptors: every sample schema, and the ways a descriptor is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from catalog.validation import SchemaError, load_schema
from tests.conftest import SAMPLES

SCHEMAS = sorted(SAMPLES.glob("*schema*.json"))


def test_the_samples_hold_six_schemas():
    assert len(SCHEMAS) == 6


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_every_sample_schema_loads_with_all_its_fields(path: Path):
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    schema = load_schema(path)
    assert schema.field_names == tuple(f["name"] for f in descriptor["fields"])
    assert len(schema.custom_checks) == len(descriptor.get("custom_checks", []))
    assert schema.descriptor == descriptor


def test_subventions_schema_carries_name_version_constraints_and_french_checks():
    schema = load_schema(SAMPLES / "scdl_subventions_schema_v2.1.1.json")
    assert (schema.name, schema.version) == ("subventions", "2.1.1")
    percentage = schema.get_field("pourcentageSubvention")
    assert (percentage.type, percentage.minimum, percentage.maximum) == ("number", 0.01, 1)
    assert percentage.required
    notification = schema.get_field("notificationUE")
    assert (notification.true_values, notification.false_values) == (("oui",), ("non",))
    assert schema.get_field("idAttribuant").pattern == r"^\d{14}$"
    assert [(c.name, c.params) for c in schema.custom_checks] == [
        ("french-siret-value", {"column": "idAttribuant"}),
        ("french-siret-value", {"column": "idBeneficiaire"}),
        ("one-of-required", {"column1": "idBeneficiaire", "column2": "rnaBeneficiaire"}),
    ]


def test_stationnement_schema_has_a_primary_key_and_missing_values():
    schema = load_schema(SAMPLES / "stationnement_schema.json")
    assert schema.primary_key == ("id",)
    assert schema.missing_values == ("",)
    assert schema.get_field("gratuit").true_values[-1] == "VRAI"


def test_a_schema_loads_from_a_dict_and_from_json_text():
    descriptor = {"name": "mini", "fields": [{"name": "a", "type": "integer"}]}
    from_dict = load_schema(descriptor)
    from_text = load_schema(json.dumps(descriptor))
    assert from_dict == from_text
    assert from_dict.version is None
    assert from_dict.get_field("a").type == "integer"


def test_a_schema_without_name_is_named_after_its_file(tmp_path: Path):
    path = tmp_path / "equipements.json"
    path.write_text(json.dumps({"fields": [{"name": "a"}]}), encoding="utf-8")
    assert load_schema(path).name == "equipements"


@pytest.mark.parametrize(
    ("descriptor", "names"),
    [
        ({"fields": [{"name": "a", "type": "money"}]}, "unknown type 'money'"),
        ({"fields": [{"type": "string"}]}, "field #1 has no name"),
        ({"fields": [{"name": "a"}, {"name": "a"}]}, "declared twice: a"),
        ({"fields": [{"name": "a"}], "primaryKey": ["b"]}, "unknown fields: b"),
        ({"title": "no fields"}, "needs a 'fields' list"),
        (
            {"fields": [{"name": "a", "constraints": {"pattern": "(?=x)y"}}]},
            "field 'a' has a pattern that cannot be used",
        ),
        ({"fields": [{"name": "a"}], "custom_checks": [{"params": {}}]}, "custom check has no name"),
    ],
)
def test_unusable_descriptors_are_refused_with_the_reason(descriptor: dict, names: str):
    with pytest.raises(SchemaError, match=names.replace("(", r"\(").replace("?", r"\?")):
        load_schema(descriptor)


def test_a_url_is_refused_because_remote_schemas_go_through_the_fetcher():
    with pytest.raises(SchemaError, match="fetch remote schemas"):
        load_schema("https://schema.data.gouv.fr/schemas/scdl/subventions/latest/schema.json")


def test_a_broken_file_is_refused_with_its_path_and_line(tmp_path: Path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "fields": [\n', encoding="utf-8")
    with pytest.raises(SchemaError, match=r"broken.json: invalid JSON at line 3"):
        load_schema(path)
    with pytest.raises(SchemaError, match=r"missing.json: cannot read schema"):
        load_schema(tmp_path / "missing.json")
