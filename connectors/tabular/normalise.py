"""From a grid of text cells to a typed table, and the account of what was changed.

Each column's type is decided on a sample (its first rows) by counting how many cells
each French writing reads: integers, decimal comma, dd/mm/yyyy dates... Then the whole
column is checked: every non-null cell must parse with the chosen reader (so no value is
silently lost), an integer column must hold no code with a leading zero further down. A
column that fails is profiled again on all its rows. Only the cheap counts run on all
rows: one parse per column, plus a second look at the few columns that need it.

Repeated header lines become empty rows, and rows left with no value are dropped.

In memory, the typed columns are computed once and the checks read them. Streaming (a
file larger than memory), the same checks are aggregates of a lazy scan, then the typed
table is written by polars' streaming engine.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace

import polars as pl

from connectors.tabular import values as v
from connectors.tabular.encoding import MOJIBAKE, repair_double_encoding
from connectors.tabular.names import column_names, snake_case

SAMPLE_ROWS = 2_000
_MOJIBAKE_KEYS = list(MOJIBAKE)
_HEADER = "__tdh_header"
_TYPED = ("boolean", "integer", "number", "date", "datetime")
# Checks that, in memory, read the typed table rather than the text (_Run.typed_counts).
_READ_FROM_TYPED = ("trimmed", "shortest", "float_codes", "mojibake")

Measures = Callable[[str], int]


@dataclass(frozen=True)
class ColumnPlan:
    """What one column becomes, and why."""

    name: str
    original: str
    type: str  # TableSchema vocabulary: string, integer, number, boolean, date, datetime
    trim: bool = True  # cells with spaces around them: trimmed before reading
    decimal_comma: bool = False
    symbols: tuple[str, ...] = v.SYMBOLS  # removed from numbers (spaces, %, €, dots)
    formats: tuple[str, ...] = ()  # date or datetime writings met (values.as_date/as_datetime)
    aware: bool = False
    from_datetimes: bool = False  # a date column written as datetimes at midnight
    identifier: str | None = None  # why a column of digits stays text
    zero_width: int | None = None  # width of the French code whose lost zeros are restored
    repair: bool = False
    keep_text: bool = False
    unseen: bool = False  # no value in the sample: decided on all rows


@dataclass
class Normalisation:
    frame: pl.LazyFrame
    columns: list[dict]
    changes: list[dict]
    rows: int


def change(kind: str, detail: str, column: str | None = None, count: int | None = None) -> dict:
    return {"kind": kind, "column": column, "count": count, "detail": detail}


def normalise_grid(
    grid: pl.LazyFrame,
    originals: Sequence[str | None],
    *,
    header_in_grid: bool,
    keep_text: Collection[str] = (),
    geometry_columns: Sequence[int] = (),
    streaming: bool = False,
    double_encoding_possible: bool = True,
) -> Normalisation:
    """Type a frame of String columns named by position; `originals` are the header cells.

    `header_in_grid`: the header row is the grid's first row (CSV and spreadsheets); it
    and its repetitions further down are dropped. `keep_text` (names as written or in
    snake_case) and `geometry_columns` (positions, GeoJSON) stay text whatever they hold.
    `double_encoding_possible` is false when the file's bytes hold no sequence of
    double-encoded UTF-8, which spares looking for it.
    """
    written = [original or "" for original in originals]
    repaired = [repair_double_encoding(original.strip()) for original in written]
    names = column_names(repaired)
    frame = grid.rename(dict(zip(grid.collect_schema().names(), names, strict=True)))
    if header_in_grid:
        frame = frame.slice(1)
    is_header = _is_header(names, written) if header_in_grid else pl.lit(False)
    wanted = set(keep_text) | {snake_case(name) for name in keep_text}
    text = {i for i, (name, original) in enumerate(zip(names, repaired, strict=True)) if {name, original} & wanted}
    run = _Run(names, written, repaired, text | set(geometry_columns), set(geometry_columns), double_encoding_possible)
    if streaming:
        return run.streamed(frame, is_header, header_in_grid)
    return run.in_memory(frame.collect(), is_header, header_in_grid)


def _is_header(names: list[str], written: list[str]) -> pl.Expr:
    named = [(name, cell) for name, cell in zip(names, written, strict=True) if cell.strip()]
    if not named:
        return pl.lit(False)
    return pl.all_horizontal((pl.col(name) == cell).fill_null(False) for name, cell in named)


def _blank_headers(names: list[str], is_header: pl.Expr) -> list[pl.Expr]:
    return [pl.when(~is_header).then(pl.col(name)).alias(name) for name in names]


@dataclass
class _Run:
    names: list[str]
    written: list[str]  # header cells as read
    originals: list[str]  # header cells trimmed and repaired
    text_columns: set[int]
    geometry_columns: set[int]
    double_encoding_possible: bool

    def in_memory(self, raw: pl.DataFrame, is_header: pl.Expr, header_in_grid: bool):
        headers = raw.select(is_header.sum()).item() if header_in_grid else 0
        if headers:
            raw = raw.with_columns(_blank_headers(self.names, is_header))
        plans = self.sample_plans(raw.head(SAMPLE_ROWS))
        # Every column is typed once; the checks then read the typed table where they can
        # (parsed counts, trimmed cells, shortest code) and the text only where they must.
        texts = raw.with_columns(_stripped(plans))
        typed = texts.select(_apply(replace(plan, repair=False, zero_width=None), stripped=True) for plan in plans)
        text_checks = {
            plan.name: tuple(
                key for key in self.checks(plan) if not key.startswith("parsed") and key not in _READ_FROM_TYPED
            )
            for plan in plans
        }
        measured = _collect(raw.lazy(), text_checks, plans, "auto", parsed=False)
        for plan in plans:
            measured.update(self.typed_counts(plan, raw, typed))
        plans = [_settle(plan, measured) for plan in plans]
        plans, retyped = self.confirm(raw.lazy(), plans, measured, "auto")
        if retyped:
            typed = typed.with_columns(raw.select(_apply(p) for p in plans if p.name in retyped))
        finished = [p for p in plans if p.name not in retyped and (p.repair or p.zero_width)]
        if finished:
            typed = typed.with_columns(_finish_text(pl.col(p.name), p) for p in finished)
        empty_rows = typed.select(_no_value()).to_series()
        dropped = empty_rows.sum()
        if dropped:
            typed = typed.filter(~empty_rows)
        return self.result(typed.lazy(), typed.height, plans, measured, headers, dropped - headers)

    def typed_counts(self, plan: ColumnPlan, raw: pl.DataFrame, typed: pl.DataFrame) -> dict:
        """The counts read from the typed column, with its text beside it."""
        name, column = plan.name, typed.get_column(plan.name)
        if plan.type in _TYPED:
            counts = {"count": raw.get_column(name).count(), "parsed": column.count()}
            if column.dtype == pl.Int64:
                counts |= {"parsed_min": column.min(), "parsed_max": column.max()}
        elif plan.unseen:
            counts = {}
        else:
            counts = {"trimmed": (column != raw.get_column(name)).sum()}
            if plan.zero_width:
                counts["shortest"] = column.str.len_bytes().min()
                counts["float_codes"] = column.str.ends_with(".0").sum()
            if self.double_encoding_possible:
                counts["mojibake"] = column.str.contains_any(_MOJIBAKE_KEYS).sum()
        return {f"{name}\x00{key}": count for key, count in counts.items()}

    def streamed(self, frame: pl.LazyFrame, is_header: pl.Expr, header_in_grid: bool):
        frame = frame.with_columns(is_header.alias(_HEADER))
        if header_in_grid:
            frame = frame.with_columns(_blank_headers(self.names, pl.col(_HEADER)))
        sample = frame.head(SAMPLE_ROWS).select(self.names).collect(engine="streaming")
        plans = self.sample_plans(sample)
        totals = [pl.len().alias("rows"), pl.col(_HEADER).sum().alias("headers")]
        totals.append(_all_null(plans).sum().alias("empty"))
        checks = {plan.name: self.checks(plan) for plan in plans}
        measured = _collect(frame, checks, plans, "streaming", totals=totals)
        plans = [_settle(plan, measured) for plan in plans]
        plans, retyped = self.confirm(frame, plans, measured, "streaming")
        if retyped:
            empty = frame.select(_all_null(plans).sum()).collect(engine="streaming").item()
            measured["empty"] = empty
        typed = frame.with_columns(_stripped(plans)).select(_apply(p, stripped=True) for p in plans)
        typed = typed.filter(~_no_value())
        headers, empty = measured["headers"], measured["empty"]
        rows = measured["rows"] - empty
        return self.result(typed, rows, plans, measured, headers, empty - headers)

    def checks(self, plan: ColumnPlan) -> tuple[str, ...]:
        return _checks(plan, self.double_encoding_possible)

    def sample_plans(self, sample: pl.DataFrame) -> list[ColumnPlan]:
        profiles = {name: _profile(name, self.double_encoding_possible) for name in self.names}
        measured = _collect_by_cell(sample, profiles)
        return [
            _plan(name, original, _getter(measured, name), keep_text=index in self.text_columns)
            for index, (name, original) in enumerate(zip(self.names, self.originals, strict=True))
        ]

    def confirm(
        self, frame: pl.LazyFrame, plans: list[ColumnPlan], measured: dict, engine: str
    ) -> tuple[list[ColumnPlan], set[str]]:
        """Check the sample's plans on all rows; profile again the columns that fail."""
        # A typed column with fewer parsed cells than cells: N/A markers and blanks, or
        # a cell the reader cannot read? Counting the markers tells.
        unclear = {p.name for p in plans if p.type in _TYPED and _parsed_short(p, measured)}
        details = {name: ("values", "present") for name in unclear}
        details.update({p.name: ("zeros",) for p in plans if p.zero_width})
        if details:
            measured.update(_collect(frame, details, (), engine))
        failed = {p.name for p in plans if not _confirmed(p, _getter(measured, p.name))}
        if not failed:
            return plans, set()
        possible = self.double_encoding_possible
        measured.update(_collect(frame, {n: _profile(n, possible) for n in failed}, (), engine))
        replanned = [
            _plan(p.name, p.original, _getter(measured, p.name), keep_text=p.keep_text) if p.name in failed else p
            for p in plans
        ]
        return replanned, failed

    def result(
        self,
        typed: pl.LazyFrame,
        rows: int,
        plans: list[ColumnPlan],
        measured: dict,
        headers: int,
        empty: int,
    ) -> Normalisation:
        columns = [
            {"name": p.name, "original": p.original, "type": "geojson" if index in self.geometry_columns else p.type}
            for index, p in enumerate(plans)
        ]
        changes = _table_changes(headers, empty, self.written, self.originals, self.names)
        for plan in plans:
            changes += _column_changes(plan, _getter(measured, plan.name))
        return Normalisation(typed, columns, changes, rows)


def _all_null(plans: list[ColumnPlan]) -> pl.Expr:
    """On the text cells: the row has no value once typed."""
    return pl.all_horizontal(_apply(plan).is_null() for plan in plans)


def _no_value() -> pl.Expr:
    """On the typed table: the row has no value."""
    return pl.all_horizontal(pl.all().is_null())


def _measures(name: str, plan: ColumnPlan | None = None, width: int | None = None) -> dict[str, Callable[[], pl.Expr]]:
    """Every count the profile and the checks can ask of a column, built on demand.

    The readers and patterns take the trimmed text: blanks and N/A markers match none
    of them, so only `values` needs the markers removed.
    """
    raw = pl.col(name)
    text = raw.str.strip_chars()
    cell = v.present(raw)
    digits = pl.when(text.str.contains(v.DIGITS)).then(text)
    measures: dict[str, Callable[[], pl.Expr]] = {
        "count": lambda: raw.count(),
        "values": lambda: v.without_null_tokens(cell).count(),
        "present": lambda: cell.count(),
        "trimmed": lambda: (cell != raw).sum(),
        "mojibake": lambda: raw.str.contains_any(_MOJIBAKE_KEYS).sum(),
        "leading_zero": lambda: text.str.contains(v.LEADING_ZERO).sum(),
        "corsica": lambda: text.str.contains(v.CORSICA_INSEE).sum(),
        "digits": lambda: digits.count(),
        "digits_min": lambda: digits.str.len_bytes().min(),
        "digits_max": lambda: digits.str.len_bytes().max(),
        "shortest": lambda: cell.str.len_bytes().min(),
        "float_codes": lambda: cell.str.ends_with(".0").sum(),
        "fraction": lambda: text.str.contains(v.FRACTION).sum(),
        "boolean": lambda: v.as_boolean(text).count(),
        "percent": lambda: text.str.ends_with("%").sum(),
        "currency": lambda: text.str.ends_with("€").sum(),
        "midnight": lambda: (v.as_datetime(text).dt.time() == pl.time(0)).sum(),
        "aware": lambda: v.as_datetime(text, ("iso_offset",), aware=True).count(),
    }
    for comma, suffix in ((False, ""), (True, "_comma")):
        measures["integer" + suffix] = lambda c=comma: v.as_integer(text, c).count()
        measures["number" + suffix] = lambda c=comma: v.as_number(text, c).count()
        measures["thousands" + suffix] = lambda c=comma: v.has_thousands_separator(text, c).sum()
    for index, symbol in enumerate(v.SYMBOLS):
        measures[f"symbol_{index}"] = lambda s=symbol: text.str.contains(s, literal=True).sum()
    for writing in v.DATE_FORMATS:
        measures[f"date_{writing}"] = lambda w=writing: v.as_date(text, (w,)).count()
    for writing in ("iso", "french"):
        measures[f"datetime_{writing}"] = lambda w=writing: v.as_datetime(text, (w,)).count()
    if width is not None:
        measures["zeros"] = lambda: (v.restore_zeros(cell, width) != cell).sum()
    if plan is not None:
        parsed = _apply(plan)
        measures["parsed"] = lambda: parsed.count()
        measures["parsed_min"] = lambda: parsed.min()
        measures["parsed_max"] = lambda: parsed.max()
    return measures


def _profile(name: str, double_encoding_possible: bool) -> tuple[str, ...]:
    """The counts that decide a column's plan."""
    skipped = {"count", "shortest", "float_codes"} | (set() if double_encoding_possible else {"mojibake"})
    return tuple(key for key in _measures(name, width=v.code_width(name)) if key not in skipped)


_COLUMNS_PER_QUERY = 32


def _collect(
    frame: pl.LazyFrame,
    wanted: dict[str, Sequence[str]],
    plans: Sequence[ColumnPlan],
    engine: str,
    *,
    totals: Sequence[pl.Expr] = (),
    parsed: bool = True,
) -> dict:
    if engine != "streaming" and len(wanted) > _COLUMNS_PER_QUERY:
        # Polars plans one select of thousands of expressions in more than linear time
        # (1,000 columns: 18.6 s in one query, 8.7 s in groups of 32); on a frame in memory
        # a query per group costs no extra read. A file scan is read once, whatever its width.
        items, found = list(wanted.items()), {}
        for start in range(0, len(items), _COLUMNS_PER_QUERY):
            found.update(_collect(frame, dict(items[start:start + _COLUMNS_PER_QUERY]), plans, engine,
                                  totals=totals if start == 0 else (), parsed=parsed))
        return found
    by_name = {plan.name: plan for plan in plans}
    expressions = list(totals)
    for name, keys in wanted.items():
        plan = by_name.get(name) if parsed else None
        measures = _measures(name, plan, v.code_width(name))
        expressions += [measures[key]().alias(f"{name}\x00{key}") for key in keys]
    if not expressions:
        return {}
    return frame.select(expressions).collect(engine=engine).row(0, named=True)


_COLUMN, _CELL = "\x00column", "\x00cell"


def _collect_by_cell(sample: pl.DataFrame, wanted: dict[str, Sequence[str]]) -> dict:
    """What `_collect` measures, on a frame in memory, as one group-by over its cells.

    The measures are built once per code width (they differ only by it), not once per
    column: for a small file, building and planning a few hundred expressions per column
    cost more than reading it (a 4-column, 40-row file: 20 ms, now a few)."""
    groups: dict[tuple[tuple[str, ...], int | None], list[str]] = {}
    for name, keys in wanted.items():
        groups.setdefault((tuple(keys), v.code_width(name)), []).append(name)
    found: dict = {}
    for (keys, width), names in groups.items():
        cells = sample.select(pl.col(name).cast(pl.String) for name in names).unpivot(
            variable_name=_COLUMN, value_name=_CELL)
        measures = _measures(_CELL, width=width)
        counts = cells.group_by(_COLUMN).agg(measures[key]().alias(key) for key in keys)
        for row in counts.iter_rows(named=True):
            name = row.pop(_COLUMN)
            found.update({f"{name}\x00{key}": count for key, count in row.items()})
    return found


def _getter(measured: dict, name: str) -> Measures:
    return lambda key: measured.get(f"{name}\x00{key}") or 0


def _plan(name: str, original: str, m: Measures, *, keep_text: bool) -> ColumnPlan:
    values = m("values")
    common = {"name": name, "original": original, "repair": m("mojibake") > 0}
    identifier = _identifier_reason(name, m, values)
    if keep_text or values == 0 or identifier:
        width = v.code_width(name) if identifier else None
        # Said in the report only where it matters: digits that would have been numbers.
        numeric = values in (m("integer"), m("number"))
        return ColumnPlan(
            type="string",
            identifier=identifier if numeric else None,
            zero_width=width,
            keep_text=keep_text,
            unseen=values == 0,
            **common,
        )
    # Typed columns are trimmed only when the sample needs it: a cell with spaces further
    # down fails to read, and the check on all rows makes the column trimmed then.
    common |= {"repair": False, "trim": m("trimmed") > 0}
    if m("boolean") == values:
        return ColumnPlan(type="boolean", **common)
    symbols = tuple(s for i, s in enumerate(v.SYMBOLS) if m(f"symbol_{i}"))
    for decimal_comma, suffix in ((False, ""), (True, "_comma")):
        for type_ in ("integer", "number"):
            if m(type_ + suffix) == values:
                return ColumnPlan(type=type_, decimal_comma=decimal_comma, symbols=symbols, **common)
    dates = {writing: m(f"date_{writing}") for writing in v.DATE_FORMATS}
    if sum(dates.values()) == values:
        return ColumnPlan(type="date", formats=_met(dates), **common)
    datetimes = {
        "iso": m("datetime_iso"),
        "french": m("datetime_french"),
        "date": sum(dates.values()),
    }
    if sum(datetimes.values()) + m("aware") == values:
        if m("aware"):
            return ColumnPlan(type="datetime", formats=_met(datetimes), aware=True, **common)
        if m("midnight") == values:
            return ColumnPlan(type="date", formats=_met(datetimes), from_datetimes=True, **common)
        return ColumnPlan(type="datetime", formats=_met(datetimes), **common)
    return ColumnPlan(type="string", **(common | {"repair": m("mojibake") > 0, "trim": True}))


def _met(counts: dict[str, int]) -> tuple[str, ...]:
    return tuple(writing for writing, count in counts.items() if count)


def _identifier_reason(name: str, m: Measures, values: int) -> str | None:
    # A fraction such as 72.9 is never a code, whatever the column's name says.
    if v.identifier_by_name(name) and not m("fraction"):
        return "identifier by its name"
    if m("leading_zero"):
        return "code with leading zeros"
    if m("corsica"):
        return "INSEE code of Corsica (2A/2B)"
    same_width = m("digits_min") == m("digits_max") >= 9
    if values >= 2 and m("digits") == values and same_width:
        return f"code of {m('digits_min')} digits"
    return None


def _checks(plan: ColumnPlan, double_encoding_possible: bool) -> tuple[str, ...]:
    """The counts that confirm a sample's plan on all rows and feed the report."""
    if plan.unseen:
        return ("values",)
    if plan.type == "string":
        keys: tuple[str, ...] = ("trimmed",)
        keys += ("mojibake",) if double_encoding_possible else ()
        if plan.identifier and plan.identifier.startswith("code of"):
            keys += ("values", "digits", "digits_min", "digits_max")
        if plan.zero_width:
            keys += ("shortest", "float_codes")
        return keys
    keys = ("count", "parsed")
    if plan.type == "integer":
        keys += ("parsed_min", "parsed_max", "leading_zero")
    if plan.type in ("integer", "number"):
        # A symbol the plan does not remove makes its cell unreadable: no count needed.
        separators = {*v.SYMBOLS} - {"%", "€"} - ({"."} if not plan.decimal_comma else set())
        if separators & set(plan.symbols):
            keys += ("thousands_comma" if plan.decimal_comma else "thousands",)
        keys += ("percent",) if "%" in plan.symbols else ()
        keys += ("currency",) if "€" in plan.symbols else ()
    if plan.from_datetimes:
        keys += ("midnight",)
    return keys


def _parsed_short(plan: ColumnPlan, measured: dict) -> bool:
    m = _getter(measured, plan.name)
    return m("parsed") != m("count")


def _settle(plan: ColumnPlan, measured: dict) -> ColumnPlan:
    """Repair and restore zeros where all rows need it, not just the sample."""
    if plan.type != "string" or plan.unseen:
        return plan
    m = _getter(measured, plan.name)
    # "1001" for an INSEE code, or "3805449320029.0": a SIRET that went through a float.
    shorter = 0 < m("shortest") < (plan.zero_width or 0)
    lost_zeros = plan.zero_width is not None and (shorter or m("float_codes") > 0)
    return replace(plan, repair=m("mojibake") > 0, zero_width=plan.zero_width if lost_zeros else None)


def _confirmed(plan: ColumnPlan, m: Measures) -> bool:
    if plan.unseen:
        return m("values") == 0
    if plan.type == "string":
        if plan.identifier and plan.identifier.startswith("code of"):
            return _identifier_reason(plan.name, m, m("values")) is not None
        return True
    values = m("values") if m("parsed") != m("count") else m("count")
    if m("parsed") != values:
        return False
    if plan.type == "integer":
        low, high = m("parsed_min"), m("parsed_max")
        fixed_width = low >= 0 and len(str(low)) == len(str(high)) >= 9 and values >= 2
        if m("leading_zero") or fixed_width:
            return False
    return not plan.from_datetimes or m("midnight") == values


def _stripped(plans: list[ColumnPlan]) -> list[pl.Expr]:
    """The text of the typed columns, trimmed once for all the readers that look at it."""
    return [pl.col(plan.name).str.strip_chars() for plan in plans if plan.type in _TYPED and plan.trim]


def _apply(plan: ColumnPlan, *, stripped: bool = False) -> pl.Expr:
    """The column as the plan says; `stripped` when its text was trimmed already."""
    raw = pl.col(plan.name)
    if plan.type == "string":
        return _finish_text(v.present(raw), plan)
    # Typed readers return null for blanks and N/A markers: they parse no such cell.
    value = raw if stripped or not plan.trim else raw.str.strip_chars()
    if plan.type == "boolean":
        expression = v.as_boolean(value)
    elif plan.type == "integer":
        expression = v.as_integer(value, plan.decimal_comma, plan.symbols)
    elif plan.type == "number":
        expression = v.as_number(value, plan.decimal_comma, plan.symbols)
    elif plan.from_datetimes:
        expression = v.as_datetime(value, plan.formats).dt.date()
    elif plan.type == "date":
        expression = v.as_date(value, plan.formats)
    else:
        expression = v.as_datetime(value, plan.formats, plan.aware)
    return expression.alias(plan.name)


def _finish_text(text: pl.Expr, plan: ColumnPlan) -> pl.Expr:
    """Trimmed text repaired and with its codes' zeros back, as the plan says."""
    if plan.repair:
        text = text.str.replace_many(MOJIBAKE)
    if plan.zero_width is not None:
        text = v.restore_zeros(text, plan.zero_width)
    return text.alias(plan.name)


def _column_changes(plan: ColumnPlan, m: Measures) -> list[dict]:
    name = plan.name
    suffix = "_comma" if plan.decimal_comma else ""
    numeric = plan.type in ("integer", "number")
    counts = (
        ("trimmed", "spaces around the value removed", m("trimmed")),
        ("null_markers", "N/A, -, NC and similar markers read as empty", _markers(plan, m)),
        ("double_encoding_repaired", "double-encoded UTF-8 repaired ('Ã©' -> 'é')",
         m("mojibake") if plan.repair else 0),
        ("identifier_zeros_restored", f"leading zeros restored ({plan.zero_width} characters)",
         m("zeros") if plan.zero_width else 0),
        ("thousands_separator", "thousands separators removed",
         m("thousands" + suffix) if numeric else 0),
        ("percent", "percentages read as fractions (88,14% -> 0.8814)",
         m("percent") if plan.type == "number" else 0),
        ("currency", "euro sign removed", m("currency") if numeric else 0),
    )  # fmt: skip
    changes = [change(kind, detail, name, count) for kind, detail, count in counts if count]
    if plan.decimal_comma:
        changes.append(change("decimal_comma", "decimal comma read as a point", name))
    if any(writing.startswith("french") for writing in plan.formats):
        changes.append(change("french_date", "dates written day first (dd/mm/yyyy)", name))
    if plan.aware:
        changes.append(change("datetime_utc", "times with an offset converted to UTC", name))
    if plan.from_datetimes:
        changes.append(change("midnight_as_date", "datetimes all at midnight read as dates", name))
    if plan.identifier:
        changes.append(change("identifier", f"kept as text ({plan.identifier})", name))
    return changes


def _markers(plan: ColumnPlan, m: Measures) -> int:
    if plan.type not in _TYPED or m("parsed") == m("count"):
        return 0
    return m("present") - m("values")


def _table_changes(headers: int, empty: int, written: list[str], originals: list[str], names: list[str]) -> list[dict]:
    changes: list[dict] = []
    repaired = sum(1 for before, after in zip(written, originals, strict=True) if before.strip() != after)
    if repaired:
        detail = "double-encoded UTF-8 repaired in the header"
        changes.append(change("double_encoding_repaired", detail, count=repaired))
    if headers:
        detail = "header line repeated in the data"
        changes.append(change("repeated_header_dropped", detail, count=headers))
    if empty:
        changes.append(change("empty_rows_dropped", "rows with no value", count=empty))
    renamed = sum(1 for name, original in zip(names, originals, strict=True) if name != original)
    if renamed:
        changes.append(change("columns_renamed", "column names in snake_case ASCII", count=renamed))
    return changes
