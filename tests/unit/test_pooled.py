"""Consolidation as schema.data.gouv.fr does it: valid files only, schema types, newest wins."""

from datetime import date

import polars as pl
import pytest

from catalog.packs import BUILTIN, load_pack
from catalog.pooled import (
    Contributor,
    Offered,
    PoolingError,
    conform,
    exclusion,
    newest_first_wins,
    own_rows,
    table_columns,
)
from pipelines.packs import pack_schema

SCHEMA = pack_schema(load_pack(BUILTIN / "eau_potable"))
AURAY = Contributor(member="auray", name="Auray", code="56007")
VALID = {"valid": True, "errors": 0, "schema": SCHEMA.name, "version": SCHEMA.version}


def _offered(landed_at="2026-01-01T00:00:00+00:00", **overrides) -> Offered:
    values = {"member": "auray", "dataset": "auray-volumes", "file": "v.csv",
              "landed_at": landed_at, "decision": "publish", "validation": VALID}
    return Offered(**{**values, **overrides})


def _frame(**overrides):
    data = {"code_insee": ["56007", "56007"], "commune": ["Auray", "Auray"],
            "mois": [date(2024, 1, 1), date(2024, 2, 1)], "volume_distribue_m3": [100.0, 110.0],
            "volume_facture_m3": [80.0, 90.0]}
    return pl.DataFrame({**data, **overrides})


def test_conform_brings_rows_to_the_schema_and_tags_who_and_when():
    frame = conform(_frame(mois=["2024-01-01", "2024-02-01"], volume_facture_m3=[80, 90]), SCHEMA, _offered(), AURAY)
    assert frame.schema == pl.Schema(table_columns(SCHEMA))
    assert frame["membre"].to_list() == ["auray", "auray"] and frame["collectivite"][0] == "Auray"
    assert frame["longueur_reseau_km"].null_count() == 2  # optional field absent from the file
    assert frame["jeu_source"][0] == "auray-volumes" and frame["recu_le"][0].year == 2026


def test_conform_matches_snake_case_columns_to_schema_names():
    renamed = _frame().rename({"volume_distribue_m3": "Volume distribue m3"})
    assert conform(renamed, SCHEMA, _offered(), AURAY)["volume_distribue_m3"].to_list() == [100.0, 110.0]


def test_conform_names_file_row_and_column_of_a_value_that_cannot_be_typed():
    with pytest.raises(PoolingError, match=r"auray-volumes/v.csv: row 2, column volume_facture_m3: 'N/A'"):
        conform(_frame(volume_facture_m3=["80", "N/A"]), SCHEMA, _offered(), AURAY)


def test_rows_about_another_commune_are_left_out_and_counted():
    frame = conform(_frame(code_insee=["56007", "56046"]), SCHEMA, _offered(), AURAY)
    kept, foreign = own_rows(frame, "code_insee", "insee", "56007")
    assert kept["code_insee"].to_list() == ["56007"] and foreign == 1


def test_siret_tenancy_compares_the_siren_part():
    frame = pl.DataFrame({"idAttribuant": ["21560007300013", "21560034700011", None]})
    kept, foreign = own_rows(frame, "idAttribuant", "siret", "215600073")
    assert kept.height == 1 and foreign == 2


def test_most_recently_landed_file_wins_whatever_the_order():
    older = conform(_frame(volume_facture_m3=[1.0, 2.0]), SCHEMA, _offered("2025-01-01T00:00:00+00:00"), AURAY)
    newer = conform(_frame(volume_facture_m3=[81.0, 91.0]), SCHEMA,
                    _offered("2026-01-01T00:00:00+00:00", dataset="zz-first-by-name"), AURAY)
    for parts in ([older, newer], [newer, older]):
        pooled = newest_first_wins(parts, ("code_insee", "mois"), table_columns(SCHEMA))
        assert pooled["volume_facture_m3"].to_list() == [81.0, 91.0]


def test_excluded_files_say_why_in_french():
    assert exclusion(_offered(), SCHEMA, AURAY) is None
    invalid = exclusion(_offered(validation={**VALID, "valid": False, "errors": 3}), SCHEMA, AURAY)
    assert f"non conforme au schéma {SCHEMA.name} 1.0.0 : 3 erreurs" in invalid
    assert "données personnelles" in exclusion(_offered(decision="blocked"), SCHEMA, AURAY)
    assert "réservé aux membres" in exclusion(_offered(access="members"), SCHEMA, AURAY)


def test_a_file_valid_against_another_schema_is_not_pooled():
    other = {**VALID, "schema": "budget", "version": "0.8.3"}
    assert "non validé contre le schéma du pack" in exclusion(_offered(validation=other), SCHEMA, AURAY)


def test_a_member_without_a_code_is_not_pooled():
    epci = Contributor(member="aqta", name="AQTA", code=None)
    assert "membre sans code" in exclusion(_offered(), SCHEMA, epci)
