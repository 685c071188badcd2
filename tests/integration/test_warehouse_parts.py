"""The warehouse follows the pooled parts member by member: a changed part replaces that
member's rows only, a member gone takes its rows along, nothing changed reads nothing."""

import shutil
from datetime import UTC, date, datetime

import polars as pl
import psycopg
import pytest
from psycopg import sql

from catalog.packs import load_pack
from catalog.pooled import table_columns
from pipelines.packs import EnabledPack, pack_schema
from pipelines.warehouse import load_table
from tests.conftest import PROJECT_DIR, stack_setting


def part(enabled: EnabledPack, member: str, insee: str, litres: list[int]) -> pl.DataFrame:
    landed = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [{"code_insee": insee, "site": "place", "date_releve": date(2026, 1, day + 1), "apports_litres": litres[day],
             "membre": member, "collectivite": member.title(), "jeu_source": "apports", "recu_le": landed}
            for day in range(len(litres))]
    return pl.DataFrame(rows).cast(table_columns(enabled.schema))


@pytest.fixture
def pack(tmp_path, unique):
    folder = tmp_path / f"parts_{unique}"
    shutil.copytree(PROJECT_DIR / "tests" / "data" / "packs" / "composteurs", folder)
    loaded = load_pack(folder)
    url = stack_setting("HUB_WAREHOUSE_URL")
    yield EnabledPack(loaded, pack_schema(loaded)), url
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(sql.Identifier("pooled", loaded.name)))
        conn.execute("DELETE FROM hub.warehouse_parts WHERE pack = %s", (loaded.name,))


def test_only_changed_members_are_read_and_replaced(pack):
    enabled, url = pack
    parts = {"auray": part(enabled, "auray", "56007", [10, 20]), "crach": part(enabled, "crach", "56046", [5])}
    reads = []

    def read(member):
        reads.append(member)
        return parts[member]

    assert load_table(url, enabled, {"auray": "a1", "crach": "c1"}, read) == 3
    assert sorted(reads) == ["auray", "crach"]
    reads.clear()
    assert load_table(url, enabled, {"auray": "a1", "crach": "c1"}, read) is None and reads == []

    parts["crach"] = part(enabled, "crach", "56046", [7, 8, 9])
    assert load_table(url, enabled, {"auray": "a1", "crach": "c2"}, read) == 5
    assert reads == ["crach"]
    table = sql.Identifier("pooled", enabled.name)
    with psycopg.connect(url) as conn:
        totals = dict(conn.execute(sql.SQL("SELECT membre, sum(apports_litres) FROM {} GROUP BY membre")
                                   .format(table)).fetchall())
    assert totals == {"auray": 30, "crach": 24}

    reads.clear()
    assert load_table(url, enabled, {"crach": "c2"}, read) == 3 and reads == []  # Auray left the pack
    with psycopg.connect(url) as conn:
        assert conn.execute(sql.SQL("SELECT DISTINCT membre FROM {}").format(table)).fetchall() == [("crach",)]


def test_a_failed_load_leaves_the_table_as_it_was(pack):
    enabled, url = pack
    good = part(enabled, "auray", "56007", [10])
    assert load_table(url, enabled, {"auray": "a1"}, lambda m: good) == 1
    # A key column empty: PostgreSQL refuses the copy.
    broken = part(enabled, "crach", "56046", [1, 2]).with_columns(pl.lit(None, pl.String).alias("site"))
    with pytest.raises(psycopg.errors.NotNullViolation):
        load_table(url, enabled, {"auray": "a2", "crach": "c1"}, lambda m: good if m == "auray" else broken)
    with psycopg.connect(url) as conn:
        held = conn.execute("SELECT membre, sha256 FROM hub.warehouse_parts WHERE pack = %s",
                            (enabled.name,)).fetchall()
    assert held == [("auray", "a1")]
    assert load_table(url, enabled, {"auray": "a1"}, lambda m: pytest.fail("read")) is None
