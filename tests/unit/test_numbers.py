"""The numeric domain: any text either parses into its quantity's range or is refused with a
message naming the range and unit, never another exception."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal import numbers
from portal.numbers import (
    AMOUNT_WAN,
    DAYS,
    MONEY_YUAN,
    MONTHS,
    RATE_PERCENT,
    RULE_CONSTANT,
    NumberError,
    check_value,
    decimal_places,
    parse_number,
    parse_whole,
)

QUANTITIES = [value for value in vars(numbers).values() if isinstance(value, numbers.Quantity)]
EXTREMES = [
    "1e999999999",
    "-1e999999999",
    "1e-999999999",
    "-1e-999999999",
    "1e999999",
    "1E+999999999",
    "NaN",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "9" * 60,
    "-" + "9" * 60,
    "1_000",
    "９" * 60,  # full-width digits read as ASCII: 60 nines
    "٣",
    "0x10",
    "1e",
    ".",
    "--1",
    "1" * 100_000,
]
TEXT = st.one_of(
    st.text(max_size=60),
    st.sampled_from(EXTREMES),
    st.decimals().map(str),
    st.floats().map(repr),
    st.integers().map(str),
    st.from_regex(r"[+-]?\d{0,20}(\.\d{0,12})?([eE][+-]?\d{1,12})?", fullmatch=True),
)


@settings(max_examples=500, deadline=None)
@given(text=TEXT, quantity=st.sampled_from(QUANTITIES))
def test_any_text_parses_into_range_or_raises_the_domain_error(text, quantity):
    """The property every reader of numbers relies on."""
    try:
        value = parse_number(text, quantity)
    except NumberError as error:
        assert error.problem in ("syntax", "below", "above", "places")
        assert "请输入" in str(error)
        return
    assert value.is_finite()
    assert quantity.low <= value <= quantity.high
    assert decimal_places(value) <= quantity.places
    assert not value.is_signed() or value < 0  # "-0" reads as plain 0
    if quantity.whole:
        assert value == int(value)


@pytest.mark.parametrize("text", EXTREMES)
@pytest.mark.parametrize("quantity", QUANTITIES, ids=lambda q: q.name)
def test_extremes_are_refused(text, quantity):
    """NaN, infinities, huge and tiny exponents, 60 digits (also full-width), "1_000": refused."""
    with pytest.raises(NumberError):
        parse_number(text, quantity)


def test_message_names_range_and_unit():
    """The refusal says what to type: the range, the unit and the decimal places."""
    with pytest.raises(NumberError) as caught:
        parse_number("37", RATE_PERCENT.narrow(high=36))
    assert str(caught.value) == "请输入 0 至 36 之间的数字（%），最多 4 位小数"
    with pytest.raises(NumberError) as caught:
        parse_number("0", MONTHS)
    assert str(caught.value) == "请输入 1 至 600 之间的整数（个月）"
    assert caught.value.problem == "below"


def test_message_is_translated_with_its_unit():
    """render() translates the template and the unit it names."""
    error = AMOUNT_WAN.error("above")
    english = {"万元": "10k yuan"}
    assert "10k yuan" in error.render(lambda text: english.get(text, text))


@pytest.mark.parametrize(
    ("text", "quantity", "expected"),
    [
        ("36", RATE_PERCENT, Decimal(36)),
        (" 4.35 ", RATE_PERCENT, Decimal("4.35")),
        ("1,000.5", AMOUNT_WAN, Decimal("1000.5")),
        ("-0", RATE_PERCENT, Decimal(0)),
        ("1.500000", RATE_PERCENT, Decimal("1.5")),
        ("2e3", AMOUNT_WAN, Decimal(2000)),
        ("99999999999999.99", MONEY_YUAN, Decimal("99999999999999.99")),
        ("-1000000000000000", RULE_CONSTANT, Decimal("-1000000000000000")),
    ],
)
def test_plain_numbers_are_read(text, quantity, expected):
    """What people type is read exactly."""
    assert parse_number(text, quantity) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [("0.001", "places"), ("-1", "below"), ("100000000000000", "above"), ("1e-999", "places")],
)
def test_which_way_a_number_missed(text, problem):
    """The problem says which limit was missed, so a form can use its own words for it."""
    with pytest.raises(NumberError) as caught:
        parse_number(text, MONEY_YUAN)
    assert caught.value.problem == problem


def test_whole_numbers_refuse_decimals_and_read_as_int():
    """Months and days are whole numbers."""
    assert parse_whole("12", MONTHS) == 12
    with pytest.raises(NumberError):
        parse_whole("12.5", MONTHS)


@pytest.mark.parametrize("value", [10**60, -(10**60), Decimal("NaN"), Decimal("sNaN"), True])
def test_cell_values_out_of_range_are_refused(value):
    """Numbers a spreadsheet stored as numbers go through the same range."""
    with pytest.raises(NumberError):
        check_value(value, DAYS)


def test_full_width_digits_read_as_ascii():
    """A Chinese input method's full-width "３６．５" is the number 36.5."""
    assert parse_number("３６．５", RATE_PERCENT) == Decimal("36.5")
    assert parse_number("１，０００", MONTHS.narrow(high=1000)) == 1000
