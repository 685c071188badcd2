"""TableSchema descriptors as published on schema.data.gouv.fr.

A schema is read once into frozen dataclasses; the validator never looks at
the raw JSON again. Only what validation needs is kept, plus the descriptor
itself for the catalogue.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

FIELD_TYPES = frozenset(
    {
        "string",
        "number",
        "integer",
        "boolean",
        "date",
        "datetime",
        "time",
        "year",
        "yearmonth",
        "duration",
        "geopoint",
        "array",
        "object",
        "any",
    }
)
DEFAULT_TRUE_VALUES = ("true", "True", "TRUE", "1")
DEFAULT_FALSE_VALUES = ("false", "False", "FALSE", "0")


class SchemaError(ValueError):
    """A schema descriptor that cannot be used; the message names the source and field."""


@dataclass(frozen=True)
class Field:
    name: str
    type: str = "string"
    format: str = "default"
    title: str | None = None
    example: str | None = None
    required: bool = False
    unique: bool = False
    pattern: str | None = None
    enum: tuple[Any, ...] | None = None
    minimum: Any = None
    maximum: Any = None
    exclusive_minimum: Any = None
    exclusive_maximum: Any = None
    min_length: int | None = None
    max_length: int | None = None
    missing_values: tuple[str, ...] | None = None  # None: the schema's own list
    true_values: tuple[str, ...] = DEFAULT_TRUE_VALUES
    false_values: tuple[str, ...] = DEFAULT_FALSE_VALUES
    decimal_char: str = "."
    group_char: str = ""
    bare_number: bool = True

    @property
    def label(self) -> str:
        """How a producer knows the field: its title, else its name."""
        return self.title.strip() if self.title and self.title.strip() else self.name


@dataclass(frozen=True)
class CustomCheck:
    """A Validata custom check (`custom_checks` in SCDL schemas): a name and its params."""

    name: str
    params: dict[str, Any]


@dataclass(frozen=True)
class TableSchema:
    name: str
    version: str | None
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...] = ()
    missing_values: tuple[str, ...] = ("",)
    custom_checks: tuple[CustomCheck, ...] = ()
    title: str | None = None
    descriptor: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def get_field(self, name: str) -> Field:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def text_fields(self) -> tuple[str, ...]:
        """Fields the file must keep as written: in a string field declared `^(\\d+|N/A)$`,
        "N/A" is a value, not a missing number, so the reader must not type or blank it."""
        return tuple(f.name for f in self.fields if f.type == "string")


def load_schema(source: dict[str, Any] | str | Path) -> TableSchema:
    """Read a TableSchema from a dict, a JSON text or a local JSON file.

    URLs are refused here: remote schemas go through the hub's safe fetcher
    first, and the caller hands the downloaded text or dict.
    """
    where, descriptor = _read_descriptor(source)
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("fields"), list):
        raise SchemaError(f"{where}: a TableSchema needs a 'fields' list")
    fields = tuple(_read_field(raw, where, index) for index, raw in enumerate(descriptor["fields"]))
    names = [f.name for f in fields]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SchemaError(f"{where}: field names declared twice: {', '.join(duplicates)}")
    primary_key = descriptor.get("primaryKey") or ()
    primary_key = (primary_key,) if isinstance(primary_key, str) else tuple(primary_key)
    unknown_keys = [key for key in primary_key if key not in names]
    if unknown_keys:
        raise SchemaError(f"{where}: primaryKey names unknown fields: {', '.join(unknown_keys)}")
    checks = tuple(_read_check(raw, where) for raw in descriptor.get("custom_checks") or ())
    version = descriptor.get("version")
    return TableSchema(
        name=str(descriptor.get("name") or _name_from(where)),
        version=str(version) if version is not None else None,
        title=descriptor.get("title"),
        fields=fields,
        primary_key=primary_key,
        missing_values=tuple(str(v) for v in descriptor.get("missingValues", [""])),
        custom_checks=checks,
        descriptor=descriptor,
    )


def _read_descriptor(source: dict[str, Any] | str | Path) -> tuple[str, Any]:
    if isinstance(source, dict):
        return "schema", source
    if isinstance(source, str) and source.lstrip().startswith("{"):
        return "schema", _parse_json(source, "schema text")
    text = str(source)
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text):
        raise SchemaError(f"{text}: fetch remote schemas with the hub's fetcher, then load the text")
    path = Path(source)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise SchemaError(f"{path}: cannot read schema ({error.strerror})") from error
    return str(path), _parse_json(raw, str(path))


def _parse_json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise SchemaError(f"{where}: invalid JSON at line {error.lineno}: {error.msg}") from error


def _name_from(where: str) -> str:
    return Path(where).stem if where != "schema" else "schema"


def _read_field(raw: Any, where: str, index: int) -> Field:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise SchemaError(f"{where}: field #{index + 1} has no name")
    name = raw["name"]
    kind = raw.get("type", "string")
    if kind not in FIELD_TYPES:
        raise SchemaError(f"{where}: field {name!r} has unknown type {kind!r}")
    constraints = raw.get("constraints") or {}
    pattern = constraints.get("pattern")
    if pattern is not None:
        _check_pattern(pattern, f"{where}: field {name!r}")
    enum = constraints.get("enum")
    missing = raw.get("missingValues")
    example = raw.get("example")
    return Field(
        name=name,
        type=kind,
        format=raw.get("format") or "default",
        title=raw.get("title"),
        example=str(example) if example is not None else None,
        required=bool(constraints.get("required", False)),
        unique=bool(constraints.get("unique", False)),
        pattern=pattern,
        enum=tuple(enum) if enum is not None else None,
        minimum=constraints.get("minimum"),
        maximum=constraints.get("maximum"),
        exclusive_minimum=constraints.get("exclusiveMinimum"),
        exclusive_maximum=constraints.get("exclusiveMaximum"),
        min_length=constraints.get("minLength"),
        max_length=constraints.get("maxLength"),
        missing_values=tuple(str(v) for v in missing) if missing is not None else None,
        true_values=tuple(raw.get("trueValues", DEFAULT_TRUE_VALUES)),
        false_values=tuple(raw.get("falseValues", DEFAULT_FALSE_VALUES)),
        decimal_char=raw.get("decimalChar", "."),
        group_char=raw.get("groupChar", ""),
        bare_number=bool(raw.get("bareNumber", True)),
    )


def _check_pattern(pattern: str, where: str) -> None:
    """Refuse a pattern the vectorised engine (Rust regex: no look-around) cannot run."""
    try:
        re.compile(pattern)
        pl.select(pl.lit("").str.contains(pattern))
    except (re.error, pl.exceptions.ComputeError) as error:
        first_line = str(error).splitlines()[0]
        raise SchemaError(f"{where} has a pattern that cannot be used: {first_line}") from error


def _read_check(raw: Any, where: str) -> CustomCheck:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise SchemaError(f"{where}: a custom check has no name")
    params = raw.get("params") or {}
    if not isinstance(params, dict):
        raise SchemaError(f"{where}: custom check {raw['name']!r} has params that are not an object")
    return CustomCheck(name=raw["name"], params=params)
