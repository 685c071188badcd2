"""Pooling a pack: the staged files members declared for it, merged, member by member.

Object layout under `pooled/<pack>/`:
- `membres/<member>.parquet`: one member's conformed rows (its part). The parts are the
  pooled table: a member only speaks for its own commune or organisation, so two parts
  never hold the same row key (`EnabledPack.row_key`) and the table is their union;
- `<pack>.parquet`, `<pack>.csv`: the table as single downloads for CKAN, streamed from
  the parts by `write_downloads` (its own step: its cost grows with the whole table,
  whereas pooling's grows with what changed); `downloads.json` says which table they hold;
- `sources.csv`: every file offered, included or excluded with its reason;
- `state.json`: per member, the fingerprint of what its part was built from and the
  part's sha256; the digests of the downloads.

Incremental: a member's fingerprint is computed from its manifest alone (landed bytes'
sha256, committee decisions, staging rules, the pack itself); only members whose
fingerprint changed have their staged files read again, and only their parts are
rewritten. When none changed, nothing staged or pooled is read and nothing is written.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from catalog.committee import Committee
from catalog.pooled import (
    Contributor,
    Offered,
    PoolingError,
    SourceLine,
    conform,
    exclusion,
    newest_first_wins,
    own_rows,
    table_columns,
)
from catalog.publication import in_parallel
from catalog.temporal import temporal_coverage
from connectors.handoffs import Bucket, Downloads, Manifest, MemberPart, PooledState, StagedReport, layout
from connectors.tabular import formula_columns, neutralise_formulas, safe_csv
from connectors.tabular.table import ZSTD_LEVEL
from pipelines.packs import EnabledPack
from pipelines.staging import STAGING_RULES, TABULAR_FORMATS, read_staged

POOLING_WORKERS = os.cpu_count() or 2
# Bumped when a member's record or part changes shape: older records are rebuilt once.
PARTS_LAYOUT = 2


@dataclass
class PoolingResult:
    pack: str
    rows: int = 0
    members: list[str] = field(default_factory=list)  # members with rows in the table
    reread: list[str] = field(default_factory=list)  # members whose staged files were read
    changed: bool = False
    sha256: str = ""
    excluded: list[dict] = field(default_factory=list)  # sources lines with statut "exclu"


def contributor(member, pack: EnabledPack) -> Contributor:
    code = member.insee if pack.pack.tenancy.kind == "insee" else member.siren
    return Contributor(member=member.slug, name=member.name, code=code)


def pool_pack(store: Bucket, committee: Committee, pack: EnabledPack) -> PoolingResult:
    """Consolidate the members whose files changed, then record what changed."""
    result, members, state = consolidate(store, committee, pack)
    if result.reread or set(state.members) != set(members) or state.pack != pack.pack.fingerprint():
        record(store, pack, members, result, state)
    else:
        result.sha256, result.rows = state.table, state.rows
    return result


def consolidate(store: Bucket, committee: Committee,
                pack: EnabledPack) -> tuple[PoolingResult, dict[str, MemberPart], PooledState]:
    """Rebuild the part of each member whose offered files changed; the others are not read.

    Returns the result so far, the members' new parts, and the previous state."""
    result = PoolingResult(pack=pack.name)
    state = PooledState.read(store, pack.name) or PooledState()
    previous = state.members
    members: dict[str, MemberPart] = {}
    changed: list[tuple] = []
    for member in committee.members:
        offered = _offered_files(Manifest.read(store, member.slug), pack.name)
        who = contributor(member, pack)
        fingerprint = _fingerprint(pack, who, offered)
        before = previous.get(member.slug)
        members[member.slug] = before  # keeps the committee's order
        if not before or before.fingerprint != fingerprint:
            changed.append((who, offered, before, fingerprint))
    # polars releases the GIL while it reads, sorts and writes: members are pooled side by side.
    for (who, *_), info in zip(changed, in_parallel(lambda args: _pool_member(store, pack, *args), changed,
                                                   POOLING_WORKERS), strict=True):
        members[who.member] = info
        result.reread.append(who.member)
    for slug in set(previous) - set(members):  # a member that left the committee
        store.remove(layout.part_key(pack.name, slug))
    lines = [SourceLine(**line) for part in members.values() for line in part.sources]
    result.excluded = [line.as_dict() for line in lines if line.statut == "exclu"]
    result.members = sorted(m for m, part in members.items() if part.rows)
    return result, members, state


def record(store: Bucket, pack: EnabledPack, members: dict[str, MemberPart], result: PoolingResult,
           state: PooledState) -> None:
    """The sources list and the state: which parts make the table, and its identity."""
    result.rows = sum(part.rows for part in members.values())
    result.sha256 = table_identity(pack, members)
    result.changed = result.sha256 != state.table
    lines = [line for part in members.values() for line in part.sources]
    sources = safe_csv(pl.DataFrame(lines, schema=list(SourceLine.__annotations__)))
    store.put_bytes(layout.sources_key(pack.name), sources, "text/csv")
    PooledState(pack=pack.pack.fingerprint(), table=result.sha256, rows=result.rows, members=members,
                sources_sha256=hashlib.sha256(sources).hexdigest()).write(store, pack.name)


def table_identity(pack: EnabledPack, members: dict[str, MemberPart]) -> str:
    """The pooled table's identity without reading it: the pack and every part's digest."""
    parts = sorted((m, part.part_sha256) for m, part in members.items() if part.rows)
    return hashlib.sha256(json.dumps([pack.pack.fingerprint(), parts]).encode()).hexdigest()


def write_downloads(store: Bucket, pack: EnabledPack) -> Downloads | None:
    """`<pack>.parquet` and `<pack>.csv`: the parts one after the other (members by name,
    rows by key), streamed through temporary files so memory holds a batch, not the table.
    Written when the table changed since the last downloads; returns what `downloads.json`
    then says (the table's identity, the files' sha256), or None before any pooling."""
    state = PooledState.read(store, pack.name)
    if state is None:
        return None
    done = Downloads.read(store, pack.name)
    if done and done.table == state.table and done.temporal is not None:
        return None  # (a record written before downloads had a period is written again, once)
    parts = state.with_rows()
    slugs = sorted(parts)
    with tempfile.TemporaryDirectory(prefix="tdh-pooled-") as work:
        paths = [Path(work, f"{n}.parquet") for n in range(len(slugs))]
        for slug, path in zip(slugs, paths, strict=True):
            store.get_file(layout.part_key(pack.name, slug), path)
        table = pl.scan_parquet(paths) if paths else pl.LazyFrame(schema=table_columns(pack.schema))
        parquet, csv = Path(work, "pooled.parquet"), Path(work, "pooled.csv")
        # Each part recorded which of its text columns hold formula-like cells.
        risky = sorted({column for part in parts.values() for column in part.formulas})
        table.sink_parquet(parquet, compression="zstd")
        table.with_columns(neutralise_formulas(risky)).sink_csv(csv)
        # The members' own columns only: the hub's (when each file was received) say nothing of the data.
        period = temporal_coverage(pl.scan_parquet(parquet).select(pack.schema.field_names)) or {}
        digests = {}
        for path, kind in ((parquet, "application/vnd.apache.parquet"), (csv, "text/csv")):
            with open(path, "rb") as file:
                digests[path.suffix[1:]] = hashlib.file_digest(file, "sha256").hexdigest()
            store.put_file(layout.download_key(pack.name, path.suffix[1:]), path, kind)
    done = Downloads(table=state.table, rows=state.rows, parquet_sha256=digests["parquet"], csv_sha256=digests["csv"],
                     temporal=period)
    done.write(store, pack.name)
    return done


def read_part(store: Bucket, pack: EnabledPack, member: str) -> pl.DataFrame:
    return pl.read_parquet(io.BytesIO(store.get_bytes(layout.part_key(pack.name, member))))


def _offered_files(manifest: Manifest, pack: str) -> list[dict]:
    """The member's present resources the committee declared for this pack, from the manifest."""
    files = []
    for dataset, entry in sorted(manifest.datasets.items()):
        override = entry.override or {}
        if entry.status != "present" or override.get("pooled_as") != pack:
            continue
        if override.get("access") == "members":
            continue  # never in a public table, nor named in its public sources list
        for resource, landing in sorted(entry.resources.items()):
            if landing.format.upper() not in TABULAR_FORMATS:
                continue  # a PDF notice beside the data is not a file of the table
            files.append({"dataset": dataset, "resource": resource, "sha256": landing.sha256,
                          "fetched_at": landing.fetched_at, "name": landing.name or resource,
                          "override": override})
    return files


def _fingerprint(pack: EnabledPack, who: Contributor, offered: list[dict]) -> str:
    # Who the member is too: a new name or a corrected code changes its rows.
    facts = {"layout": PARTS_LAYOUT, "pack": pack.pack.fingerprint(), "rules": STAGING_RULES,
             "who": [who.name, who.code],
             "files": [{k: f[k] for k in ("dataset", "resource", "sha256", "override")} for f in offered]}
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _pool_member(store: Bucket, pack: EnabledPack, who: Contributor, offered: list[dict],
                 before: MemberPart | None, fingerprint: str) -> MemberPart:
    # When these bytes first landed: kept from the last pooling while the sha256 is the same.
    landed_before = {(s["jeu_de_donnees"], s["sha256"]): s["recu_le"] for s in (before.landed if before else ())}
    parts, lines, landed, settled = [], [], [], True
    for item in offered:
        landed_at = landed_before.get((item["dataset"], item["sha256"]), item["fetched_at"])
        landed.append({"jeu_de_donnees": item["dataset"], "sha256": item["sha256"], "recu_le": landed_at})
        report = StagedReport.read(store, who.member, item["dataset"], item["resource"])
        line = {"membre": who.member, "jeu_de_donnees": item["dataset"], "fichier": item["name"],
                "recu_le": landed_at, "lignes": 0}
        if report is None or report.source_sha256 != item["sha256"]:
            # Staging failed on these bytes (or has not run): nothing older is pooled in their
            # place, and the member is looked at again on the next run.
            settled = False
            lines.append({**line, "statut": "exclu",
                          "motif": "fichier non normalisé (illisible ?) : voir le rapport du membre"})
            continue
        offer = Offered(member=who.member, dataset=item["dataset"],
                        file=report.name or item["name"], landed_at=landed_at,
                        decision=report.decision, validation=report.validation,
                        access=item["override"].get("access", "open"))
        reason = exclusion(offer, pack.schema, who)
        if reason is None:
            try:
                frame = conform(read_staged(store, who.member, item["dataset"], item["resource"]),
                                pack.schema, offer, who)
                frame, foreign = own_rows(frame, pack.pack.tenancy.column, pack.pack.tenancy.kind, who.code)
                _no_missing_key(frame, pack.primary_key, offer)
            except PoolingError as exc:
                reason = str(exc)
        if reason is not None:
            lines.append({**line, "statut": "exclu", "motif": reason})
            continue
        note = (f"{foreign} ligne{'s' if foreign > 1 else ''} sur d'autres collectivités écartée"
                f"{'s' if foreign > 1 else ''}") if foreign else ""
        lines.append({**line, "statut": "inclus", "lignes": frame.height, "motif": note})
        parts.append(frame)
    part = newest_first_wins(parts, pack.row_key, table_columns(pack.schema))
    key = layout.part_key(pack.name, who.member)
    digest = None
    if part.height:
        buffer = io.BytesIO()
        part.write_parquet(buffer, compression="zstd", compression_level=ZSTD_LEVEL)
        digest = hashlib.sha256(buffer.getbuffer()).hexdigest()
        store.put_bytes(key, buffer.getvalue(), "application/vnd.apache.parquet")
    else:
        store.remove(key)
    return MemberPart(fingerprint=fingerprint if settled else None, rows=part.height, sources=lines,
                      landed=landed, part_sha256=digest, formulas=formula_columns(part))


def _no_missing_key(frame: pl.DataFrame, primary_key: tuple[str, ...], offered: Offered) -> None:
    for column in primary_key:
        missing = frame[column].is_null().arg_true()
        if len(missing):
            raise PoolingError(f"{offered.dataset}/{offered.file}: row {int(missing[0]) + 1}, column {column}: "
                               "empty, but it is part of the pooled table's primary key")
