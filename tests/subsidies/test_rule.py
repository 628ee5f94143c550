"""The one subsidy rule: ranges, caps, best of each kind, money over time."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from portal.enums import BenefitKind
from portal.subsidies.rule import (
    Benefit,
    LoanPrice,
    PolicyTerms,
    annual_cost,
    bounded,
    cap_left,
    choose,
    expected_amount,
    period_interest_subsidy,
    subsidised_fee_rate,
    subsidised_rate,
    yearly_amount,
)

LOAN = LoanPrice(Decimal("1000000"), Decimal("4.00"), 24, Decimal("1.50"))
DAY = dt.date(2026, 6, 1)


def terms(kind: BenefitKind = BenefitKind.RATE_POINTS, **changes) -> PolicyTerms:
    fields = {"id": 1, "title": "贴息", "benefit_kind": kind, "valid_from": dt.date(2026, 1, 1)}
    fields.update(changes)
    return PolicyTerms(**fields)


def benefit(pid: int, kind: BenefitKind, value: str) -> Benefit:
    return Benefit(pid, f"政策{pid}", kind, Decimal(value))


def test_rate_points_above_the_rate_are_bounded_by_it():
    assert bounded(terms(), Decimal(100), LOAN, None) == (Decimal("4.000000"), False)


def test_negative_and_zero_benefits_give_nothing():
    assert bounded(terms(), Decimal(-5), LOAN, None) is None
    assert bounded(terms(), Decimal(0), LOAN, None) is None


def test_shares_stay_between_zero_and_one():
    assert bounded(terms(BenefitKind.FEE_SHARE), Decimal("1.2"), LOAN, None)[0] == 1


def test_the_yearly_cap_bounds_rate_points():
    # 1,000,000 yuan × 1.5 points = 15,000 a year; a 10,000 cap allows 1 point.
    value, capped = bounded(terms(), Decimal("1.5"), LOAN, Decimal(10000))
    assert (value, capped) == (Decimal("1.000000"), True)


def test_what_the_firm_has_drawn_reduces_its_cap():
    assert cap_left(Decimal(10000), Decimal(7000)) == Decimal(3000)
    assert cap_left(Decimal(10000), Decimal(12000)) == 0
    assert bounded(terms(), Decimal("1.5"), LOAN, cap_left(Decimal(10000), Decimal(10000))) is None


def test_a_fee_share_is_capped_by_the_fee_it_pays():
    # fee 1.5% of 1,000,000 = 15,000 a year; a 7,500 cap pays half of it.
    value, capped = bounded(terms(BenefitKind.FEE_SHARE), Decimal(1), LOAN, Decimal(7500))
    assert (value, capped) == (Decimal("0.500000"), True)


def test_best_of_each_kind_applies_and_kinds_stack():
    chosen = choose(
        [
            benefit(1, BenefitKind.RATE_POINTS, "1.0"),
            benefit(2, BenefitKind.RATE_POINTS, "1.5"),
            benefit(3, BenefitKind.FEE_SHARE, "0.5"),
            benefit(4, BenefitKind.LOSS_SHARE, "0.4"),
        ],
        LOAN.guarantee_fee_rate,
    )
    assert [(b.policy_id, b.applied) for b in chosen] == [
        (1, False),
        (2, True),
        (3, True),
        (4, True),
    ]
    assert subsidised_rate(LOAN.rate, chosen) == Decimal("2.50")
    assert subsidised_fee_rate(LOAN.guarantee_fee_rate, chosen) == Decimal("0.75")
    assert annual_cost(LOAN, chosen) == Decimal("3.25")


def test_ties_go_to_the_lower_policy_id():
    chosen = choose(
        [benefit(7, BenefitKind.RATE_POINTS, "1"), benefit(3, BenefitKind.RATE_POINTS, "1")],
        Decimal(0),
    )
    assert [b.policy_id for b in chosen if b.applied] == [3]


def test_a_fee_subsidy_without_a_fee_is_not_listed():
    assert choose([benefit(1, BenefitKind.FEE_SHARE, "0.5")], Decimal(0)) == ()


def test_in_force_between_its_dates_until_closed_or_spent():
    policy = terms(valid_to=dt.date(2026, 12, 31))
    assert policy.in_force(DAY)
    assert not policy.in_force(dt.date(2025, 12, 31))
    assert not policy.in_force(dt.date(2027, 1, 1))
    assert not terms(closed_on=DAY).in_force(DAY)
    assert terms(closed_on=DAY).in_force(DAY - dt.timedelta(days=1))
    assert not terms(budget_left=Decimal(0)).in_force(DAY)


def test_yearly_and_expected_amounts():
    points = benefit(1, BenefitKind.RATE_POINTS, "1.5")
    assert yearly_amount(points, LOAN) == Decimal("15000.00")
    assert expected_amount(points, LOAN) == Decimal("30000.00")  # 24 months
    share = benefit(2, BenefitKind.FEE_SHARE, "0.5")
    assert yearly_amount(share, LOAN) == Decimal("7500.00")


def test_period_interest_subsidy_is_balance_points_days_over_day_count():
    # 800,000 × 1.5% × 31 / 360 = 1,033.33
    assert period_interest_subsidy(Decimal(800000), Decimal("1.5"), 31) == Decimal("1033.33")
    assert period_interest_subsidy(Decimal(800000), Decimal("1.5"), 31, 365) == Decimal("1019.18")
    assert period_interest_subsidy(Decimal(0), Decimal("1.5"), 31) == 0


@given(
    raw=st.decimals(min_value=-1000, max_value=1000, places=4),
    rate=st.decimals(min_value="0.01", max_value=24, places=2),
    amount=st.decimals(min_value=1, max_value=10**9, places=2),
    cap=st.one_of(st.none(), st.decimals(min_value=0, max_value=10**7, places=2)),
)
def test_a_bounded_interest_subsidy_never_exceeds_rate_or_cap(raw, rate, amount, cap):
    price = LoanPrice(amount, rate, 12)
    kept = bounded(terms(), raw, price, cap)
    if kept is None:
        return
    value, _ = kept
    assert 0 < value <= rate
    if cap is not None:
        assert amount * value / 100 <= cap + Decimal("0.01")
