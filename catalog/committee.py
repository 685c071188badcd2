"""The committee configuration: who the members are, what they publish, who leads whom.

One YAML file, validated by this typed model (`tdh check FILE`). Secrets never appear in
it: a source that needs credentials names the environment variable that holds them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from catalog.governance import Governance
from catalog.identifiers import is_insee_commune, is_siren
from catalog.themes import check_theme
from connectors.http import mask_url

# Slugs end up in CKAN names, S3 keys and Dagster partition keys: no comma, no slash, no dot.
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{1,60}$")
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{2,}$")
# A committee of 1,000 members naming 10 files each is 2.3 MB (benchmarks/scale.py), read
# and checked in 1.9 s; past this bound a file is a mistake or an attack, not a committee.
MAX_COMMITTEE_BYTES = 8 * 1024 * 1024
# The demo nests 8 levels deep; composers recurse per level, so depth is refused from the
# parser's events before any node is built (`_strict_load`).
MAX_NESTING = 20
# Any URL with a userinfo part (`user:pass@` or `user@`) before its host.
URL_WITH_USERINFO = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#\s]*@")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_email(value: str) -> str:
    if not re.match(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


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
    # The committee keeps the dataset out of the catalogue (the reason): personal data it
    # knows about and will not publish. Undeclared personal data stops the member's publication.
    withhold: str | None = None
    theme: str | None = None  # EU data theme code (catalog/themes.py); else the pack's, if pooled
    drop_columns: tuple[str, ...] = ()
    pseudonymise_columns: tuple[str, ...] = ()
    # Purpose, GDPR legal basis, retention, personal-data verdict, over the committee's
    # default. Metadata only: read from the committee when publishing, left out of the
    # decisions the manifest records, so changing it re-stages nothing.
    governance: Governance | None = Field(default=None, exclude=True)

    _t = field_validator("theme")(check_theme)


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
    allow_private_network: bool = False  # only for stand-ins and intranet portals: the source's own origin
    # Other private origins (scheme://host:port) the source's files are served from, e.g. an
    # intranet CKAN whose files sit on a file server; each must be named.
    private_origins: tuple[str, ...] = ()
    datasets: dict[str, DatasetOverride] = Field(default_factory=dict)
    stations: tuple[Station, ...] = ()  # hubeau: the stations followed (dataset ids: their codes)
    days: int = Field(default=7, ge=1, le=30)  # hubeau: observation window, in days
    # hubeau: a fixed end of the window (replays, the demo's frozen data); None: the run's time
    window_end: datetime | None = None

    @field_validator("private_origins")
    @classmethod
    def _origins(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            if not re.fullmatch(r"https?://[^/?#@\s]+", value.strip()):
                raise ValueError(f"{value!r}: an origin is scheme://host[:port], nothing after")
        return values

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

    _contact = field_validator("contact")(check_email)

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
    # The SIREN of the body that runs the committee (often its intercommunalité): the
    # publisher IRI of the pooled datasets (catalog/packages.py).
    siren: str | None = None
    members: Annotated[tuple[Member, ...], Field(min_length=1)]
    leads: tuple[Lead, ...] = ()
    # Use-case packs pooled for this committee: built-in names (catalog/packs/<name>) or
    # folders of the committee's own, relative to the committee file.
    packs: tuple[str, ...] = ()
    # The governance of every dataset that does not state its own (catalog/governance.py).
    governance: Governance | None = None

    _slug = field_validator("slug")(_check_slug)

    @field_validator("siren")
    @classmethod
    def _siren(cls, value: str | None) -> str | None:
        return value if value is None else Member._siren(value)

    @model_validator(mode="after")
    def _references(self) -> Committee:
        slugs = [m.slug for m in self.members]
        seen: set[str] = set()
        for slug in slugs:
            if slug in seen:
                raise ValueError(f"member slug {slug!r} is used twice")
            seen.add(slug)
        for field, label in (("siren", "SIREN"), ("insee", "INSEE code")):
            first: dict[str, int] = {}
            for i, member in enumerate(self.members):
                value = getattr(member, field)
                if value is not None and first.setdefault(value, i) != i:
                    raise ValueError(
                        f"members[{i}].{field} {value!r} is also the {label} of members[{first[value]}]"
                        f" ({self.members[first[value]].slug}): each member has its own"
                    )
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
    raw = read_yaml(path)
    try:
        return Committee.model_validate(raw)
    except ValidationError as exc:
        # `from None`: pydantic's own text repeats each input value, a misplaced secret included.
        raise ConfigError(path, [describe_error(err) for err in exc.errors()]) from None


def read_yaml(path: Path) -> object:
    """A YAML file of the committee's folder, read as strictly as the committee file
    itself (size, UTF-8, no repeated key, alias or deep nesting, no credentials in URLs)."""
    try:
        raw = _strict_load(_committee_text(path))
    except OSError as exc:
        raise ConfigError(path, [f"cannot read YAML: {exc}"]) from exc
    except _Refused as exc:
        raise ConfigError(path, [str(exc)]) from None
    except yaml.MarkedYAMLError as exc:
        # Without PyYAML's snippet of the line: it could show a secret pasted there.
        where = f"line {exc.problem_mark.line + 1}: " if exc.problem_mark else ""
        what = ", ".join(part for part in (exc.context, exc.problem) if part)
        raise ConfigError(path, [f"{where}cannot read YAML: {what}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError(path, [f"cannot read YAML: {exc}"]) from None
    if leaks := list(_urls_with_credentials(raw, "")):
        raise ConfigError(path, leaks)
    return raw


def _committee_text(path: Path) -> str:
    if (size := path.stat().st_size) > MAX_COMMITTEE_BYTES:
        raise ConfigError(path, [f"{size:,} bytes: a committee file is at most {MAX_COMMITTEE_BYTES:,} bytes"])
    with path.open("rb") as file:  # bounded again: the file may grow after stat
        data = file.read(MAX_COMMITTEE_BYTES + 1)
    if len(data) > MAX_COMMITTEE_BYTES:
        raise ConfigError(path, [f"over {MAX_COMMITTEE_BYTES:,} bytes: a committee file is at most that"])
    try:
        return data.decode("utf-8-sig")  # a BOM, as Windows editors write, is fine
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        looks = "UTF-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "Windows-1252/Latin-1"
        raise ConfigError(path, [
            f"line {line}: not UTF-8 (the committee file must be saved as UTF-8; it looks like {looks})"
        ]) from None


class _Refused(yaml.YAMLError):
    """A committee file construct refused while reading it; the message is the problem."""


# libyaml's parser when PyYAML was built with it (its wheels are): a 1,000-member committee
# file (2.3 MB) loads in 1 s instead of 4 s with the pure-Python one.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _strict_load(text: str) -> object:
    """Safe YAML without the traps: aliases and unbounded nesting are refused from the
    parser's events, before any node is built (the composer would follow them), then
    repeated keys while the mappings are built."""
    depth = 0
    for event in _events(text):
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.AliasEvent):
            # An alias repeats a whole subtree: nine nested ones make a billion nodes.
            raise _Refused(f"line {line}: YAML aliases (*name) are not allowed in a committee file; "
                           "write the value out")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_NESTING:
                raise _Refused(f"line {line}: nested more than {MAX_NESTING} levels deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return yaml.load(text, Loader=_CommitteeLoader)


def _events(text: str) -> Iterator[yaml.Event]:
    try:
        yield from yaml.parse(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        # libyaml stops at its own depth limit (1,000) while reading ahead: the same refusal.
        if "nesting depth" in (exc.problem or "") and exc.problem_mark:
            raise _Refused(f"line {exc.problem_mark.line + 1}: nested more than {MAX_NESTING} levels deep") from None
        raise


class _CommitteeLoader(_Loader):
    """The safe loader refusing repeated keys (aliases and nesting: `_strict_load`)."""

    def construct_mapping(self, node, deep=False):
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue  # SafeConstructor refuses unhashable keys itself
            key = self.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise _Refused(f"line {line}: key {key!r} appears twice in the same mapping "
                               f"(first at line {seen[key]})")
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _urls_with_credentials(value: object, where: str) -> Iterator[str]:
    """`path: message` for every string of the file that is a URL carrying a user or password."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _urls_with_credentials(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _urls_with_credentials(item, f"{where}[{i}]")
    elif isinstance(value, str) and URL_WITH_USERINFO.match(value):
        yield (f"{where or '(top)'}: {mask_url(value)!r} carries credentials in the URL; remove them and "
               "give the NAME of the environment variable holding the key in `credentials_env`")


def describe_error(err: dict) -> str:
    """A pydantic error as `path: message`, the way `tdh check` names faults."""
    where = ""
    for part in err["loc"]:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    message = err["msg"].removeprefix("Value error, ")
    return f"{where or '(top)'}: {message}"
