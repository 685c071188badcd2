"""What gathering hands on: a member's manifest, its dataset entries and their landings.

The manifest (`raw/<member>/manifest.json`) is the harvest bookkeeping: each dataset's
remote record, status, and the latest landing of each of its resources. Staging, pooling
and publication read it; only gathering writes it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from connectors.handoffs.bucket import Bucket
from connectors.handoffs.layout import manifest_key

Status = Literal["present", "missing", "archived"]


@dataclass
class Failure:
    """What failed, where, why and when: what the member's contact is told."""

    what: Literal["source", "dataset", "resource"]
    where: str  # masked URL, or dataset slug
    why: str  # names the URL
    when: str
    dataset: str | None = None  # the hub's dataset slug, for a resource

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict) -> Failure:
        return cls(**{name: record.get(name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Landing:
    """Provenance of the raw bytes of one resource, as last seen."""

    member: str
    dataset: str  # the hub's dataset slug
    resource: str  # the hub's resource slug
    source_url: str  # masked: no token or password in it
    fetched_at: str  # ISO 8601, UTC: the last request for these bytes (kept when not fetched)
    http_status: int | str  # 200, 304, or "unchanged-by-listing" when nothing was requested
    etag: str | None  # the HTTP validators of the last answer with them
    last_modified: str | None
    size: int
    sha256: str
    key: str  # raw object key
    format: str
    changed: bool  # False when the bytes are the ones already landed
    name: str | None = None  # the resource's file name or title at the source
    declared: dict[str, Any] | None = None  # what the listing said: see `connectors.landing.declared_facts`
    detected_by: str | None = None  # the step that decided: unchanged-by-listing, not-modified, size...
    checked_at: str | None = None  # ISO 8601, UTC: this landing's run

    def as_record(self) -> dict:
        # Shallow: the values are JSON-ready already, and a deep copy per resource is paid
        # on every run, changed or not.
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_record(cls, record: dict) -> Landing:
        """A landing as the manifest keeps it; facts an older hub did not record are None."""
        return cls(**{name: record.get(name) for name in cls.__dataclass_fields__})


@dataclass
class DatasetEntry:
    """One dataset of a member, as the manifest keeps it across runs."""

    first_seen: str | None = None  # ISO 8601
    status_since: str | None = None
    status: Status | None = None  # None only for an entry not listed yet
    last_seen: str | None = None
    source: int | None = None  # index of the member's source that lists it
    remote: dict | None = None  # the source's record (connectors.records.RemoteDataset), URLs masked
    override: dict | None = None  # the committee's decisions for it (catalog.committee.DatasetOverride)
    errors: list[Failure] = field(default_factory=list)  # this run's failures on its resources
    resources: dict[str, Landing] = field(default_factory=dict)  # by the hub's resource slug

    @property
    def title(self) -> str | None:
        return (self.remote or {}).get("title")

    def as_dict(self) -> dict:
        return {
            "first_seen": self.first_seen, "status_since": self.status_since, "status": self.status,
            "last_seen": self.last_seen, "source": self.source, "remote": self.remote, "override": self.override,
            "errors": [failure.as_dict() for failure in self.errors],
            "resources": {slug: landing.as_record() for slug, landing in self.resources.items()},
        }

    @classmethod
    def from_dict(cls, record: dict) -> DatasetEntry:
        return cls(
            first_seen=record.get("first_seen"), status_since=record.get("status_since"),
            status=record.get("status"), last_seen=record.get("last_seen"), source=record.get("source"),
            remote=record.get("remote"), override=record.get("override"),
            errors=[Failure.from_dict(error) for error in record.get("errors") or ()],
            resources={slug: Landing.from_record(landing) for slug, landing in (record.get("resources") or {}).items()},
        )


@dataclass
class Manifest:
    """A member's gathering bookkeeping: its datasets by the hub's slug, the last run's failures."""

    member: str
    datasets: dict[str, DatasetEntry] = field(default_factory=dict)
    gathered_at: str | None = None  # None: never gathered
    failures: list[Failure] = field(default_factory=list)

    @classmethod
    def read(cls, store: Bucket, member: str) -> Manifest:
        """The member's manifest; an empty one when it was never gathered."""
        record = store.get_json(manifest_key(member))
        return cls(member=member) if record is None else cls.from_dict(member, record)

    def write(self, store: Bucket) -> None:
        # Compact JSON: an indented dump cannot use the C encoder, and the manifest of a
        # member with a thousand datasets is written on every run.
        data = json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
        store.put_bytes(manifest_key(self.member), data.encode(), "application/json")

    def as_dict(self) -> dict:
        return {"member": self.member, "gathered_at": self.gathered_at,
                "failures": [failure.as_dict() for failure in self.failures],
                "datasets": {slug: entry.as_dict() for slug, entry in self.datasets.items()}}

    @classmethod
    def from_dict(cls, member: str, record: dict) -> Manifest:
        return cls(
            member=record.get("member") or member,
            datasets={slug: DatasetEntry.from_dict(entry) for slug, entry in record.get("datasets", {}).items()},
            gathered_at=record.get("gathered_at"),
            failures=[Failure.from_dict(failure) for failure in record.get("failures") or ()],
        )
