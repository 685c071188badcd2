"""Read the cells of one column as a TableSchema field type, vectorised.

The frame may hold a column as text (read as is) or already typed (the
normaliser types numbers and dates, keeps identifiers as text). Either way
the result is four expressions: the cell as text (what the producer wrote,
for the diagnostic), whether it is missing, whether it has the field's type,
and its typed value (null when missing or of the wrong type). Parsing
follows frictionless (the reference TableSchema implementation) so that the
two agree on which cells are wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from catalog.validation.schema import Field

_DECIMAL = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
# "NaN0": Python's Decimal, which frictionless reads numbers with, takes a NaN with a payload.
_NUMBER = rf"^(?:{_DECIMAL}|[+-]?(?i:inf|infinity|nan[0-9]*))$"
_INTEGER = r"^[+-]?[0-9]+$"
_ISO_DATETIME = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(?:[.,][0-9]+)?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?$"
)
_YEARMONTH = r"^[0-9]{4}-(?:0[1-9]|1[0-2])$"
_DURATION = (
    r"^P(?:[0-9]+Y)?(?:[0-9]+M)?(?:[0-9]+W)?(?:[0-9]+D)?"
    r"(?:T(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+(?:\.[0-9]+)?S)?)?$"
)
_GEO_NUMBER = r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*"
_GEOPOINT = {
    "default": rf"^({_GEO_NUMBER}),({_GEO_NUMBER})$",
    "array": rf"^\s*\[({_GEO_NUMBER}),({_GEO_NUMBER})\]\s*$",
    "object": rf'^\s*\{{\s*"lon"\s*:({_GEO_NUMBER}),\s*"lat"\s*:({_GEO_NUMBER})\}}\s*$',
}
_STRING_FORMATS = {
    "email": r"^[^@\s]+@[^@\s]+\.[^@\s.]+$",
    "uri": r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]+$",
    "uuid": r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$",
    "binary": r"^[A-Za-z0-9+/\s]*={0,2}\s*$",
}
_ANY_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d", "%d.%m.%Y")
_STRFTIME_RE = re.compile(r"%[a-zA-Z]")


@dataclass(frozen=True)
class Cells:
    text: pl.Expr  # the cell as the producer wrote it (typed columns rendered as text)
    missing: pl.Expr  # null or one of the missing values
    type_ok: pl.Expr  # has the field's type (true on missing cells)
    value: pl.Expr  # typed value, null when missing or wrong

    @property
    def type_error(self) -> pl.Expr:
        return ~self.missing & ~self.type_ok

    @property
    def present(self) -> pl.Expr:
        """Cells that hold a value of the right type: constraints apply to those."""
        return ~self.missing & self.type_ok


def read_cells(field: Field, column: str, dtype: pl.DataType, missing_values: tuple[str, ...]) -> Cells:
    source = pl.col(column)
    text = _as_text(source, dtype)
    missing = text.is_null() | text.is_in(list(missing_values))
    if _is_text(dtype) or dtype == pl.Null:
        value, ok = _parse_text(field, text)
    else:
        value, ok = _parse_typed(field, source, dtype, text)
    # A missing cell is never a type error; the `required` rule handles it.
    ok = missing | ok.fill_null(False)
    return Cells(text=text, missing=missing, type_ok=ok, value=pl.when(~missing & ok).then(value))


def _is_text(dtype: pl.DataType) -> bool:
    return dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum))


def _as_text(source: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if isinstance(dtype, (pl.List, pl.Array)):
        return source.list.eval(pl.element().cast(pl.String)).list.join(",")
    if isinstance(dtype, pl.Struct):
        return source.struct.json_encode()
    return source.cast(pl.String)


def _parse_text(field: Field, text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    kind = field.type
    if kind == "string":
        pattern = _STRING_FORMATS.get(field.format)
        ok = text.str.contains(pattern) if pattern else pl.lit(True)
        return text, ok
    if kind == "integer":
        digits = _bare(field, text.str.strip_chars())
        value = digits.str.to_integer(strict=False)
        return value, digits.str.contains(_INTEGER) & value.is_not_null()
    if kind == "number":
        number = _number_text(field, text)
        value = number.str.replace(r"^([+-]?)(?i:nan)[0-9]+$", "${1}nan").cast(pl.Float64, strict=False)
        return value, number.str.contains(_NUMBER)
    if kind == "boolean":
        value = (
            pl.when(text.is_in(list(field.true_values)))
            .then(True)
            .when(text.is_in(list(field.false_values)))
            .then(False)
        )
        return value, value.is_not_null()
    if kind == "date":
        value = _parse_date(field.format, text)
        return value, value.is_not_null()
    if kind == "datetime":
        value = _parse_datetime(field.format, text)
        return value, value.is_not_null()
    if kind == "time":
        fmt = "%H:%M:%S" if field.format == "default" else field.format
        value = _parse_with_format(text, fmt, text.str.to_time(_python_format(fmt), strict=False))
        return value, value.is_not_null()
    if kind == "year":
        # As frictionless: 4 characters that int() reads ('+123' and ' 999' pass), 0 to 9999.
        value = text.str.strip_chars().str.to_integer(strict=False)
        shape = (text.str.len_chars() == 4) & text.str.strip_chars().str.contains(_INTEGER)
        return value, shape & value.is_between(0, 9999)
    if kind == "yearmonth":
        return text, text.str.contains(_YEARMONTH)
    if kind == "duration":
        return text, text.str.contains(_DURATION) & ~text.is_in(["P", "PT"]) & ~text.str.ends_with("T")
    if kind == "geopoint":
        return _parse_geopoint(field.format, text)
    if kind == "array":
        return text, text.str.contains(r"(?s)^\s*\[.*\]\s*$")
    if kind == "object":
        return text, text.str.contains(r"(?s)^\s*\{.*\}\s*$")
    return text, pl.lit(True)  # any


def _bare(field: Field, text: pl.Expr) -> pl.Expr:
    """With bareNumber false, '150 €' or '95%' are numbers: strip the decorations."""
    if field.bare_number:
        return text
    return text.str.replace(r"^[^-0-9]*", "").str.replace(r"[^0-9]*$", "")


def _number_text(field: Field, text: pl.Expr) -> pl.Expr:
    number = _bare(field, text.str.strip_chars())
    if field.group_char:
        number = number.str.replace_all(field.group_char, "", literal=True)
    if field.decimal_char != ".":
        # As frictionless: with a decimal comma, a dot makes the cell invalid.
        number = pl.when(number.str.contains(".", literal=True)).then(pl.lit(None)).otherwise(number)
        number = number.str.replace_all(field.decimal_char, ".", literal=True)
    return number


def _parse_date(fmt: str, text: pl.Expr) -> pl.Expr:
    if fmt == "any":
        return pl.coalesce([text.str.to_date(f, strict=False) for f in _ANY_DATE_FORMATS])
    fmt = "%Y-%m-%d" if fmt == "default" else _python_format(fmt)
    return _from_year_one(_parse_with_format(text, fmt, text.str.to_date(fmt, strict=False)))


def _parse_datetime(fmt: str, text: pl.Expr) -> pl.Expr:
    if fmt in ("default", "any"):
        iso = text.str.replace(" ", "T", literal=True)
        # Offsets differ from row to row: compare instants in UTC.
        parsed = pl.coalesce(
            iso.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", strict=False, time_zone="UTC"),
            iso.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%#z", strict=False, time_zone="UTC"),
            iso.str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", strict=False).dt.replace_time_zone("UTC"),
            iso.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False).dt.replace_time_zone("UTC"),
        )
        return _from_year_one(pl.when(text.str.contains(_ISO_DATETIME)).then(parsed))
    parsed = text.str.to_datetime(_python_format(fmt), strict=False)
    return _from_year_one(_parse_with_format(text, fmt, parsed))


def _from_year_one(parsed: pl.Expr) -> pl.Expr:
    # Python's dates start in year 1; chrono also reads year 0.
    return pl.when(parsed.dt.year() >= 1).then(parsed)


def _parse_with_format(text: pl.Expr, fmt: str, parsed: pl.Expr) -> pl.Expr:
    """Keep what Python's strptime would accept: chrono is laxer (a 1-digit year,
    surrounding spaces), so the text must also have the format's shape."""
    shape = _strptime_shape(_python_format(fmt))
    if shape is None:
        return pl.when(text == text.str.strip_chars()).then(parsed)
    return pl.when(text.str.contains(shape)).then(parsed)


# What Python's strptime accepts for each directive (from its _strptime module).
_DIRECTIVE_SHAPES = {
    "%Y": r"[0-9]{4}",
    "%y": r"[0-9]{2}",
    "%m": r"(?:1[0-2]|0[1-9]|[1-9])",
    "%d": r"(?:3[01]|[12][0-9]|0[1-9]|[1-9]| [1-9])",
    "%H": r"(?:2[0-3]|[01][0-9]|[0-9])",
    "%M": r"(?:[0-5][0-9]|[0-9])",
    "%S": r"(?:6[01]|[0-5][0-9]|[0-9])",
    "%%": "%",
}


_REGEX_META = frozenset(r".^$*+?()[]{}|\-")


def _strptime_shape(fmt: str) -> str | None:
    """The regex of the strings a strptime format accepts, or None for directives not covered."""
    pieces = []
    for token in re.split(r"(%.)", fmt):
        if token.startswith("%") and len(token) == 2:
            if token not in _DIRECTIVE_SHAPES:
                return None
            pieces.append(_DIRECTIVE_SHAPES[token])
        else:
            pieces.append("".join("\\" + char if char in _REGEX_META else char for char in token))
    return "^" + "".join(pieces) + "$"


def _python_format(fmt: str) -> str:
    """TableSchema formats are Python strptime patterns, some written with 'fmt:' prefix."""
    return fmt[4:] if fmt.startswith("fmt:") else fmt


def _parse_geopoint(fmt: str, text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    pattern = _GEOPOINT.get(fmt, _GEOPOINT["default"])
    lon = text.str.extract(pattern, 1).str.strip_chars().cast(pl.Float64, strict=False)
    lat = text.str.extract(pattern, 2).str.strip_chars().cast(pl.Float64, strict=False)
    ok = lon.is_between(-180, 180) & lat.is_between(-90, 90)
    return text, ok


def _parse_typed(field: Field, source: pl.Expr, dtype: pl.DataType, text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    kind = field.type
    if kind in ("string", "yearmonth", "duration", "geopoint", "array", "object", "any"):
        return _parse_text(field, text)
    if kind == "integer":
        if dtype.is_integer():
            return source.cast(pl.Int64, strict=False), source.cast(pl.Int64, strict=False).is_not_null()
        if dtype.is_float() or dtype.is_decimal():
            number = source.cast(pl.Float64)
            whole = number.is_finite() & (number == number.floor())
            return pl.when(whole).then(number.cast(pl.Int64, strict=False)), whole
        return _parse_text(field, text) if dtype != pl.Boolean else (pl.lit(None), pl.lit(False))
    if kind == "number":
        if dtype.is_numeric():
            return source.cast(pl.Float64), pl.lit(True)
        return _parse_text(field, text) if dtype != pl.Boolean else (pl.lit(None), pl.lit(False))
    if kind == "boolean":
        if dtype == pl.Boolean:
            return source, pl.lit(True)
        return _parse_text(field, text)
    if kind == "date":
        if dtype == pl.Date:
            return source, pl.lit(True)
        if isinstance(dtype, pl.Datetime):
            midnight = source.dt.time() == pl.time(0, 0, 0)
            return pl.when(midnight).then(source.dt.date()), midnight
        return _parse_text(field, text) if not dtype.is_numeric() else (pl.lit(None), pl.lit(False))
    if kind == "datetime":
        if isinstance(dtype, pl.Datetime):
            value = source.dt.replace_time_zone("UTC") if dtype.time_zone is None else source
            return value.dt.convert_time_zone("UTC"), pl.lit(True)
        if dtype == pl.Date:
            # A date stands for its midnight.
            return source.cast(pl.Datetime("us")).dt.replace_time_zone("UTC"), pl.lit(True)
        return _parse_text(field, text)
    if kind == "time":
        if dtype == pl.Time:
            return source, pl.lit(True)
        return _parse_text(field, text)
    if kind == "year":
        if dtype.is_integer():
            return source.cast(pl.Int64), source.is_between(0, 9999)
        return _parse_text(field, text)
    return _parse_text(field, text)


def parse_constant(field: Field, constant: object) -> object | None:
    """A constraint bound or enum member as the typed value it is compared with;
    None when it is not a value of the field's type."""
    frame = pl.DataFrame({"c": [constant if isinstance(constant, bool) else str(constant)]})
    cells = read_cells(field, "c", frame.schema["c"], ())
    return frame.select(cells.value).item()


def strftime_to_french(fmt: str) -> str:
    """'%d/%m/%Y' -> 'JJ/MM/AAAA', the way French forms spell date formats."""
    names = {"%Y": "AAAA", "%y": "AA", "%m": "MM", "%d": "JJ", "%H": "hh", "%M": "mm", "%S": "ss"}
    return _STRFTIME_RE.sub(lambda m: names.get(m.group(0), m.group(0)), _python_format(fmt))
