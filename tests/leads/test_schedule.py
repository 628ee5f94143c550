"""Repayment schedules: the three methods, exact to the fen, before and after a subsidy."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.enums import BenefitKind, RepaymentMethod
from portal.leads.schedule import (
    annuity_payment,
    fen,
    guarantee_fee_total,
    monthly_rate,
    offer_costs,
    repayment_schedule,
)
from portal.subsidies.rule import Benefit, LoanPrice

METHODS = st.sampled_from(list(RepaymentMethod))
AMOUNTS = st.decimals(min_value="0.01", max_value="100000000", places=2)
RATES = st.decimals(min_value="0", max_value="36", places=4)
MONTHS = st.integers(min_value=1, max_value=360)
POINTS = st.decimals(min_value="0.000001", max_value="40", places=6)
SHARES = st.decimals(min_value="0.000001", max_value="1", places=6)


def points(value: str | Decimal) -> Benefit:
    return Benefit(1, "贴息", BenefitKind.RATE_POINTS, Decimal(value))


@settings(max_examples=400, deadline=None)
@given(AMOUNTS, RATES, MONTHS, METHODS)
def test_principal_sums_to_the_amount_and_balances_stay_positive(amount, rate, months, method):
    """Every schedule repays exactly the amount; no balance or interest is ever negative."""
    schedule = repayment_schedule(amount, rate, months, method)
    assert len(schedule.instalments) == months
    assert schedule.total_principal == amount
    assert schedule.instalments[-1].balance == 0
    for instalment in schedule.instalments:
        assert instalment.balance >= 0
        assert instalment.principal >= 0
        assert instalment.interest >= 0
        assert instalment.interest == instalment.interest.quantize(Decimal("0.01"))
    assert schedule.total_payment == amount + schedule.total_interest


@settings(max_examples=400, deadline=None)
@given(AMOUNTS, RATES, MONTHS, METHODS, POINTS)
def test_interest_after_subsidy_is_never_more(amount, rate, months, method, value):
    """The schedule at the subsidised rate costs no more interest than at the offered rate."""
    price = LoanPrice(amount, rate, months)
    costs = offer_costs(price, method, [points(value)])
    assert costs.after.total_interest <= costs.before.total_interest
    assert costs.interest_subsidy >= 0
    assert costs.after.total_principal == costs.before.total_principal == amount


@settings(max_examples=200, deadline=None)
@given(AMOUNTS, RATES, MONTHS, st.decimals(min_value="0", max_value="5", places=4), SHARES)
def test_guarantee_fee_subsidy_is_within_the_fee(amount, rate, months, fee_rate, share):
    """The fee subsidy is between nothing and the whole fee."""
    price = LoanPrice(amount, rate, months, guarantee_fee_rate=fee_rate)
    benefit = Benefit(2, "担保费补贴", BenefitKind.FEE_SHARE, share)
    costs = offer_costs(price, RepaymentMethod.EQUAL_INSTALMENT, [benefit])
    assert 0 <= costs.guarantee_fee_subsidy <= costs.guarantee_fee
    assert costs.guarantee_fee_after >= 0


def test_equal_instalments_match_the_annuity_formula():
    """1,000,000 yuan at 12% over 12 months: 88,848.79 a month, each within two fen of it."""
    schedule = repayment_schedule(
        Decimal("1000000"), Decimal("12"), 12, RepaymentMethod.EQUAL_INSTALMENT
    )
    payment = annuity_payment(Decimal("1000000"), monthly_rate(Decimal("12")), 12)
    assert fen(payment) == Decimal("88848.79")
    first = schedule.instalments[0]
    assert (first.interest, first.principal) == (Decimal("10000.00"), Decimal("78848.79"))
    assert all(abs(i.payment - payment) <= Decimal("0.02") for i in schedule.instalments)
    assert schedule.total_interest == fen(payment * 12 - Decimal("1000000"))
    assert schedule.total_interest == Decimal("66185.46")


def test_rounding_does_not_compound_at_high_rates():
    """At 28.52% over 354 months a lower rate still shows less interest, and no instalment
    carries more than a few fen of accumulated rounding."""
    amount = Decimal("70928.16")
    higher = repayment_schedule(amount, Decimal("28.5213"), 354, RepaymentMethod.EQUAL_INSTALMENT)
    lower = repayment_schedule(amount, Decimal("28.52"), 354, RepaymentMethod.EQUAL_INSTALMENT)
    assert lower.total_interest < higher.total_interest
    payment = annuity_payment(amount, monthly_rate(Decimal("28.52")), 354)
    assert all(abs(i.payment - payment) <= Decimal("0.02") for i in lower.instalments)


def test_equal_principal_and_interest_only():
    """等额本金 repays the same principal each month; 先息后本 repays it all at the end."""
    equal = repayment_schedule(Decimal("120000"), Decimal("6"), 12, RepaymentMethod.EQUAL_PRINCIPAL)
    assert {i.principal for i in equal.instalments} == {Decimal("10000.00")}
    assert equal.instalments[0].interest == Decimal("600.00")
    assert equal.instalments[-1].interest == Decimal("50.00")
    assert equal.total_interest == Decimal("3900.00")
    bullet = repayment_schedule(Decimal("120000"), Decimal("6"), 12, RepaymentMethod.INTEREST_ONLY)
    assert [i.principal for i in bullet.instalments[:-1]] == [Decimal(0)] * 11
    assert bullet.instalments[-1].principal == Decimal("120000.00")
    assert bullet.total_interest == Decimal("7200.00")


def test_zero_rate_spreads_the_amount():
    """At 0% an equal-instalment loan repays amount ÷ months, each within a fen of it."""
    schedule = repayment_schedule(Decimal("100"), Decimal("0"), 3, RepaymentMethod.EQUAL_INSTALMENT)
    assert [i.payment for i in schedule.instalments] == [
        Decimal("33.33"),
        Decimal("33.34"),
        Decimal("33.33"),
    ]


def test_subsidy_is_the_difference_at_the_subsidised_rate():
    """A 12% offer with 3.15 points: the after-subsidy schedule runs at 8.85%."""
    price = LoanPrice(Decimal("1000000"), Decimal("12"), 12)
    costs = offer_costs(price, RepaymentMethod.INTEREST_ONLY, [points("3.15")])
    assert costs.subsidised_rate == Decimal("8.85")
    assert costs.after.total_interest == Decimal("88500.00")
    assert costs.interest_subsidy == Decimal("31500.00")


def test_no_subsidy_keeps_an_unrounded_rate():
    """Without a subsidy the schedule after equals the one before, even at 3.125%."""
    price = LoanPrice(Decimal("500000"), Decimal("3.125"), 24)
    costs = offer_costs(price, RepaymentMethod.EQUAL_INSTALMENT, [])
    assert costs.interest_subsidy == 0
    assert costs.after == costs.before


def test_guarantee_fee_over_the_term():
    """Fee = amount × rate × years; a half-share subsidy pays half of it."""
    assert guarantee_fee_total(Decimal("1000000"), Decimal("1.5"), 18) == Decimal("22500.00")
    price = LoanPrice(Decimal("1000000"), Decimal("4"), 18, guarantee_fee_rate=Decimal("1.5"))
    share = Benefit(2, "担保费补贴", BenefitKind.FEE_SHARE, Decimal("0.5"))
    costs = offer_costs(price, RepaymentMethod.EQUAL_PRINCIPAL, [share])
    assert (costs.guarantee_fee, costs.guarantee_fee_subsidy) == (
        Decimal("22500.00"),
        Decimal("11250.00"),
    )
    assert costs.subsidised_fee_rate == Decimal("0.75")
    assert costs.annual_cost == Decimal("4.75")


def test_bad_input_is_refused():
    """A negative amount or rate, or no months, is a programming error."""
    with pytest.raises(ValueError):
        repayment_schedule(Decimal("-1"), Decimal("3"), 12, RepaymentMethod.EQUAL_INSTALMENT)
    with pytest.raises(ValueError):
        repayment_schedule(Decimal("1"), Decimal("3"), 0, RepaymentMethod.EQUAL_INSTALMENT)
