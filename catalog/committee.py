"""The committee configuration: who the members are, what they publish, who leads whom.

One YAML file, validated by this typed model (`tdh check FILE`). Secrets never appear in
it: a source that needs credentials names the environment variable that holds them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from catalog.identifiers import is_insee_commune, is_siren

# Slugs end up in CKAN names, S3 keys and Dagster partition keys: no comma, no slash, no dot.
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{1,60}$")
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{2,}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_slug(value: str) -> str:
    if not SLUG.match(value):
        raise ValueError(
            f"{value!r} is not a slug: use 2-61 characters among a-z, 0-9, '-' and '_'"
        )
    return value


class DatasetOverride(_Strict):
    """What the committee decides for one dataset of a source, by its remote id."""

    schema_: str | None = Field(default=None, alias="schema")  # TableSchema path or URL
    licence: str | None = None
    access: Literal["open", "members"] = "open"
    pooled_as: str | None = None  # the pack this dataset feeds, e.g. eau_potable (validated by its schema)
    personal_data_exemption: str | None = None  # the reason, recorded with the decision
    drop_columns: tuple[str, ...] = ()
    pseudonymise_columns: tuple[str, ...] = ()


class FileEntry(_Strict):
    """One plain file URL a member publishes outside any portal."""

    id: str
    url: str
    title: str
    description: str = ""
    format: str | None = None

    _id = field_validator("id")(_check_slug)


# Hub'Eau hydrometric station codes: a letter (the hydrographic zone) then 9 digits.
STATION_CODE = re.compile(r"^[A-Z][0-9]{9}$")


class Station(_Strict):
    """One Hub'Eau hydrometric station a member follows, with its vigilance thresholds."""

    code: str  # e.g. J561301001
    label: str | None = None
    seuil_jaune_mm: float | None = None
    seuil_orange_mm: float | None = None
    seuil_rouge_mm: float | None = None

    @field_validator("code")
    @classmethod
    def _station_code(cls, value: str) -> str:
        if not STATION_CODE.match(value):
            raise ValueError(
                f"{value!r} is not a Hub'Eau station code: an upper-case letter then 9 digits (e.g. J561301001)"
            )
        return value

    @model_validator(mode="after")
    def _increasing_thresholds(self) -> Station:
        named = [("seuil_jaune_mm", self.seuil_jaune_mm), ("seuil_orange_mm", self.seuil_orange_mm),
                 ("seuil_rouge_mm", self.seuil_rouge_mm)]
        given = [(name, value) for name, value in named if value is not None]
        for (lower, low), (upper, high) in zip(given, given[1:], strict=False):
            if not low < high:
                raise ValueError(f"{self.code}: {upper} ({high:g}) must be above {lower} ({low:g})")
        return self


class Source(_Strict):
    type: Literal["ckan", "opendatasoft", "udata", "dcat", "files", "inbox", "hubeau"]
    url: str | None = None  # portal root, catalogue URL; unused for files and inbox
    organization: str | None = None  # CKAN/udata organization, ODS publisher filter
    tags: tuple[str, ...] = ()
    files: tuple[FileEntry, ...] = ()
    credentials_env: str | None = None  # NAME of the env var holding an API key
    allow_private_network: bool = False  # only for stand-ins and intranet portals
    datasets: dict[str, DatasetOverride] = Field(default_factory=dict)
    stations: tuple[Station, ...] = ()  # hubeau: the stations followed (dataset ids: their codes)
    days: int = Field(default=7, ge=1, le=30)  # hubeau: observation window, in days
    # hubeau: a fixed end of the window (replays, the demo's frozen data); None: the run's time
    window_end: datetime | None = None

    @field_validator("window_end")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL (for example https://data.example.fr)")
        return value

    @field_validator("credentials_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not ENV_NAME.match(value):
            raise ValueError(
                "give the NAME of an environment variable (like AURAY_CKAN_KEY), never the secret"
            )
        return value

    @model_validator(mode="after")
    def _options_of_type(self) -> Source:
        if self.type in {"ckan", "opendatasoft", "udata", "dcat"} and not self.url:
            raise ValueError(f"a {self.type} source needs `url`: the portal's root URL")
        if self.type == "udata" and not self.organization:
            raise ValueError("a udata source needs `organization`: the organization's slug or id")
        if self.type == "hubeau" and not self.url:
            raise ValueError("a hubeau source needs `url`: the API root, e.g. https://hubeau.eaufrance.fr")
        if self.type == "hubeau" and not self.stations:
            raise ValueError("a hubeau source needs `stations`: a list of {code, label, seuil_*_mm}")
        codes = [station.code for station in self.stations]
        if len(set(codes)) != len(codes):
            raise ValueError(f"a station is listed twice in `stations`: {', '.join(codes)}")
        if self.type == "files" and not self.files:
            raise ValueError("a files source needs `files`: a list of {id, url, title}")
        for entry in self.files:
            if not re.match(r"^https?://", entry.url):
                raise ValueError(f"files[{entry.id}].url {entry.url!r} is not an http(s) URL")
        return self


class Member(_Strict):
    slug: str
    name: str
    kind: Literal["commune", "epci", "departement", "region", "syndicat", "autre"]
    insee: str | None = None  # communes: code officiel géographique
    siren: str
    contact: str
    sources: tuple[Source, ...] = ()

    _slug = field_validator("slug")(_check_slug)

    @field_validator("siren")
    @classmethod
    def _siren(cls, value: str) -> str:
        if not is_siren(value):
            raise ValueError(
                f"{value!r} is not a valid SIREN (9 digits, Luhn key); see annuaire-entreprises.data.gouv.fr"
            )
        return value

    @field_validator("insee")
    @classmethod
    def _insee(cls, value: str | None) -> str | None:
        if value is not None and not is_insee_commune(value):
            raise ValueError(f"{value!r} is not an INSEE commune code (5 characters, e.g. 56007 or 2A004)")
        return value

    @field_validator("contact")
    @classmethod
    def _email(cls, value: str) -> str:
        if not re.match(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", value):
            raise ValueError(f"{value!r} is not an e-mail address")
        return value

    @model_validator(mode="after")
    def _commune_has_insee(self) -> Member:
        if self.kind == "commune" and not self.insee:
            raise ValueError("a commune needs its `insee` code")
        return self


class Lead(_Strict):
    """A chef de file: carries dashboards for the members in its scope."""

    member: str
    members: tuple[str, ...]
    themes: tuple[str, ...] = ()


class Committee(_Strict):
    slug: str
    name: str
    description: str = ""
    members: Annotated[tuple[Member, ...], Field(min_length=1)]
    leads: tuple[Lead, ...] = ()
    # Use-case packs pooled for this committee: built-in names (catalog/packs/<name>) or
    # folders of the committee's own, relative to the committee file.
    packs: tuple[str, ...] = ()

    _slug = field_validator("slug")(_check_slug)

    @model_validator(mode="after")
    def _references(self) -> Committee:
        slugs = [m.slug for m in self.members]
        seen: set[str] = set()
        for slug in slugs:
            if slug in seen:
                raise ValueError(f"member slug {slug!r} is used twice")
            seen.add(slug)
        for i, lead in enumerate(self.leads):
            for ref in (lead.member, *lead.members):
                if ref not in seen:
                    raise ValueError(f"leads[{i}] names {ref!r}, which is not a member slug")
        return self

    def member(self, slug: str) -> Member:
        return next(m for m in self.members if m.slug == slug)


class ConfigError(Exception):
    """A committee file that cannot be used; `problems` are `path: message` lines."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


def load_committee(path: Path | str) -> Committee:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(path, [f"cannot read YAML: {exc}"]) from exc
    try:
        return Committee.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(path, [describe_error(err) for err in exc.errors()]) from exc


def describe_error(err: dict) -> str:
    """A pydantic error as `path: message`, the way `tdh check` names faults."""
    where = ""
    for part in err["loc"]:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    message = err["msg"].removeprefix("Value error, ")
    return f"{where or '(top)'}: {message}"
