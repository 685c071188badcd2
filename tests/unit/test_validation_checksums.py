"""Property tests of the vectorised check digits, against generators and python-stdnum.

python-stdnum is what Validata uses for SIREN/SIRET; here it is the oracle
the polars expressions must agree with, digit for digit.
"""

from __future__ import annotations

import string

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import iban as stdnum_iban
from stdnum import luhn as stdnum_luhn
from stdnum.fr import nir as stdnum_nir
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret
from stdnum.iso7064 import mod_97_10

from catalog.validation import checksums

DIGITS = string.digits


def evaluate(check, values: list[str]) -> list[bool]:
    return pl.select(check(pl.lit(pl.Series(values, dtype=pl.String)))).to_series().fill_null(False).to_list()


def with_luhn(body: str) -> str:
    return body + stdnum_luhn.calc_check_digit(body)


def change_one_digit(number: str, data: st.DataObject) -> str:
    positions = [index for index, char in enumerate(number) if char.isdigit()]
    at = data.draw(st.sampled_from(positions))
    new = data.draw(st.sampled_from([d for d in DIGITS if d != number[at]]))
    return number[:at] + new + number[at + 1 :]


sirens = st.text(DIGITS, min_size=8, max_size=8).map(with_luhn).filter(lambda s: s != "356000000")
sirets = st.builds(lambda siren, nic: with_luhn(siren + nic), sirens, st.text(DIGITS, min_size=4, max_size=4))
la_poste_sirets = st.builds(
    # The last digit brings the digit sum to a multiple of 5 (3+5+6 = 14 already).
    lambda nic, upper: (body := "356000000" + nic) + str((-sum(map(int, body))) % 5 + 5 * upper),
    st.text(DIGITS, min_size=4, max_size=4),
    st.integers(0, 1),
)
departments = st.one_of(
    st.integers(1, 95).filter(lambda d: d != 20).map(lambda d: f"{d:02d}"), st.sampled_from(["2A", "2B"])
)
nirs = st.builds(
    lambda sex, year, month, department, rest: (
        (body := f"{sex}{year:02d}{month:02d}{department}{rest}") + stdnum_nir.calc_check_digits(body + "00")
    ),
    st.sampled_from("12"),
    st.integers(0, 99),
    st.integers(1, 12),
    departments,
    st.text(DIGITS, min_size=6, max_size=6),
)
ibans = st.builds(
    lambda country, bban: country + stdnum_iban.calc_check_digits(country + "00" + bban) + bban,
    st.sampled_from(["FR", "DE", "BE", "ES", "IT", "GB"]),
    st.text(string.digits + string.ascii_uppercase, min_size=11, max_size=30),
)
cards = st.builds(
    lambda prefix, body: with_luhn(prefix + body),
    st.sampled_from(["4", "51", "55", "34", "37", "6011", "2221"]),
    st.text(DIGITS, min_size=10, max_size=14),
)


@given(st.lists(sirets, min_size=1, max_size=40))
def test_generated_sirets_are_valid_like_stdnum_says(values: list[str]):
    assert all(stdnum_siret.is_valid(v) for v in values)
    assert evaluate(checksums.siret_valid, values) == [True] * len(values)


@given(st.lists(la_poste_sirets, min_size=1, max_size=40))
def test_la_poste_sirets_are_valid_by_digit_sum(values: list[str]):
    assert evaluate(checksums.siret_valid, values) == [stdnum_siret.is_valid(v) for v in values]
    assert all(evaluate(checksums.siret_valid, values))


@given(sirets, st.data())
def test_one_wrong_digit_breaks_a_siret(value: str, data: st.DataObject):
    wrong = change_one_digit(value, data)
    assert evaluate(checksums.siret_valid, [wrong]) == [stdnum_siret.is_valid(wrong)]
    if not wrong.startswith("356000000"):
        assert evaluate(checksums.siret_valid, [wrong]) == [False]


@given(st.lists(st.text("0123456789 .", min_size=9, max_size=18), min_size=1, max_size=60))
@settings(max_examples=200)
def test_siret_and_siren_agree_with_stdnum_on_any_digit_string(values: list[str]):
    assert evaluate(checksums.siret_valid, values) == [stdnum_siret.is_valid(v) for v in values]
    assert evaluate(checksums.siren_valid, values) == [stdnum_siren.is_valid(v) for v in values]


@given(st.lists(nirs, min_size=1, max_size=40))
def test_generated_nirs_with_their_key_are_valid_including_corsica(values: list[str]):
    assert all(stdnum_nir.is_valid(v) for v in values)
    assert all(evaluate(checksums.nir_valid, values))


@given(nirs, st.data())
def test_one_wrong_digit_breaks_a_nir(value: str, data: st.DataObject):
    assert evaluate(checksums.nir_valid, [change_one_digit(value, data)]) == [False]


def test_corsica_keys_use_19_and_18_for_2a_and_2b():
    # Same number except the department: the key differs by the 2A/2B substitution.
    assert evaluate(checksums.nir_valid, ["253072B07300470", "253072A07300443", "253072B07300443"]) == [
        True,
        True,
        False,
    ]


@given(st.lists(ibans, min_size=1, max_size=40))
def test_generated_ibans_pass_mod_97(values: list[str]):
    assert all(mod_97_10.is_valid(v[4:] + v[:4]) for v in values)
    assert all(evaluate(checksums.iban_valid, values))


@given(ibans, st.data())
def test_one_wrong_digit_breaks_an_iban(value: str, data: st.DataObject):
    assert evaluate(checksums.iban_valid, [change_one_digit(value, data)]) == [False]


def test_iban_spacing_and_case_do_not_matter():
    assert evaluate(checksums.iban_valid, ["FR76 3000 6000 0112 3456 7890 189", "fr7630006000011234567890189"]) == [
        True,
        True,
    ]


@given(st.lists(cards, min_size=1, max_size=40))
def test_generated_card_numbers_pass_luhn(values: list[str]):
    assert all(evaluate(checksums.luhn_valid, values))


@given(st.lists(st.text(DIGITS, min_size=1, max_size=19), min_size=1, max_size=60))
@settings(max_examples=200)
def test_luhn_agrees_with_stdnum_up_to_19_digits(values: list[str]):
    assert evaluate(checksums.luhn_valid, values) == [stdnum_luhn.is_valid(v) for v in values]


@given(cards, st.data())
def test_one_wrong_digit_breaks_a_card_number(value: str, data: st.DataObject):
    assert evaluate(checksums.luhn_valid, [change_one_digit(value, data)]) == [False]
