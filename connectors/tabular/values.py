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

_SPACE = "[ \u00a0\u202f]"
_SUFFIX = r"(?:\s?(?:%|€))?"
_EXPONENT = r"(?:[eE][-+]?\d+)?"
DOT_NUMBER = rf"^-?(?:\d{{1,3}}(?:{_SPACE}\d{{3}})+|\d+)(?:\.\d+)?{_EXPONENT}{_SUFFIX}$"
COMMA_NUMBER = rf"^-?(?:\d{{1,3}}(?:[ \u00a0\u202f.]\d{{3}})+|\d+)(?:,\d+)?{_EXPONENT}{_SUFFIX}$"
THOUSANDS = r"\d[ \u00a0\u202f.]\d{3}(?:\D|$)"
_INTEGER = r"^-?\d+$"

ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
FRENCH_DATE = r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{4}$"
ISO_DATETIME = (
    r"^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?$"
)
FRENCH_DATETIME = r"^\d{1,2}/\d{1,2}/\d{4}[ T]\d{1,2}:\d{2}(?::\d{2})?$"
OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})$"
LOCAL_TIME_ZONE = "Europe/Paris"

LEADING_ZERO = r"^0\d+$"
CORSICA_INSEE = r"^2[AaBb]\d{3}$"
DIGITS = r"^\d+$"
FRACTION = r"^-?\d+[.,]\d*[1-9]\d*(?:\s?%)?$"


def present(text: pl.Expr) -> pl.Expr:
    """Trimmed cell, null when blank."""
    trimmed = text.str.strip_chars()
    return pl.when(trimmed.str.len_bytes() > 0).then(trimmed)


def without_null_tokens(value: pl.Expr) -> pl.Expr:
    return pl.when(~value.str.to_lowercase().is_in(NULL_TOKENS)).then(value)


def as_boolean(value: pl.Expr) -> pl.Expr:
    lowered = value.str.to_lowercase()
    return pl.when(lowered == "true").then(True).when(lowered == "false").then(False)


def _number_text(value: pl.Expr, decimal_comma: bool) -> pl.Expr:
    text = value.str.replace_all(r"\s|%|€", "")
    if decimal_comma:
        text = text.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True)
    return text


def _pattern(decimal_comma: bool) -> str:
    return COMMA_NUMBER if decimal_comma else DOT_NUMBER


def as_number(value: pl.Expr, decimal_comma: bool) -> pl.Expr:
    number = _number_text(value, decimal_comma).cast(pl.Float64, strict=False)
    scaled = pl.when(value.str.ends_with("%")).then(number / 100).otherwise(number)
    return pl.when(value.str.contains(_pattern(decimal_comma))).then(scaled)


def as_integer(value: pl.Expr, decimal_comma: bool) -> pl.Expr:
    text = _number_text(value, decimal_comma)
    written_as_integer = (
        value.str.contains(_pattern(decimal_comma))
        & ~value.str.ends_with("%")
        & text.str.contains(_INTEGER)
    )
    return pl.when(written_as_integer).then(text.cast(pl.Int64, strict=False))


def as_date(value: pl.Expr) -> pl.Expr:
    iso = pl.when(value.str.contains(ISO_DATE)).then(value)
    french = pl.when(value.str.contains(FRENCH_DATE)).then(value.str.replace_all(r"[.-]", "/"))
    return pl.coalesce(
        iso.str.strptime(pl.Date, "%Y-%m-%d", strict=False),
        french.str.strptime(pl.Date, "%d/%m/%Y", strict=False),
    )


def _iso_datetime_text(value: pl.Expr) -> pl.Expr:
    return (
        value.str.replace(r"^(\d{4}-\d{2}-\d{2}) ", "${1}T")
        .str.replace(r"(\d),(\d)", "${1}.${2}")
        .str.replace(r"Z$", "+00:00")
    )


def _naive_datetime(value: pl.Expr) -> pl.Expr:
    iso = pl.when(value.str.contains(ISO_DATETIME) & ~value.str.contains(OFFSET))
    iso_text = iso.then(_iso_datetime_text(value))
    french = pl.when(value.str.contains(FRENCH_DATETIME)).then(value)
    date = as_date(value).cast(pl.Datetime("us"))
    return pl.coalesce(
        iso_text.str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S%.f", strict=False),
        iso_text.str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M", strict=False),
        french.str.strptime(pl.Datetime("us"), "%d/%m/%Y %H:%M:%S", strict=False),
        french.str.strptime(pl.Datetime("us"), "%d/%m/%Y %H:%M", strict=False),
        french.str.strptime(pl.Datetime("us"), "%d/%m/%YT%H:%M:%S", strict=False),
        french.str.strptime(pl.Datetime("us"), "%d/%m/%YT%H:%M", strict=False),
        date,
    )


def _aware_datetime(value: pl.Expr) -> pl.Expr:
    utc = pl.Datetime("us", "UTC")
    text = pl.when(value.str.contains(ISO_DATETIME) & value.str.contains(OFFSET)).then(
        _iso_datetime_text(value)
    )
    return pl.coalesce(
        text.str.strptime(utc, "%Y-%m-%dT%H:%M:%S%.f%z", strict=False),
        text.str.strptime(utc, "%Y-%m-%dT%H:%M%z", strict=False),
    )


def as_datetime(value: pl.Expr, aware: bool) -> pl.Expr:
    """Naive datetime, or UTC when the column carries offsets (naive cells: Paris time)."""
    naive = _naive_datetime(value)
    if not aware:
        return naive
    localised = naive.dt.replace_time_zone(
        LOCAL_TIME_ZONE, ambiguous="earliest", non_existent="null"
    ).dt.convert_time_zone("UTC")
    return pl.coalesce(_aware_datetime(value), localised)


def has_offset(value: pl.Expr) -> pl.Expr:
    return value.str.contains(ISO_DATETIME) & value.str.contains(OFFSET)


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
