"""How French cells are written, as polars expressions from text to typed values.

Every parser takes a String expression and returns the typed value, or null where the
cell is not written that way; a column gets a type when every non-null cell parses. The
expressions run the same on a DataFrame and on a streaming LazyFrame.

Conventions (documented in docs/benchmarks.md and the report):
- numbers: `1234.5`, `1 234,5` (space, no-break or narrow no-break space as thousands
  separator), `1.234,5`; a column is read with the decimal point when every cell reads so,
  else with the decimal comma (then `.` is a thousands separator: `1.234` -> 1234 in a
  column that also holds `5,5`).
- percentages are fractions: `88,14%` -> 0.8814 (the SCDL schemas and the canteen
  open data write ratios as fractions, so one convention covers both). `€` is dropped.
- null: empty cells everywhere; `N/A`, `-`, `NC`, `ND`... only in columns that get a type.
- dates: `2021-05-10`, `10/05/2021` (day first, also `10-05-2021` and `10.05.2021`);
  datetimes ISO (`T` or space, optional seconds and fraction, `Z` or offset) or
  `10/05/2021 14:30`. Offsets are converted to UTC; naive values in a column that also has
  offsets are taken as Europe/Paris time. A datetime column all at midnight is a date
  (spreadsheets store dates that way).
- booleans: `true` / `false` only: `oui` / `non` stay text because the SCDL schemas
  declare them as enumerations of strings.
"""

from __future__ import annotations

import re

import polars as pl

NULL_TOKENS = ("n/a", "#n/a", "na", "-", "--", "—", "null", "nan", "nd", "n.d.", "nc", "n.c.")
# Compared as written (no lower-casing of whole columns): the usual spellings.
_NULL_SPELLINGS = sorted({s for t in NULL_TOKENS for s in (t, t.upper(), t.capitalize())})

_SPACE = "[ \u00a0\u202f]"
_SUFFIX = r"(?:[ \u00a0\u202f]?(?:%|€))?"
_EXPONENT = r"(?:[eE][-+]?\d+)?"
DOT_NUMBER = rf"^-?(?:\d{{1,3}}(?:{_SPACE}\d{{3}})+|\d+)(?:\.\d+)?{_EXPONENT}{_SUFFIX}$"
COMMA_NUMBER = rf"^-?(?:\d{{1,3}}(?:[ \u00a0\u202f.]\d{{3}})+|\d+)(?:,\d+)?{_EXPONENT}{_SUFFIX}$"

LOCAL_TIME_ZONE = "Europe/Paris"
DATE_FORMATS = ("iso", "french", "french_dash", "french_dot")
DATETIME_FORMATS = ("iso", "iso_offset", "french", "date")

LEADING_ZERO = r"^0\d+$"
CORSICA_INSEE = r"^2[AaBb]\d{3}$"
DIGITS = r"^\d+$"
FRACTION = r"^-?\d+[.,]\d*[1-9]\d*(?:[ \u00a0\u202f]?%)?$"


def present(text: pl.Expr) -> pl.Expr:
    """Trimmed cell, null when blank."""
    trimmed = text.str.strip_chars()
    return pl.when(trimmed.str.len_bytes() > 0).then(trimmed)


def without_null_tokens(value: pl.Expr) -> pl.Expr:
    return pl.when(~value.is_in(_NULL_SPELLINGS)).then(value)


def as_boolean(value: pl.Expr) -> pl.Expr:
    return value.str.to_lowercase().replace_strict(
        {"true": True, "false": False}, default=None, return_dtype=pl.Boolean
    )


# What a number's text may hold besides digits, sign and decimal mark. A plan keeps only
# those its sample met: removing an absent symbol still costs a pass over the column, and
# a symbol met only further down makes the cell unreadable, so the column is looked at
# again rather than misread.
SYMBOLS = (" ", "\u00a0", "\u202f", "%", "€", ".")
_THOUSANDS_SEPARATORS = (" ", "\u00a0", "\u202f")


def _number_text(value: pl.Expr, decimal_comma: bool, symbols: tuple[str, ...]) -> pl.Expr:
    """'1 234,5 %' -> '1234.5'."""
    text = value
    for symbol in symbols:
        if symbol != "." or decimal_comma:
            text = text.str.replace_all(symbol, "", literal=True)
    if decimal_comma:
        text = text.str.replace(",", ".", literal=True)
    return text


def _pattern(decimal_comma: bool) -> str:
    return COMMA_NUMBER if decimal_comma else DOT_NUMBER


def _written_as_number(value: pl.Expr, decimal_comma: bool, symbols: tuple[str, ...]) -> pl.Expr:
    """Whether a cell is written as a number the way the column writes them.

    With separators or symbols, the pattern checks the groups of three digits. Without,
    the conversion itself rejects what is not a number, but for a leading "+" (phone
    numbers), "nan" and "inf" and, in a decimal-comma column, a point: on millions of
    cells the cheaper test is worth it.
    """
    if symbols:
        return value.str.contains(_pattern(decimal_comma))
    refused = ["n", "N", "."] if decimal_comma else ["n", "N"]
    return ~value.str.starts_with("+") & ~value.str.contains_any(refused)


def as_number(value: pl.Expr, decimal_comma: bool, symbols: tuple[str, ...] = SYMBOLS) -> pl.Expr:
    # Each part is written once: polars evaluates a repeated sub-expression again.
    number = _number_text(value, decimal_comma, symbols).cast(pl.Float64, strict=False)
    if "%" in symbols:
        number = number / pl.when(value.str.ends_with("%")).then(100.0).otherwise(1.0)
    return pl.when(_written_as_number(value, decimal_comma, symbols)).then(number)


def as_integer(value: pl.Expr, decimal_comma: bool, symbols: tuple[str, ...] = SYMBOLS) -> pl.Expr:
    """Integer, written without decimals (a percentage is a fraction, never an integer)."""
    written = _written_as_number(value, decimal_comma, symbols)
    if "%" in symbols:
        written = written & ~value.str.ends_with("%")
    text = _number_text(value, decimal_comma, symbols)
    return pl.when(written).then(text.cast(pl.Int64, strict=False))


def has_thousands_separator(value: pl.Expr, decimal_comma: bool) -> pl.Expr:
    separators = list(_THOUSANDS_SEPARATORS) + (["."] if decimal_comma else [])
    return value.str.contains_any(separators)


_DATE_PATTERNS = {
    "iso": "%Y-%m-%d",
    "french": "%d/%m/%Y",
    "french_dash": "%d-%m-%Y",
    "french_dot": "%d.%m.%Y",
}


def as_date(value: pl.Expr, formats: tuple[str, ...] = DATE_FORMATS) -> pl.Expr:
    """Date from the given writings: iso (2021-05-10), french (10/05/2021, 10-05-2021...)."""
    return _first([value.str.strptime(pl.Date, _DATE_PATTERNS[name], strict=False) for name in formats])


def _iso_datetime_text(value: pl.Expr) -> pl.Expr:
    """'2021-05-10 14:30Z' -> '2021-05-10T14:30:00+00:00': one format parses them all."""
    return (
        value.str.replace(r"^(\d{4}-\d{2}-\d{2}) ", "${1}T")
        .str.replace(r"^([^.,]*T\d{1,2}:\d{2})($|[-+Z])", "${1}:00${2}")
        .str.replace(r"(:\d{2}),(\d)", "${1}.${2}")
        .str.replace(r"Z$", "+00:00")
    )


def _french_datetime_text(value: pl.Expr) -> pl.Expr:
    """'10/05/2021T14:30' -> '10/05/2021 14:30:00'."""
    return value.str.replace("T", " ", literal=True).str.replace(r"^(\S+ \d{1,2}:\d{2})$", "${1}:00")


def as_datetime(value: pl.Expr, formats: tuple[str, ...] = DATETIME_FORMATS, aware: bool = False) -> pl.Expr:
    """Datetime from the given writings: iso, iso_offset, french (10/05/2021 14:30), date.

    Naive when `aware` is false; else UTC, naive cells being taken as Paris time.
    """
    naive, utc = pl.Datetime("us"), pl.Datetime("us", "UTC")
    parsers = {
        "iso": lambda: _iso_datetime_text(value).str.strptime(naive, "%Y-%m-%dT%H:%M:%S%.f", strict=False),
        "french": lambda: _french_datetime_text(value).str.strptime(naive, "%d/%m/%Y %H:%M:%S", strict=False),
        "date": lambda: as_date(value).cast(naive),
    }
    local = [parsers[name]() for name in formats if name in parsers]
    if not aware:
        return _first(local)
    offset = _iso_datetime_text(value).str.strptime(utc, "%Y-%m-%dT%H:%M:%S%.f%z", strict=False)
    in_utc = [
        parsed.dt.replace_time_zone(LOCAL_TIME_ZONE, ambiguous="earliest", non_existent="null").dt.convert_time_zone(
            "UTC"
        )
        for parsed in local
    ]
    return _first([offset, *in_utc])


def _first(parsed: list[pl.Expr]) -> pl.Expr:
    return parsed[0] if len(parsed) == 1 else pl.coalesce(parsed)


def restore_zeros(value: pl.Expr, width: int) -> pl.Expr:
    """'1001' -> '01001', '3805449320029.0' -> '03805449320029': codes read as numbers."""
    digits = value.str.replace(r"\.0+$", "")
    lost_zeros = value.str.contains(r"^\d+(?:\.0+)?$") & (digits.str.len_chars() < width)
    return pl.when(lost_zeros).then(digits.str.zfill(width)).otherwise(value)


# French identifiers are codes, not quantities: SIREN (company, 9 digits), SIRET
# (establishment, 14 digits), INSEE commune code (COG, 5 characters, 2A/2B in Corsica),
# postal code, EPCI (intercommunality, a SIREN), department and region codes.
_IDENTIFIER_WORDS = {
    "id", "code", "cod", "num", "numero", "ref", "reference", "identifiant",
    "siren", "siret", "nic", "insee", "cog", "codgeo", "epci", "numepci", "iris",
    "depcom", "numcom", "codcom", "cp", "postal", "dep", "numdep", "coddep",
    "departement", "department", "reg", "codreg", "region", "uai", "finess", "rna",
    "naf", "ape",
}  # fmt: skip
_IDENTIFIER_PARTS = re.compile(r"siren|siret|insee|epci|codgeo|postal")
# Words saying the column counts or measures something, whatever else it names.
_QUANTITY_WORDS = {
    "nb", "nombre", "count", "montant", "total", "taux", "ratio", "part", "population",
    "surface", "lib", "libelle", "label", "nom", "name", "annee", "year", "tx", "pct",
}  # fmt: skip
_CODE_WIDTHS = (
    (re.compile(r"siret"), 14),
    (re.compile(r"siren|epci"), 9),
    (re.compile(r"insee|codgeo|depcom|numcom|codcom|(code|cod|num)_?(commune|com)\b"), 5),
    (re.compile(r"postal|(^|_)cp(_|$)"), 5),
    (re.compile(r"(^|_)(dep|numdep|coddep|departement|department|reg|codreg|region)(_|$)"), 2),
)


def identifier_by_name(name: str) -> bool:
    words = set(name.split("_"))
    if words & _QUANTITY_WORDS:
        return False
    return bool(words & _IDENTIFIER_WORDS) or bool(_IDENTIFIER_PARTS.search(name))


def code_width(name: str) -> int | None:
    """Width of the French code a column name announces (SIRET 14, INSEE 5...)."""
    if not identifier_by_name(name):
        return None
    return next((width for pattern, width in _CODE_WIDTHS if pattern.search(name)), None)
