"""The warehouse: pooled tables in PostgreSQL, and each lead's window on them.

Superset's row-level security has leaked before (CVE-2025-48912), so the boundary is
enforced in PostgreSQL itself: each lead collectivity reads through its own login role,
which can only see a view of its members' rows (`lead_<slug>.<table>`). Superset's
connection for that lead uses that role. Role passwords are derived from the warehouse
owner's password (HMAC), so they are per installation, stable across runs, and never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import io
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import polars as pl
import psycopg
from psycopg import sql

from catalog.pooled import PooledTable

PG_TYPES = {pl.String(): "text", pl.Date(): "date", pl.Float64(): "double precision", pl.Int64(): "bigint"}
POOLED_SCHEMA = "pooled"


@dataclass(frozen=True)
class LeadAccess:
    lead: str  # member slug of the chef de file
    role: str
    password: str
    communes: tuple[str, ...]  # INSEE codes the lead may see

    def url(self, warehouse_url: str) -> str:
        parts = urlsplit(warehouse_url)
        netloc = f"{self.role}:{self.password}@{parts.hostname}:{parts.port or 5432}"
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def lead_access(warehouse_url: str, lead: str, communes: tuple[str, ...]) -> LeadAccess:
    owner_password = urlsplit(warehouse_url).password
    if not owner_password:  # the lead passwords derive from it: an empty key is a public one
        raise ValueError("HUB_WAREHOUSE_URL must carry the owner's password: lead passwords derive from it")
    password = hmac.new(owner_password.encode(), f"lead:{lead}".encode(), hashlib.sha256).hexdigest()[:32]
    return LeadAccess(lead=lead, role=f"lead_{lead.replace('-', '_')}", password=password,
                      communes=tuple(sorted(communes)))


def load_pooled(warehouse_url: str, table: PooledTable, frame: pl.DataFrame) -> int:
    """Replace the pooled table's rows in one transaction: readers never see half a load."""
    columns = [*table.columns, "member"]
    types = {**table.columns, "member": pl.String()}
    ident = sql.Identifier(POOLED_SCHEMA, table.name)
    with psycopg.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(POOLED_SCHEMA)))
        cur.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} ({}, PRIMARY KEY ({}))").format(
            ident,
            sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(PG_TYPES[types[c]])) for c in columns
            ),
            sql.SQL(", ").join(sql.Identifier(c) for c in table.primary_key),
        ))
        cur.execute(sql.SQL("DELETE FROM {}").format(ident))
        buffer = io.BytesIO()
        frame.select(columns).write_csv(buffer, include_header=False)
        with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
            ident, sql.SQL(", ").join(sql.Identifier(c) for c in columns))) as copy:
            copy.write(buffer.getvalue())
        cur.execute(sql.SQL("SELECT count(*) FROM {}").format(ident))
        return cur.fetchone()[0]


def grant_lead(warehouse_url: str, table: PooledTable, access: LeadAccess) -> None:
    """Create or refresh the lead's role and its filtered view (idempotent)."""
    schema = sql.Identifier(access.role)
    role = sql.Identifier(access.role)
    with psycopg.connect(warehouse_url, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (access.role,))
        verb = "ALTER" if cur.fetchone() else "CREATE"
        cur.execute(sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(role, sql.Literal(access.password)))
        cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
        # security_barrier: no leaky function can see rows the WHERE clause hides.
        cur.execute(sql.SQL(
            "CREATE OR REPLACE VIEW {view} WITH (security_barrier) AS "
            "SELECT * FROM {pooled} WHERE code_insee = ANY({codes})"
        ).format(
            view=sql.Identifier(access.role, table.name),
            pooled=sql.Identifier(POOLED_SCHEMA, table.name),
            codes=sql.Literal(list(access.communes)),
        ))
        cur.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(sql.Identifier(POOLED_SCHEMA)))
        cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, role))
        cur.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(sql.Identifier(access.role, table.name), role))
        cur.execute(sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
