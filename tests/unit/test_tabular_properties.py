"""Property-based tests of the French parsers (Hypothesis, polars.testing.parametric)."""

from datetime import date

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal, assert_series_equal
from polars.testing.parametric import column, dataframes, series

from connectors.tabular import read_table
from connectors.tabular import values as v
from connectors.tabular.names import snake_case

# Letters a member's Windows-1252 file can hold, without "Ã", "Â", "Å" and "Æ": followed
# by the right character ("Ã©", "Æ’"), they are double-encoded UTF-8 and get repaired.
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéèêëàâäîïôöùûüçÉÈÊÀÇÔŒœæ€’«»"
_TEXT = st.text(alphabet=_LETTERS + " ;,'\"\n-0123456789", min_size=0, max_size=20)
LABELS = st.builds(lambda first, rest: (first + rest).strip(), st.sampled_from(_LETTERS), _TEXT).filter(
    lambda label: label.lower() not in ("true", "false")
)
INSEE = st.from_regex(r"(0[1-9]|[1-8][0-9]|9[0-5]|2A|2B)[0-9]{3}", fullmatch=True)
AMOUNTS = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
COUNTS = st.integers(min_value=-(10**7), max_value=10**7)
DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))

FRENCH_FRAMES = dataframes(
    [
        column("code_insee", dtype=pl.String, strategy=INSEE),
        column("libellé", dtype=pl.String, strategy=LABELS),
        column("montant", dtype=pl.Float64, strategy=AMOUNTS),
        column("quantité", dtype=pl.Int64, strategy=COUNTS),
        column("date de début", dtype=pl.Date, strategy=DATES),
    ],
    min_size=1,
    max_size=30,
    allow_null=False,
)


def french_csv(frame: pl.DataFrame, quote_style: str) -> bytes:
    """The CSV a French member writes: `;`, decimal comma, dd/mm/yyyy, Windows-1252."""
    text = frame.write_csv(separator=";", decimal_comma=True, date_format="%d/%m/%Y", quote_style=quote_style)
    return text.encode("cp1252")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FRENCH_FRAMES, st.sampled_from(["necessary", "non_numeric", "always"]))
def test_a_french_csv_written_from_a_frame_reads_back_equal(frame, quote_style):
    table = read_table(french_csv(frame, quote_style), "export.csv")
    expected = frame.rename({name: snake_case(name) for name in frame.columns})
    assert table.report["delimiter"] == ";"
    assert_frame_equal(table.frame, expected, check_exact=False, rel_tol=1e-12)


@settings(max_examples=200, deadline=None)
@given(series(dtype=pl.Float64, allow_nan=False, allow_infinity=False, min_size=1, max_size=50))
def test_decimal_comma_parsing_equals_dot_parsing(numbers):
    dot = numbers.cast(pl.String)
    comma = dot.str.replace(".", ",", literal=True)
    parsed_dot = pl.select(v.as_number(pl.lit(dot), decimal_comma=False)).to_series()
    parsed_comma = pl.select(v.as_number(pl.lit(comma), decimal_comma=True)).to_series()
    assert_series_equal(parsed_comma, parsed_dot, check_names=False)
    assert_series_equal(parsed_dot, numbers, check_names=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.decimals(min_value=-(10**9), max_value=10**9, places=2), min_size=1))
def test_thousands_separators_and_decimal_comma_read_as_plain_numbers(amounts):
    plain = pl.Series([f"{amount:.2f}" for amount in amounts])
    spaced = [f"{amount:,.2f}".replace(",", "\u202f").replace(".", ",") for amount in amounts]
    dotted = [f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".") for amount in amounts]
    expected = pl.select(v.as_number(pl.lit(plain), decimal_comma=False)).to_series()
    for written in (spaced, dotted):
        parsed = pl.select(v.as_number(pl.lit(pl.Series(written)), decimal_comma=True)).to_series()
        assert_series_equal(parsed, expected, check_names=False)


CODES = st.lists(st.from_regex(r"[0-9]{2,14}", fullmatch=True), min_size=1, max_size=20)


@settings(max_examples=150, deadline=None)
@given(CODES, st.from_regex(r"0[0-9]{1,13}", fullmatch=True))
def test_identifiers_keep_their_zeros_whatever_the_column_name(codes, with_zero):
    values = [*codes, with_zero]
    text = "champ;nom\n" + "".join(f"{code};x\n" for code in values)
    table = read_table(text.encode(), "codes.csv")
    assert table.frame["champ"].to_list() == values


@settings(max_examples=150, deadline=None)
@given(st.lists(INSEE, min_size=1, max_size=20))
def test_insee_codes_keep_their_zeros(codes):
    text = "code_insee;population\n" + "".join(f"{code};1\n" for code in codes)
    table = read_table(text.encode("cp1252"), "communes.csv")
    assert table.frame["code_insee"].to_list() == codes


@given(st.text())
def test_snake_case_names_are_ascii_and_stable(name):
    snake = snake_case(name)
    assert snake.isascii() and snake == snake_case(snake)
    assert not snake.startswith("_") and not snake.endswith("_")
