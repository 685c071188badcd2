"""A pack's SQL view that PostgreSQL refuses is named by its file and view; the table stays."""

import shutil

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
