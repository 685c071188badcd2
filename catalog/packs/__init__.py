"""Use-case packs: a pooled table and its lead dashboards, declared as data.

A pack is a folder (`catalog/packs/<name>/`, or one of the committee's own) holding a
`pack.yaml` and, usually, the common schema it pools (with its provenance in the
folder's SOURCES.md). The YAML says which schema, the pooled table's primary key, the
column that says whose row it is (tenancy), the measures as SQL expressions, derived
views as SQL, and the dashboard: charts and layout, with French titles and formats.
Nothing about a use case is written in Python: the pooling, the warehouse, the
catalogue and Superset read this model. `docs/packs.md` documents the format.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from catalog.committee import describe_error
from catalog.themes import check_theme
from catalog.vocabularies import frequency_iri

BUILTIN = Path(__file__).resolve().parent
# A PostgreSQL identifier without quoting; 30 characters, so that `<pack>__<view>` stays
# within PostgreSQL's 63 (longer names are cut silently).
NAME = re.compile(r"^[a-z][a-z0-9_]{1,29}$")
D3_FORMAT = re.compile(r"^[,.~$%+\-#0-9a-zA-Z ()]*$")
HUB_COLUMNS = ("membre", "collectivite", "jeu_source", "recu_le")  # added to every pooled row


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _name(value: str) -> str:
    if not NAME.match(value):
        raise ValueError(f"{value!r} is not a name: 2-30 characters among a-z, 0-9 and '_', starting with a letter")
    return value


class RemoteSchema(_Strict):
    """A schema of schema.data.gouv.fr (or any https URL), pinned to one version."""

    url: str
    version: str

    @field_validator("url")
    @classmethod
    def _https(cls, value: str) -> str:
        if not re.match(r"^https://[^\s/]+/", value):
            raise ValueError(f"{value!r} is not an https URL of a TableSchema")
        return value


class Tenancy(_Strict):
    """Which column says whose row it is: a commune's INSEE code, or a SIREN/SIRET.

    It drives everything about access: a member's file only brings rows about itself,
    and a lead's warehouse view and Superset rules keep its members' rows only."""

    column: str
    kind: Literal["insee", "siren", "siret"]


class Column(_Strict):
    """How a column reads on screen: its French label and, for numbers, a d3 format."""

    label: str
    format: str | None = None

    @field_validator("format")
    @classmethod
    def _d3(cls, value: str | None) -> str | None:
        return value if value is None else _d3_format(value)


def _d3_format(value: str) -> str:
    if not D3_FORMAT.match(value):
        raise ValueError(f"{value!r} is not a d3 number format (e.g. ',.0f', '.1%', '$,.0f' for euros)")
    return value


class Measure(_Strict):
    name: str
    label: str
    sql: str  # an aggregate SQL expression over the dataset's columns
    format: str = ",.0f"  # d3-format, rendered with the French locale

    _n = field_validator("name")(_name)

    _f = field_validator("format")(_d3_format)


class View(_Strict):
    """A derived dataset: SQL over `{table}`, which each lead reads as its own rows only."""

    name: str
    title: str
    sql: str
    time_column: str | None = None
    measures: tuple[Measure, ...] = ()

    _n = field_validator("name")(_name)

    @field_validator("sql")
    @classmethod
    def _reads_table(cls, value: str) -> str:
        if "{table}" not in value:
            raise ValueError("a view's SQL must read `{table}` (the lead's rows of the pooled table)")
        if ";" in value.strip().rstrip(";"):
            raise ValueError("a view is one SELECT statement: no ';' inside")
        return value


class Chart(_Strict):
    name: str
    type: Literal["big_number", "time_series", "bar", "table"]
    title: str
    dataset: str | None = None  # a view's name; the pooled table when absent
    metrics: tuple[str, ...] = ()  # measure names
    group_by: tuple[str, ...] = ()  # columns (series of a time series, rows of a table)
    x: str | None = None  # bar: the category column
    columns: tuple[str, ...] = ()  # table without metrics: the columns shown, row by row
    order_by: str | None = None  # a metric or column; descending unless `ascending`
    ascending: bool = False
    row_limit: int = Field(default=1000, ge=1, le=50000)
    format: str | None = None  # overrides the first metric's format on the axis
    time_format: str | None = None  # d3 strftime; default "%b %Y" on axes, "%d/%m/%Y" in tables
    time_grain: Literal["PT1H", "P1D", "P1W", "P1M", "P1Y"] = "P1M"  # time series: one point per...

    _n = field_validator("name")(_name)

    @model_validator(mode="after")
    def _shape(self) -> Chart:
        need_metric = {"big_number": 1, "time_series": 1, "bar": 1}
        if self.type in need_metric and not self.metrics:
            raise ValueError(f"a {self.type} chart needs `metrics` (at least one measure name)")
        if self.type == "big_number" and len(self.metrics) != 1:
            raise ValueError("a big_number chart shows exactly one metric")
        if self.type == "bar" and not self.x:
            raise ValueError("a bar chart needs `x`: the category column")
        if self.type == "table" and not (self.metrics or self.columns):
            raise ValueError("a table chart needs `metrics` (aggregated by `group_by`) or `columns` (raw rows)")
        return self


class Dashboard(_Strict):
    title: str
    filter_column: str = "collectivite"  # the commune filter, on every dataset of the pack
    filter_label: str = "Commune"
    charts: tuple[Chart, ...] = Field(min_length=1)
    layout: tuple[tuple[str, ...], ...]  # rows of chart names, left to right

    @model_validator(mode="after")
    def _layout(self) -> Dashboard:
        names = [c.name for c in self.charts]
        if len(set(names)) != len(names):
            raise ValueError("two charts share a name")
        placed = [n for row in self.layout for n in row]
        for index, row in enumerate(self.layout):
            if not 1 <= len(row) <= 4:
                raise ValueError(f"layout[{index}] holds {len(row)} charts: put 1 to 4 on a row")
            for name in row:
                if name not in names:
                    raise ValueError(f"layout[{index}] names {name!r}, which is not a chart of this dashboard")
        missing = [n for n in names if n not in placed]
        if missing or len(placed) != len(set(placed)):
            raise ValueError(f"every chart goes exactly once in the layout (not placed: {', '.join(missing) or '-'})")
        return self


class Pack(_Strict):
    name: str
    title: str
    description: str
    schema_: str | RemoteSchema = Field(alias="schema")  # a file of the pack's folder, or pinned URL
    # Where the schema is published, when its file is a copy that does not say (no `path`):
    # the IRI its datasets conform to (dct:conformsTo).
    schema_url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    primary_key: tuple[str, ...] = ()  # defaults to the schema's primaryKey
    tenancy: Tenancy
    time_column: str | None = None
    tags: tuple[str, ...] = ()
    theme: str | None = None  # EU data theme code, e.g. ENVI, GOVE, EDUC (catalog/themes.py)
    # How often the members' files change: an EU frequency code or word (ANNUAL, MONTHLY,
    # mensuel...; catalog/vocabularies.py), the dcat:accrualPeriodicity of its datasets.
    frequency: str | None = None
    measures: tuple[Measure, ...] = ()
    views: tuple[View, ...] = ()
    # Labels and number formats of columns, for the table and its views (the schema's
    # field titles are used for the others).
    columns: dict[str, Column] = Field(default_factory=dict)
    dashboard: Dashboard
    folder: Path = Field(default=BUILTIN, exclude=True)

    _n = field_validator("name")(_name)
    _t = field_validator("theme")(check_theme)

    @field_validator("frequency")
    @classmethod
    def _frequency(cls, value: str | None) -> str | None:
        if value is not None and frequency_iri(value) is None:
            raise ValueError(f"{value!r} is not an update frequency (an EU code such as ANNUAL, MONTHLY, DAILY)")
        return value

    @model_validator(mode="after")
    def _references(self) -> Pack:
        measures = {m.name for m in self.measures}
        views = {v.name: {m.name for m in v.measures} for v in self.views}
        if len(views) != len(self.views):
            raise ValueError("two views share a name")
        times = {None: self.time_column, **{v.name: v.time_column for v in self.views}}
        for index, chart in enumerate(self.dashboard.charts):
            where = f"dashboard.charts[{index}] ({chart.name})"
            if chart.dataset is not None and chart.dataset not in views:
                raise ValueError(f"{where}: dataset {chart.dataset!r} is not a view of this pack")
            if chart.type == "time_series" and not times.get(chart.dataset):
                raise ValueError(f"{where}: a time series needs its dataset's `time_column`")
            known = views[chart.dataset] | measures if chart.dataset else measures
            for metric in chart.metrics:
                if metric not in known:
                    raise ValueError(f"{where}: metric {metric!r} is not a measure of its dataset")
        if isinstance(self.schema_, str) and (Path(self.schema_).is_absolute() or ".." in Path(self.schema_).parts):
            raise ValueError(f"schema {self.schema_!r}: a file of the pack's own folder, or {{url, version}}")
        return self

    def fingerprint(self) -> str:
        """Changes when anything of the pack changes (the YAML or its schema file)."""
        digest = hashlib.sha256(json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True).encode())
        if isinstance(self.schema_, str):
            digest.update((self.folder / self.schema_).read_bytes())
        return digest.hexdigest()[:16]


class PackError(ValueError):
    """A pack that cannot be used; `problems` are `path: message` lines."""

    def __init__(self, where: str, problems: list[str]):
        self.where = where
        self.problems = problems
        super().__init__(f"{where}: " + "; ".join(problems))


def pack_folder(reference: str, base: Path) -> Path:
    """A committee names a built-in pack by its name, or its own pack by a folder path."""
    if NAME.match(reference) and (BUILTIN / reference / "pack.yaml").is_file():
        return BUILTIN / reference
    folder = (base / reference).resolve()
    if not folder.is_relative_to(base.resolve()) and not folder.is_relative_to(BUILTIN):
        raise PackError(reference, ["a pack is a built-in name or a folder beside the committee file"])
    return folder


def load_pack(folder: Path) -> Pack:
    where = str(folder / "pack.yaml")
    try:
        raw = yaml.safe_load((folder / "pack.yaml").read_text(encoding="utf-8"))
    except OSError as exc:
        raise PackError(where, [f"cannot read the pack ({exc.strerror}): a pack is a folder with a pack.yaml"]) from exc
    except yaml.YAMLError as exc:
        raise PackError(where, [f"not valid YAML: {exc}"]) from exc
    if not isinstance(raw, dict):
        raise PackError(where, ["a pack.yaml is a mapping (title, schema, tenancy, dashboard...)"])
    raw.setdefault("name", folder.name)
    try:
        pack = Pack.model_validate({**raw, "folder": folder})
    except ValidationError as exc:
        raise PackError(where, [describe_error(err) for err in exc.errors()]) from exc
    if isinstance(pack.schema_, str) and not (folder / pack.schema_).is_file():
        raise PackError(where, [f"schema: {pack.schema_!r} is not a file of {folder}"])
    return pack


def check_columns(pack: Pack, fields: tuple[str, ...]) -> list[str]:
    """What the pack names that its schema does not have (columns of the pooled table)."""
    known = set(fields) | set(HUB_COLUMNS)
    problems = [f"the schema's field {name!r} is a column the hub adds to every pooled row: rename it"
                for name in fields if name in HUB_COLUMNS]
    if pack.dashboard.filter_column not in known:
        problems.append(f"dashboard.filter_column: {pack.dashboard.filter_column!r} is not in the table")
    for key in (*pack.primary_key, pack.tenancy.column, *([pack.time_column] if pack.time_column else [])):
        if key not in known:
            problems.append(f"{key!r} is not a field of the schema (fields: {', '.join(fields)})")
    for index, chart in enumerate(pack.dashboard.charts):
        if chart.dataset:
            continue  # a view's columns are known once the warehouse has created it
        for column in (*chart.group_by, *chart.columns, *([chart.x] if chart.x else [])):
            if column not in known:
                problems.append(f"dashboard.charts[{index}] ({chart.name}): column {column!r} is not in the table")
    return problems

