"""Pooling a pack: the staged files members declared for it, merged, member by member.

Object layout under `pooled/<pack>/`:
- `membres/<member>.parquet`: one member's conformed rows (its part);
- `<pack>.parquet`, `<pack>.csv`: the pooled table (what CKAN and the warehouse get);
- `sources.csv`: every file offered, included or excluded with its reason;
- `state.json`: per member, the fingerprint of what its part was built from.

Incremental: a member's fingerprint is computed from its manifest alone (landed bytes'
sha256, committee decisions, staging rules, the pack itself); only members whose
fingerprint changed have their staged files read again. When none changed, nothing
staged or pooled is read and nothing is written.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field

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
from connectors.objectstore import ObjectStore, object_key
from connectors.tabular import safe_csv
from pipelines.gathering import manifest_key
from pipelines.packs import EnabledPack
from pipelines.staging import STAGING_RULES, TABULAR_FORMATS, read_staged, staged_key


@dataclass
class PoolingResult:
    pack: str
    rows: int = 0
    members: list[str] = field(default_factory=list)  # members with rows in the table
    reread: list[str] = field(default_factory=list)  # members whose staged files were read
    changed: bool = False
    sha256: str = ""
    excluded: list[dict] = field(default_factory=list)  # sources lines with statut "exclu"


def pooled_key(pack: str, *names: str) -> str:
    return object_key("pooled", pack, *names)


def contributor(member, pack: EnabledPack) -> Contributor:
    code = member.insee if pack.pack.tenancy.kind == "insee" else member.siren
    return Contributor(member=member.slug, name=member.name, code=code)


def pool_pack(store: ObjectStore, committee: Committee, pack: EnabledPack) -> PoolingResult:
    """Consolidate the members whose files changed, then export the pooled table if needed."""
    result, members, state = consolidate(store, committee, pack)
    if result.reread or set(state.get("members", {})) != set(members) or state.get("pack") != pack.pack.fingerprint():
        export(store, pack, members, result, state.get("sha256"), state.get("csv_sha256"))
    else:
        result.sha256, result.rows = state["sha256"], state["rows"]
    return result


def consolidate(store: ObjectStore, committee: Committee, pack: EnabledPack) -> tuple[PoolingResult, dict, dict]:
    """Rebuild the part of each member whose offered files changed; the others are not read.

    Returns the result so far, the members' new records, and the previous state."""
    result = PoolingResult(pack=pack.name)
    state = store.get_json(pooled_key(pack.name, "state.json"), default={"members": {}})
    previous = state.get("members", {})
    members: dict[str, dict] = {}
    for member in committee.members:
        manifest = store.get_json(manifest_key(member.slug), default={"datasets": {}})
        offered = _offered_files(manifest, pack.name)
        who = contributor(member, pack)
        fingerprint = _fingerprint(pack, who, offered)
        before = previous.get(member.slug)
        if before and before["fingerprint"] == fingerprint:
            members[member.slug] = before
            continue
        result.reread.append(member.slug)
        members[member.slug] = _pool_member(store, pack, who, offered, before, fingerprint)
    for slug in set(previous) - set(members):  # a member that left the committee
        store.remove(pooled_key(pack.name, "membres", f"{slug}.parquet"))
    lines = [SourceLine(**line) for info in members.values() for line in info["sources"]]
    result.excluded = [line.as_dict() for line in lines if line.statut == "exclu"]
    result.members = sorted(m for m, info in members.items() if info["rows"])
    return result, members, state


def export(store: ObjectStore, pack: EnabledPack, members: dict[str, dict], result: PoolingResult,
           previous_sha256: str | None, previous_csv_sha256: str | None = None) -> None:
    """The pooled table from the members' parts (newest landing wins across members too),
    written only when its content changed; the sources list and the state always. The state
    records the sha256 of the three files, which publication compares with CKAN's unread."""
    table = newest_first_wins(
        [pl.read_parquet(io.BytesIO(store.get_bytes(pooled_key(pack.name, "membres", f"{m}.parquet"))))
         for m in result.members], pack.primary_key, table_columns(pack.schema))
    result.rows = table.height
    parquet = io.BytesIO()
    table.write_parquet(parquet, compression="zstd")
    data = parquet.getvalue()
    # Parquet bytes embed no timestamp, so equal tables give equal digests.
    result.sha256 = hashlib.sha256(data).hexdigest()
    result.changed = result.sha256 != previous_sha256
    csv_sha256 = previous_csv_sha256
    if result.changed:
        csv = safe_csv(table)
        csv_sha256 = hashlib.sha256(csv).hexdigest()
        store.put_bytes(pooled_key(pack.name, f"{pack.name}.parquet"), data, "application/vnd.apache.parquet")
        store.put_bytes(pooled_key(pack.name, f"{pack.name}.csv"), csv, "text/csv")
    lines = [line for info in members.values() for line in info["sources"]]
    sources = safe_csv(pl.DataFrame(lines, schema=list(SourceLine.__annotations__)))
    store.put_bytes(pooled_key(pack.name, "sources.csv"), sources, "text/csv")
    store.put_json(pooled_key(pack.name, "state.json"), {
        "pack": pack.pack.fingerprint(), "sha256": result.sha256, "rows": result.rows, "members": members,
        "csv_sha256": csv_sha256, "sources_sha256": hashlib.sha256(sources).hexdigest(),
    })


def _offered_files(manifest: dict, pack: str) -> list[dict]:
    """The member's present resources the committee declared for this pack, from the manifest."""
    files = []
    for dataset, entry in sorted(manifest["datasets"].items()):
        override = entry.get("override") or {}
        if entry.get("status") != "present" or override.get("pooled_as") != pack:
            continue
        for resource, landing in sorted(entry["resources"].items()):
            if landing["format"].upper() not in TABULAR_FORMATS:
                continue  # a PDF notice beside the data is not a file of the table
            files.append({"dataset": dataset, "resource": resource, "sha256": landing["sha256"],
                          "fetched_at": landing["fetched_at"], "name": landing.get("name") or resource,
                          "override": override})
    return files


def _fingerprint(pack: EnabledPack, who: Contributor, offered: list[dict]) -> str:
    # Who the member is too: a new name or a corrected code changes its rows.
    facts = {"pack": pack.pack.fingerprint(), "rules": STAGING_RULES, "who": [who.name, who.code],
             "files": [{k: f[k] for k in ("dataset", "resource", "sha256", "override")} for f in offered]}
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _pool_member(store: ObjectStore, pack: EnabledPack, who: Contributor, offered: list[dict],
                 before: dict | None, fingerprint: str) -> dict:
    # When these bytes first landed: kept from the last pooling while the sha256 is the same.
    landed_before = {(s["jeu_de_donnees"], s["sha256"]): s["recu_le"] for s in (before or {}).get("landed", [])}
    parts, lines, landed, settled = [], [], [], True
    for item in offered:
        landed_at = landed_before.get((item["dataset"], item["sha256"]), item["fetched_at"])
        landed.append({"jeu_de_donnees": item["dataset"], "sha256": item["sha256"], "recu_le": landed_at})
        report = store.get_json(staged_key(who.member, item["dataset"], item["resource"], "json"))
        line = {"membre": who.member, "jeu_de_donnees": item["dataset"], "fichier": item["name"],
                "recu_le": landed_at, "lignes": 0}
        if report is None or report["source_sha256"] != item["sha256"]:
            # Staging failed on these bytes (or has not run): nothing older is pooled in their
            # place, and the member is looked at again on the next run.
            settled = False
            lines.append({**line, "statut": "exclu",
                          "motif": "fichier non normalisé (illisible ?) : voir le rapport du membre"})
            continue
        offer = Offered(member=who.member, dataset=item["dataset"],
                        file=report.get("name") or item["name"], landed_at=landed_at,
                        decision=report["decision"], validation=report.get("validation"),
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
    part = newest_first_wins(parts, pack.primary_key, table_columns(pack.schema))
    key = pooled_key(pack.name, "membres", f"{who.member}.parquet")
    if part.height:
        buffer = io.BytesIO()
        part.write_parquet(buffer, compression="zstd")
        store.put_bytes(key, buffer.getvalue(), "application/vnd.apache.parquet")
    else:
        store.remove(key)
    return {"fingerprint": fingerprint if settled else None, "rows": part.height, "sources": lines,
            "landed": landed}


def _no_missing_key(frame: pl.DataFrame, primary_key: tuple[str, ...], offered: Offered) -> None:
    for column in primary_key:
        missing = frame[column].is_null().arg_true()
        if len(missing):
            raise PoolingError(f"{offered.dataset}/{offered.file}: row {int(missing[0]) + 1}, column {column}: "
                               "empty, but it is part of the pooled table's primary key")
