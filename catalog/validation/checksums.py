"""Check digits of French and payment identifiers, as polars expressions.

Every function takes a string expression and returns a boolean expression
(null where the input is null), so a million cells are checked in one
vectorised pass. Identifiers explained once:

- SIREN: 9-digit number of a company or public body (INSEE register); the
  last digit is a Luhn check digit.
- SIRET: 14-digit number of one establishment: SIREN + 5-digit NIC, Luhn over
  the 14 digits. La Poste is the exception: its establishments share SIREN
  356000000 and their SIRETs only have a digit sum divisible by 5 (the head
  office 35600000000048 follows Luhn).
- INSEE commune code: 5 characters, department (01-19, 21-95, 2A/2B for
  Corsica, 97x/98x overseas) then 3 digits. It is a shape check: the code
  list itself changes every year.
- NIR: 15-character social security number (sex, birth year and month,
  department incl. 2A/2B, commune, order, 2-digit key = 97 - number mod 97).
- IBAN: country, 2 check digits, account; valid when mod 97 of the
  rearranged number is 1 (ISO 13616).
- payment card: 13 to 19 digits with a Luhn check digit (ISO/IEC 7812).
"""

from __future__ import annotations

import string

import polars as pl

SIRET_SHAPE = r"^[0-9]{14}$"
SIREN_SHAPE = r"^[0-9]{9}$"
INSEE_COMMUNE_SHAPE = r"^(?:0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-8])[0-9]{3}$"
NIR_SHAPE = r"^[1-478][0-9]{4}(?:[0-9]{2}|2[AB])[0-9]{8}$"
IBAN_SHAPE = r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$"

LA_POSTE_SIREN = 356000000
LA_POSTE_HEAD_OFFICE = 35600000000048


def _digits(number: pl.Series, width: int) -> list[pl.Series]:
    """The `width` decimal digits of each integer, units first."""
    digits = []
    for _ in range(width):
        # Small integers keep the following additions cheap: a Luhn sum stays below 255.
        digits.append((number % 10).cast(pl.UInt8))
        number = number // 10
    return digits


def _luhn_sum(digits_units_first: list[pl.Series]) -> pl.Series:
    total = digits_units_first[0]
    for position, digit in enumerate(digits_units_first[1:], start=1):
        if position % 2 == 1:
            # Luhn doubles every second digit and subtracts 9 when the double exceeds 9.
            digit = digit * 2 - (digit // 5) * 9
        total = total + digit
    return total


def _on_number(digits: pl.Expr, check) -> pl.Expr:
    """Apply a whole-column arithmetic check to the digits read as one integer.

    The integer is parsed once and the digit arithmetic runs on that Series:
    written as one expression, polars would parse the text again for each of
    the ~40 digit extractions.
    """
    number = digits.str.to_integer(dtype=pl.UInt64, strict=False)
    return number.map_batches(check, return_dtype=pl.Boolean, is_elementwise=True)


def _compact(value: pl.Expr) -> pl.Expr:
    # Same separators as python-stdnum, which Validata uses: spaces and dots.
    return value.str.replace_all(r"[ .]", "").str.strip_chars()


def luhn_valid(digits: pl.Expr, width: int = 19) -> pl.Expr:
    """True when the ASCII-digit string (at most `width` <= 19 digits) passes Luhn."""
    return _on_number(digits, lambda number: _luhn_sum(_digits(number, width)) % 10 == 0)


def siren_valid(value: pl.Expr) -> pl.Expr:
    compact = _compact(value)
    return compact.str.contains(SIREN_SHAPE) & luhn_valid(compact, 9)


def _siret_key_ok(number: pl.Series) -> pl.Series:
    digits = _digits(number, 14)  # the SIREN is the 9 leftmost: digits[5:]
    la_poste = (number // 100_000 == LA_POSTE_SIREN) & (number != LA_POSTE_HEAD_OFFICE)
    digit_sum = digits[0]
    for digit in digits[1:]:
        digit_sum = digit_sum + digit
    siret_ok = (_luhn_sum(digits) % 10 == 0) & ~la_poste | (digit_sum % 5 == 0) & la_poste
    return siret_ok & (_luhn_sum(digits[5:]) % 10 == 0)


def siret_valid(value: pl.Expr) -> pl.Expr:
    compact = _compact(value)
    return compact.str.contains(SIRET_SHAPE) & _on_number(compact, _siret_key_ok)


def insee_commune_shape(value: pl.Expr) -> pl.Expr:
    return value.str.contains(INSEE_COMMUNE_SHAPE)


def _to_number(digits: pl.Expr) -> pl.Expr:
    return digits.str.to_integer(dtype=pl.UInt64, strict=False)


def nir_valid(value: pl.Expr) -> pl.Expr:
    """NIR with its key; Corsica's 2A/2B count as 19/18 in the key computation."""
    compact = _compact(value).str.to_uppercase()
    department = compact.str.slice(5, 2)
    numeric_department = (
        pl.when(department == "2A").then(pl.lit("19")).when(department == "2B").then(pl.lit("18"))
    ).otherwise(department)
    body = _to_number(pl.concat_str(compact.str.slice(0, 5), numeric_department, compact.str.slice(7, 6)))
    key = _to_number(compact.str.slice(13, 2))
    return compact.str.contains(NIR_SHAPE) & (97 - body % 97 == key)


_LETTER_VALUES = {letter: str(index) for index, letter in enumerate(string.ascii_uppercase, 10)}
_IBAN_DIGITS = 72  # 34 characters, each letter 2 digits, rounded up to 8 chunks of 9


def iban_valid(value: pl.Expr) -> pl.Expr:
    compact = value.str.replace_all(r"[ \-.]", "").str.to_uppercase()
    rearranged = pl.concat_str(compact.str.slice(4), compact.str.slice(0, 4))
    # Leading zeros do not change a remainder: pad so every chunk has 9 digits.
    digits = rearranged.str.replace_many(_LETTER_VALUES).str.pad_start(_IBAN_DIGITS, "0")
    remainder = pl.lit(0, dtype=pl.UInt64)
    for offset in range(0, _IBAN_DIGITS, 9):
        chunk = _to_number(digits.str.slice(offset, 9))
        remainder = (remainder * 1_000_000_000 + chunk) % 97
    return compact.str.contains(IBAN_SHAPE) & (remainder == 1)
