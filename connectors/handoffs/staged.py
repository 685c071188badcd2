"""What staging hands on: the report beside each staged file (`staged/.../<resource>.json`).

It records what the staged files were made from (the raw bytes' sha256, the committee's
decisions) and what they hold (rows, columns, validation, personal data, the verdict), and
the sha256 of each rendering written: pooling and publication decide from it without
reading the files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from connectors.handoffs.bucket import Bucket
from connectors.handoffs.layout import staged_key

# publish; withheld: the committee keeps it out (`withhold`); blocked: personal data that
# nobody decided on.
Decision = Literal["publish", "withheld", "blocked"]


@dataclass
class StagedReport:
    source_sha256: str  # the landed bytes it was staged from
    source_key: str
    name: str | None  # the resource's file name at the source
    normalisation: dict  # what reading the file found and did (connectors.tabular)
    rows: int
    columns: list[str]
    dropped_columns: list[str]
    pseudonymised_columns: list[str]
    validation: dict | None  # summary against the declared schema; None without one
    personal_data: list[dict]  # column, kind, count, examples
    decision: Decision
    exemption: str | None  # the committee's reasons, as the committee file gives them
    withhold: str | None
    decisions: str | None = None  # fingerprint of the decisions and rules it was staged under
    written_sha256: dict[str, str] | None = None  # key -> sha256 of each file written (None: older report)
    temporal: dict | None = None  # {"start", "end"}: the period its date columns cover (catalog/temporal.py)

    @classmethod
    def read(cls, store: Bucket, member: str, dataset: str, resource: str) -> StagedReport | None:
        """The report of one resource; None when it was never staged."""
        record = store.get_json(staged_key(member, dataset, resource, "json"))
        return None if record is None else cls.from_dict(record)

    @classmethod
    def read_listed(cls, store: Bucket, member: str, dataset: str, resource: str) -> StagedReport:
        """The report of a resource a listing of the bucket showed: one request, where
        `read` asks first whether it exists (publication reads every report of a member)."""
        return cls.from_dict(json.loads(store.get_bytes(staged_key(member, dataset, resource, "json"))))

    def write(self, store: Bucket, member: str, dataset: str, resource: str) -> None:
        store.put_json(staged_key(member, dataset, resource, "json"), self.as_dict())

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, record: dict) -> StagedReport:
        return cls(**{name: record.get(name) for name in cls.__dataclass_fields__})
