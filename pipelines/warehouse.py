"""The warehouse: one PostgreSQL table per pack, and each lead's window on them.

Superset's row-level security has leaked before (CVE-2025-48912), so the boundary is
enforced in PostgreSQL itself: each lead collectivity reads through its own login role,
which can only see views of its members' rows (`lead_<slug>.<pack>`, and the pack's
derived views `lead_<slug>.<pack>__<view>`, which read the lead's view, never the table).
Superset's connection for that lead uses that role. Role passwords are derived from the
warehouse owner's password (HMAC), so they are per installation, stable across runs, and
never stored.

A table is loaded member by member from the pooled parts: `hub.warehouse_parts` records
which part of each member it holds, so only the members whose part changed have their
rows replaced, and an unchanged pooled table is never read.
"""

from __future__ import annotations

import hashlib
import hmac
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import polars as pl
import psycopg
from psycopg import sql

from connectors.outages import reaching, redact_url
from pipelines.packs import EnabledPack

PG_TYPES = {"string": "text", "integer": "bigint", "number": "double precision", "boolean": "boolean",
            "date": "date", "datetime": "timestamptz", "year": "integer"}
HUB_PG_TYPES = {"membre": "text", "collectivite": "text", "jeu_source": "text", "recu_le": "timestamptz"}
POOLED_SCHEMA = "pooled"
# Two steps (two packs in one run, or two overlapping runs) that change the same catalog row
# at once, a schema's or a role's ACL, the `pooled` schema itself, make PostgreSQL fail the
# second with "tuple concurrently updated": such changes hold this lock to their commit.
SHARED_OBJECTS_LOCK = int.from_bytes(hashlib.sha256(b"tdh:warehouse-shared-objects").digest()[:8],
                                     "big", signed=True)


class PackViewError(ValueError):
    """A pack's view that PostgreSQL refuses; names the pack file and the view."""


@dataclass(frozen=True)
class LeadAccess:
    lead: str  # member slug of the chef de file
    role: str
    password: str
    communes: tuple[str, ...]  # INSEE codes of its members (tenancy by commune)
    sirens: tuple[str, ...] = ()  # SIRENs of its members (tenancy by organisation)

    def url(self, warehouse_url: str) -> str:
        parts = urlsplit(warehouse_url)
        netloc = f"{self.role}:{self.password}@{parts.hostname}:{parts.port or 5432}"
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    def codes(self, kind: str) -> tuple[str, ...]:
        return self.communes if kind == "insee" else self.sirens

    def clause(self, pack: EnabledPack) -> str:
        """The tenancy rule as SQL text (Superset's row-level-security clause)."""
        tenancy = pack.pack.tenancy
        column = '"' + tenancy.column.replace('"', '""') + '"'
        if tenancy.kind == "siret":
            column = f"LEFT({column}, 9)"
        codes = ", ".join("'" + c.replace("'", "''") + "'" for c in self.codes(tenancy.kind)) or "NULL"
        return f"{column} IN ({codes})"


def lead_access(warehouse_url: str, lead: str, communes: tuple[str, ...], sirens: tuple[str, ...] = ()) -> LeadAccess:
    owner_password = urlsplit(warehouse_url).password
    if not owner_password:  # the lead passwords derive from it: an empty key is a public one
        raise ValueError("HUB_WAREHOUSE_URL must carry the owner's password: lead passwords derive from it")
    password = hmac.new(owner_password.encode(), f"lead:{lead}".encode(), hashlib.sha256).hexdigest()[:32]
    return LeadAccess(lead=lead, role=f"lead_{lead.replace('-', '_')}", password=password,
                      communes=tuple(sorted(communes)), sirens=tuple(sorted(sirens)))


def hold_shared_objects(cur: psycopg.Cursor) -> None:
    """Wait for other writers of the warehouse's shared objects; released at commit."""
    cur.execute("SELECT pg_advisory_xact_lock(%s)", (SHARED_OBJECTS_LOCK,))


@contextmanager
def connect(warehouse_url: str, **options) -> Iterator[psycopg.Connection]:
    """A connection to the warehouse; a server that does not answer, before or during the
    block, is reported as the warehouse's PostgreSQL with its URL (password redacted)."""
    with reaching("PostgreSQL (entrepôt)", redact_url(warehouse_url)):
        with psycopg.connect(warehouse_url, **options) as conn:
            yield conn


def column_types(pack: EnabledPack) -> dict[str, str]:
    return {f.name: PG_TYPES.get(f.type, "text") for f in pack.schema.fields} | HUB_PG_TYPES


def load_table(warehouse_url: str, pack: EnabledPack, parts: dict[str, str],
               read_part: Callable[[str], pl.DataFrame]) -> int | None:
    """Bring the pack's table in line with the pooled parts (member -> part sha256) in one
    transaction (readers never see half a load): a member's rows are replaced only when its
    part changed. Returns the table's row count, or None when nothing changed (no part read)."""
    types = column_types(pack)
    table = sql.Identifier(POOLED_SCHEMA, pack.name)
    # The pack's fingerprint and row key: a new primary key or tenancy column remakes the table.
    shape = "pack:" + hashlib.sha256(f"{pack.pack.fingerprint()} {pack.row_key}".encode()).hexdigest()[:16]
    with connect(warehouse_url) as conn, conn.cursor() as cur:
        # Its own short transaction: the load below may take long and holds no shared lock.
        hold_shared_objects(cur)
        cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(POOLED_SCHEMA)))
        cur.execute("CREATE SCHEMA IF NOT EXISTS hub")
        cur.execute("CREATE TABLE IF NOT EXISTS hub.warehouse_parts (pack text, membre text, sha256 text NOT NULL,"
                    " PRIMARY KEY (pack, membre))")
    with connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT obj_description(to_regclass(%s), 'pg_class')", (f'{POOLED_SCHEMA}."{pack.name}"',))
        held = cur.fetchone()[0]
        if held is not None and held != shape:
            # The pack changed (columns, key, indexes): the lead views are made again right after.
            cur.execute(sql.SQL("DROP TABLE {} CASCADE").format(table))
        if held != shape:
            cur.execute("DELETE FROM hub.warehouse_parts WHERE pack = %s", (pack.name,))
        cur.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} ({}, PRIMARY KEY ({}))").format(
            table,
            sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t)) for c, t in types.items()),
            sql.SQL(", ").join(sql.Identifier(c) for c in pack.row_key),
        ))
        for column in {pack.pack.tenancy.column, pack.pack.time_column, "membre"} - {None}:
            cur.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({})").format(
                sql.Identifier(f"{pack.name}_{column.lower()}_idx"[:63]), table, sql.Identifier(column)))
        cur.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(table, sql.Literal(shape)))
        cur.execute("SELECT membre, sha256 FROM hub.warehouse_parts WHERE pack = %s", (pack.name,))
        loaded = dict(cur.fetchall())
        stale = sorted(m for m, sha in loaded.items() if parts.get(m) != sha)
        fresh = sorted(m for m, sha in parts.items() if loaded.get(m) != sha)
        if not stale and not fresh and held == shape:
            return None
        for member in stale:
            cur.execute(sql.SQL("DELETE FROM {} WHERE membre = %s").format(table), (member,))
            cur.execute("DELETE FROM hub.warehouse_parts WHERE pack = %s AND membre = %s", (pack.name, member))
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
            table, sql.SQL(", ").join(sql.Identifier(c) for c in types))
        for member in fresh:
            buffer = io.BytesIO()
            read_part(member).select(list(types)).write_csv(buffer, include_header=False)
            with cur.copy(copy_sql) as copy:
                copy.write(buffer.getvalue())
            cur.execute("INSERT INTO hub.warehouse_parts VALUES (%s, %s, %s)", (pack.name, member, parts[member]))
        cur.execute(sql.SQL("SELECT count(*) FROM {}").format(table))
        return cur.fetchone()[0]


def _columns(cur, schema: str, table: str) -> dict[str, str]:
    cur.execute("SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position", (schema, table))
    aliases = {"timestamp with time zone": "timestamptz"}
    return {name: aliases.get(kind, kind) for name, kind in cur.fetchall()}


def view_name(pack: str, view: str | None) -> str:
    return pack if view is None else f"{pack}__{view}"


def lead_datasets(warehouse_url: str, pack: EnabledPack, access: LeadAccess) -> dict[str | None, dict[str, str]]:
    """The columns (name -> PostgreSQL type) of each dataset the lead gets: the pack's
    table (key None) and each derived view. Superset's bundle lists them."""
    with connect(warehouse_url) as conn, conn.cursor() as cur:
        return {view: _columns(cur, access.role, view_name(pack.name, view))
                for view in [None, *(v.name for v in pack.pack.views)]}


def grant_lead(warehouse_url: str, pack: EnabledPack, access: LeadAccess) -> None:
    """Create or refresh the lead's role and its views of one pack (idempotent)."""
    schema = sql.Identifier(access.role)
    role = sql.Identifier(access.role)
    tenancy = pack.pack.tenancy
    column = sql.Identifier(tenancy.column)
    rule = sql.SQL("left({}, 9)").format(column) if tenancy.kind == "siret" else column
    with connect(warehouse_url) as conn, conn.cursor() as cur:
        hold_shared_objects(cur)  # the role, its schema and `pooled`'s ACL are every pack's
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (access.role,))
        verb = "ALTER" if cur.fetchone() else "CREATE"
        cur.execute(sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(role, sql.Literal(access.password)))
        cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
        own = sql.Identifier(access.role, pack.name)
        for view in pack.pack.views:
            cur.execute(sql.SQL("DROP VIEW IF EXISTS {}").format(sql.Identifier(access.role,
                                                                                  view_name(pack.name, view.name))))
        # CASCADE: the views of a former version of the pack depend on it and go with it.
        cur.execute(sql.SQL("DROP VIEW IF EXISTS {} CASCADE").format(own))
        # security_barrier: no leaky function can see rows the WHERE clause hides.
        cur.execute(sql.SQL(
            "CREATE VIEW {view} WITH (security_barrier) AS SELECT * FROM {pooled} WHERE {rule} = ANY({codes})"
        ).format(view=own, pooled=sql.Identifier(POOLED_SCHEMA, pack.name), rule=rule,
                 codes=sql.Literal(list(access.codes(tenancy.kind)))))
        for view in pack.pack.views:
            # The pack's SQL reads the lead's view: it can only ever see the lead's rows.
            name = view_name(pack.name, view.name)
            template = view.sql.replace("{", "{{").replace("}", "}}").replace("{{table}}", "{}")
            body = sql.SQL(template).format(own)
            try:
                # security_invoker: the pack's SQL reads with the lead's own rights, so even a
                # view naming pooled.<table> or another lead's schema is refused.
                cur.execute(sql.SQL("CREATE VIEW {} WITH (security_invoker = true) AS ").format(
                    sql.Identifier(access.role, name)) + body)
            except psycopg.Error as exc:
                raise PackViewError(f"{pack.pack.folder / 'pack.yaml'}: views.{view.name}: "
                                    f"{str(exc).splitlines()[0]}") from exc
        cur.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(sql.Identifier(POOLED_SCHEMA)))
        cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, role))
        for name in [pack.name, *(view_name(pack.name, v.name) for v in pack.pack.views)]:
            cur.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(sql.Identifier(access.role, name), role))
        cur.execute(sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))



def retire_lead(warehouse_url: str, access: LeadAccess) -> None:
    """A lead the committee file no longer names keeps nothing: its views go and its role
    can no longer log in (the role itself stays, in case objects elsewhere name it)."""
    with connect(warehouse_url) as conn, conn.cursor() as cur:
        hold_shared_objects(cur)
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(access.role)))
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (access.role,)).fetchone():
            conn.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(access.role)))
