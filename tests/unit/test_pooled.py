from datetime import date

import polars as pl
import pytest

from catalog.pooled import WATER_VOLUMES, PoolingError, conform, pool


def _frame(**overrides):
    data = {
        "code_insee": ["56007", "56007"],
        "commune": ["Auray", "Auray"],
        "mois": [date(2024, 1, 1), date(2024, 2, 1)],
        "volume_distribue_m3": [100.0, 110.0],
        "volume_facture_m3": [80.0, 90.0],
    }
    data.update(overrides)
    return pl.DataFrame(data)


def test_conform_casts_and_tags_the_member():
    frame = conform(_frame(mois=["2024-01-01", "2024-02-01"]), WATER_VOLUMES, "auray/v.csv", "auray")
    assert frame.schema["mois"] == pl.Date and frame["member"].to_list() == ["auray", "auray"]


def test_conform_names_row_and_column_of_a_bad_value():
    with pytest.raises(PoolingError, match=r"auray/v.csv: row 2, column volume_facture_m3: 'N/A'"):
        conform(_frame(volume_facture_m3=["80", "N/A"]), WATER_VOLUMES, "auray/v.csv", "auray")


def test_conform_names_missing_columns():
    with pytest.raises(PoolingError, match="missing column"):
        conform(_frame().drop("commune"), WATER_VOLUMES, "x.csv", "auray")


def test_pool_keeps_the_last_file_on_a_duplicate_key():
    first = conform(_frame(), WATER_VOLUMES, "a", "auray")
    second = conform(_frame(volume_facture_m3=[81.0, 91.0]), WATER_VOLUMES, "b", "auray")
    pooled = pool([first, second], WATER_VOLUMES)
    assert pooled.height == 2 and pooled["volume_facture_m3"].to_list() == [81.0, 91.0]


def test_a_commune_cannot_speak_for_another():
    from catalog.pooled import own_rows

    frame = conform(_frame(code_insee=["56007", "56046"]), WATER_VOLUMES, "a", "auray")
    with pytest.raises(PoolingError, match=r"row 2, column code_insee: '56046' is not this member's commune"):
        own_rows(frame, "56007", "auray/v.csv")
    assert own_rows(frame, None, "epci/v.csv").height == 2  # an EPCI may report for its communes
