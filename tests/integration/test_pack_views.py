"""A pack's SQL view that PostgreSQL refuses is named by its file and view; the table stays."""

import shutil
import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import yaml
from psycopg import sql

from catalog.packs import load_pack
from pipelines.packs import EnabledPack, pack_schema
from pipelines.warehouse import PackViewError, grant_lead, lead_access, load_table
from tests.conftest import PROJECT_DIR, stack_setting


def test_a_broken_view_names_the_pack_file_and_the_view(tmp_path, unique):
    folder = tmp_path / f"vue_{unique}"
    shutil.copytree(PROJECT_DIR / "tests" / "data" / "packs" / "composteurs", folder)
    raw = yaml.safe_load((folder / "pack.yaml").read_text())
    raw["views"] = [{"name": "par_site", "title": "t", "sql": "SELECT sitte, collectivite FROM {table}"}]
    (folder / "pack.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True))
    pack = load_pack(folder)
    enabled = EnabledPack(pack, pack_schema(pack))
    url = stack_setting("HUB_WAREHOUSE_URL")
    access = lead_access(url, f"test-{unique}", ("56007",))
    try:
        assert load_table(url, enabled, {}, lambda member: pytest.fail("no part to read")) == 0
        with pytest.raises(PackViewError, match=rf"vue_{unique}/pack.yaml: views.par_site: .*sitte"):
            grant_lead(url, enabled, access)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(sql.Identifier("pooled", pack.name)))
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(access.role)))
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(access.role)))


def test_two_packs_granted_to_one_lead_at_once_both_succeed(tmp_path, unique):
    """Two warehouse steps (two packs, in one run or two overlapping runs) refresh the same
    lead at once: both change its role and schema, and neither fails with PostgreSQL's
    'tuple concurrently updated' (seen in CI before the shared-objects lock)."""
    url = stack_setting("HUB_WAREHOUSE_URL")
    access = lead_access(url, f"test-{unique}", ("56007",))
    packs = []
    for n in (1, 2):
        folder = tmp_path / f"paire_{n}_{unique}"
        shutil.copytree(PROJECT_DIR / "tests" / "data" / "packs" / "composteurs", folder)
        pack = load_pack(folder)  # named after its folder
        packs.append(EnabledPack(pack, pack_schema(pack)))
    try:
        start = threading.Barrier(len(packs))

        def refresh(enabled: EnabledPack) -> None:
            start.wait()
            for _ in range(15):
                load_table(url, enabled, {}, lambda member: pytest.fail("no part to read"))
                grant_lead(url, enabled, access)

        with ThreadPoolExecutor(len(packs)) as pool:
            for done in [pool.submit(refresh, enabled) for enabled in packs]:
                done.result()
        with psycopg.connect(access.url(url)) as conn:
            for enabled in packs:
                assert conn.execute(sql.SQL("SELECT count(*) FROM {}").format(
                    sql.Identifier(access.role, enabled.name))).fetchone() == (0,)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            for enabled in packs:
                conn.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(sql.Identifier("pooled", enabled.name)))
                conn.execute("DELETE FROM hub.warehouse_parts WHERE pack = %s", (enabled.name,))
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(access.role)))
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(access.role)))
