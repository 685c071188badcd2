"""The packs a committee enables, with their schemas, checked as `tdh check` shows them."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from catalog.committee import Committee, load_committee
from catalog.packs import Pack, PackError, check_columns, load_pack, pack_folder
from catalog.validation import SchemaError, TableSchema, load_schema
from catalog.vocabularies import schema_iri
from pipelines.schemas import cached_remote_schema

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEMO_COMMITTEE = PROJECT_DIR / "demo" / "committee.yaml"


@dataclass(frozen=True)
class EnabledPack:
    pack: Pack
    schema: TableSchema

    @property
    def name(self) -> str:
        return self.pack.name

    @property
    def primary_key(self) -> tuple[str, ...]:
        return self.pack.primary_key or self.schema.primary_key

    @property
    def row_key(self) -> tuple[str, ...]:
        """What identifies a row of the pooled table: the primary key, plus the tenancy
        column when the key lacks it. A member only speaks for its own code, so members'
        rows never share a row key: one member's newer file cannot replace another's row."""
        tenancy = self.pack.tenancy.column
        return self.primary_key if tenancy in self.primary_key else (tenancy, *self.primary_key)

    @property
    def schema_reference(self) -> str:
        """What `conforms_to` says: the schema's IRI (its URL when pinned or written in its
        descriptor, else a URN of its name and version)."""
        if isinstance(self.pack.schema_, str):
            name = self.schema.descriptor.get("name") or self.pack.name
            return schema_iri(self.schema.descriptor, name, self.schema.version)
        return self.pack.schema_.url


def pack_schema(pack: Pack) -> TableSchema:
    if isinstance(pack.schema_, str):
        schema = load_schema(pack.folder / pack.schema_)
        if pack.schema_url and not schema.descriptor.get("path"):
            return load_schema({**schema.descriptor, "path": pack.schema_url})
        return schema
    return cached_remote_schema(pack.schema_.url, pack.schema_.version)


def enabled_packs(committee: Committee, committee_path: Path | str) -> dict[str, EnabledPack]:
    """Every pack the committee enables, loaded and checked; PackError lists all faults."""
    base = Path(committee_path).resolve().parent
    packs: dict[str, EnabledPack] = {}
    problems: list[str] = []
    for index, reference in enumerate(committee.packs):
        where = f"packs[{index}] ({reference})"
        try:
            pack = load_pack(pack_folder(reference, base))
            schema = pack_schema(pack)
        except (PackError, SchemaError) as exc:
            problems.append(f"{where}: {exc}")
            continue
        faults = check_columns(pack, schema.field_names)
        if not (pack.primary_key or schema.primary_key):
            faults.append("primary_key: give one (the schema declares no primaryKey)")
        problems.extend(f"{where}: {fault}" for fault in faults)
        if pack.name in packs:
            problems.append(f"{where}: a pack named {pack.name!r} is enabled twice")
        packs[pack.name] = EnabledPack(pack, schema)
    for m, member in enumerate(committee.members):
        for s, source in enumerate(member.sources):
            for dataset, override in source.datasets.items():
                if override.pooled_as and override.pooled_as not in packs:
                    problems.append(f"members[{m}].sources[{s}].datasets.{dataset}.pooled_as: "
                                    f"{override.pooled_as!r} is not an enabled pack (packs: {', '.join(packs) or '-'})")
    if problems:
        raise PackError(str(committee_path), problems)
    return packs


def committee_path() -> Path:
    return Path(os.environ.get("HUB_COMMITTEE_FILE") or DEMO_COMMITTEE)


def committee_packs(path: Path | str | None = None) -> dict[str, EnabledPack]:
    path = path or committee_path()
    return enabled_packs(read_committee(path), path)


def read_committee(path: Path | str) -> Committee:
    """The committee file, parsed once per version of it in this process: the definitions,
    `tdh run` and every asset ask for it, and a file of 1,000 members takes 1.9 s to read."""
    return _committee(str(path), file_stamp(path))


def file_stamp(path: Path | str) -> tuple[int, int]:
    """A file's version for the caches of this process: its mtime and size."""
    stat = Path(path).stat()
    return stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=4)
def _committee(path: str, stamp: tuple[int, int]) -> Committee:
    # `stamp` (mtime and size) is the cache key's version; the model is frozen, so sharing is safe.
    return load_committee(path)
