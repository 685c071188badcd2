"""Pooling: merge the staged files that the committee declared for a pooled table."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field

import polars as pl

from catalog.pooled import PooledTable, PoolingError, conform, own_rows, pool
from connectors.objectstore import ObjectStore, object_key
from connectors.tabular import safe_csv
from pipelines.gathering import manifest_key
from pipelines.staging import read_staged, staged_key


@dataclass
class PoolingResult:
    table: str
    rows: int = 0
    members: list[str] = field(default_factory=list)
    changed: bool = False
    sha256: str = ""
    rejected: list[str] = field(default_factory=list)  # "file: reason"


def pooled_key(table: PooledTable, suffix: str) -> str:
    return object_key("pooled", f"{table.name}.{suffix}")


def pool_members(store: ObjectStore, members: dict[str, str | None], table: PooledTable) -> PoolingResult:
    """`members` maps each member slug to its INSEE code (None for an EPCI or a syndicate)."""
    result = PoolingResult(table=table.name)
    parts: list[pl.DataFrame] = []
    for member, insee in members.items():
        manifest = store.get_json(manifest_key(member), default={"datasets": {}})
        for dataset, entry in sorted(manifest["datasets"].items()):
            override = entry.get("override") or {}
            # Members-only data never reaches the public pooled dataset.
            if (entry.get("status") != "present" or override.get("pooled_as") != table.name
                    or override.get("access") == "members"):
                continue
            for resource in sorted(entry["resources"]):
                report = store.get_json(staged_key(member, dataset, resource, "json"))
                if not report or report["decision"] != "publish":
                    continue
                try:
                    frame = read_staged(store, member, dataset, resource)
                    part = conform(frame, table, f"{dataset}/{report['name']}", member)
                    parts.append(own_rows(part, insee, f"{dataset}/{report['name']}"))
                except PoolingError as exc:
                    result.rejected.append(str(exc))
                    continue
                if member not in result.members:
                    result.members.append(member)
    pooled = pool(parts, table)
    result.rows = pooled.height
    parquet = io.BytesIO()
    pooled.write_parquet(parquet, compression="zstd")
    data = parquet.getvalue()
    # Parquet bytes embed no timestamp, so equal tables give equal digests.
    result.sha256 = hashlib.sha256(data).hexdigest()
    previous = store.get_json(pooled_key(table, "json"), default={})
    if previous.get("sha256") != result.sha256:
        store.put_bytes(pooled_key(table, "parquet"), data, "application/vnd.apache.parquet")
        store.put_bytes(pooled_key(table, "csv"), safe_csv(pooled), "text/csv")
        store.put_json(pooled_key(table, "json"), {"sha256": result.sha256, "rows": result.rows,
                                                   "members": result.members})
        result.changed = True
    return result
