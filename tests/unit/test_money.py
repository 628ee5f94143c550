"""Money reads one way in each language: 万元 in Chinese, yuan through Babel in English."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from flask import Flask
from flask_babel import force_locale

from portal.money import money, money_range, percent
from portal.rules.explain import format_money

HUGE = Decimal("1E+400")  # beyond any stored amount; a page must still show it


@pytest.fixture
def chinese(app: Flask) -> Iterator[None]:
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        yield


@pytest.fixture
def english(app: Flask) -> Iterator[None]:
    with app.test_request_context(), force_locale("en"):
        yield


@pytest.mark.parametrize(
    ("amount", "places", "shown"),
    [
        (Decimal("3431000"), 2, "343.10 万元"),
        (Decimal("3431000"), 0, "343 万元"),
        (Decimal("123456789012.34"), 2, "12,345,678.90 万元"),
        (0, 2, "0.00 万元"),
        (Decimal("-500000"), 2, "-50.00 万元"),
        (Decimal("3000000"), None, "300 万元"),
        (Decimal("3000001.50"), None, "300.00015 万元"),
        (None, 2, "—"),
    ],
)
def test_chinese_counts_money_in_wan(chinese, amount, places, shown):
    assert money(amount, places) == shown


@pytest.mark.parametrize(
    ("amount", "places", "shown"),
    [
        (Decimal("3431000"), 2, "CN¥3,431,000"),
        (Decimal("3431000.50"), 2, "CN¥3,431,000.50"),
        (Decimal("3431000.50"), 0, "CN¥3,431,001"),
        (0, 2, "CN¥0"),
        (Decimal("-500000"), 2, "-CN¥500,000"),
        (Decimal("3000001.50"), None, "CN¥3,000,001.50"),
        (None, 2, "—"),
    ],
)
def test_english_reads_yuan_through_babel(english, amount, places, shown):
    assert money(amount, places) == shown


def test_ranges_read_as_one_amount_with_one_unit(chinese):
    assert money_range(Decimal("500000"), Decimal("1000000")) == "50–100 万元"
    assert money_range(Decimal("123400"), Decimal("1000000")) == "12.34–100 万元"
    assert money_range(Decimal("500000"), Decimal("500000")) == "50 万元"
    assert money_range(None, None) == "—"


def test_english_ranges_name_the_currency_once(english):
    assert money_range(Decimal("500000"), Decimal("1000000")) == "CN¥500,000–1,000,000"
    assert money_range(Decimal("500000"), Decimal("500000")) == "CN¥500,000"
    assert money_range(None, Decimal("1000000")) == "CN¥1,000,000"


@pytest.mark.parametrize("locale", ["zh_Hans_CN", "en"])
def test_rates_keep_two_places_and_a_percent_sign(app, locale):
    with app.test_request_context(), force_locale(locale):
        assert percent(Decimal("3.4500")) == "3.45%"
        assert percent(Decimal("-0.5")) == "-0.50%"
        assert percent(Decimal("12345.678")) == "12,345.68%"
        assert percent(None) == "—"
        assert percent(HUGE) == "1E+400%"


@pytest.mark.parametrize("locale", ["zh_Hans_CN", "en"])
def test_amounts_beyond_any_stored_one_are_shown_not_raised(app, locale):
    with app.test_request_context(), force_locale(locale):
        for amount in (HUGE, -HUGE, Decimal("1E+30"), Decimal("NaN"), 10**50):
            assert money(amount)
            assert money(amount, None)
            assert money_range(amount, amount * 2)
            assert format_money(amount)


def test_outside_an_app_money_is_written_in_chinese():
    """Jobs and rule explanations run without a request: the Chinese source is the text."""
    assert money(Decimal("3431000")) == "343.10 万元"


def test_rule_explanations_use_the_same_money_in_english(english):
    assert format_money(Decimal("8000000")) == "CN¥8,000,000"


def test_rule_explanations_keep_trimmed_wan_in_chinese(chinese):
    assert format_money(Decimal("8000000")) == "800 万元"
    assert format_money(Decimal("5000")) == "5,000 元"
