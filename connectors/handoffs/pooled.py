"""What pooling hands on: which members' parts make a pack's table (`state.json`), and
which table the single downloads hold (`downloads.json`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.handoffs.bucket import Bucket
from connectors.handoffs.layout import downloads_key, pooled_state_key


@dataclass
class MemberPart:
    """One member's part of a pooled table, and what it was built from."""

    fingerprint: str | None  # of the files, decisions and rules it was built from; None: retry next run
    rows: int
    sources: list[dict]  # the member's lines of sources.csv (catalog.pooled.SourceLine)
    landed: list[dict]  # jeu_de_donnees, sha256, recu_le: when these bytes first landed
    part_sha256: str | None  # of `pooled/<pack>/membres/<member>.parquet`; None without rows
    formulas: list[str] = field(default_factory=list)  # text columns with formula-like cells

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, record: dict) -> MemberPart:
        return cls(fingerprint=record.get("fingerprint"), rows=record.get("rows", 0), sources=record.get("sources", []),
                   landed=record.get("landed", []), part_sha256=record.get("part_sha256"),
                   formulas=record.get("formulas", []))


@dataclass
class PooledState:
    """A pack's pooled table as its parts: the table's identity without reading it."""

    pack: str | None = None  # the pack's fingerprint when pooled
    table: str | None = None  # the table's identity (pooling.table_identity)
    rows: int = 0
    members: dict[str, MemberPart] = field(default_factory=dict)  # in the committee's order
    sources_sha256: str | None = None

    @classmethod
    def read(cls, store: Bucket, pack: str) -> PooledState | None:
        """The pack's state; None before its first pooling."""
        record = store.get_json(pooled_state_key(pack))
        if record is None:
            return None
        return cls(pack=record.get("pack"), table=record.get("table"), rows=record.get("rows", 0),
                   members={slug: MemberPart.from_dict(part) for slug, part in record.get("members", {}).items()},
                   sources_sha256=record.get("sources_sha256"))

    def write(self, store: Bucket, pack: str) -> None:
        store.put_json(pooled_state_key(pack), self.as_dict())

    def as_dict(self) -> dict:
        return {"pack": self.pack, "table": self.table, "rows": self.rows, "sources_sha256": self.sources_sha256,
                "members": {slug: part.as_dict() for slug, part in self.members.items()}}

    def with_rows(self) -> dict[str, MemberPart]:
        """The parts that hold rows, by member."""
        return {slug: part for slug, part in self.members.items() if part.rows}


@dataclass
class Downloads:
    """Which table `<pack>.parquet` and `<pack>.csv` hold, and their sha256."""

    table: str  # the pooled table's identity when they were written
    rows: int
    parquet_sha256: str
    csv_sha256: str
    # {"start", "end"}: the period the table's dates cover; {} when it has no dates, None in older records.
    temporal: dict | None = None

    @classmethod
    def read(cls, store: Bucket, pack: str) -> Downloads | None:
        record = store.get_json(downloads_key(pack))
        return None if record is None else cls(**{name: record.get(name) for name in cls.__dataclass_fields__})

    def write(self, store: Bucket, pack: str) -> None:
        store.put_json(downloads_key(pack), self.as_dict())

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}
