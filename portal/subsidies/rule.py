"""The subsidy rule, once: which policy benefits a loan gets and what they come to.

Pure functions over plain values (no database, no request), so the catalogue, the matcher, the
credit decision, the settlement and the province seed compute the same thing and a property
test can compare them:

- A policy applies on a day only while it is in force (published, started, not ended, not
  closed before that day) and while its budget has something left.
- Each benefit stays inside the range its kind allows: rate points between 0 and the loan's
  rate, fee and loss shares between 0 and 1, lump sums not below 0; and inside what is left of
  the firm's yearly cap for that policy. A benefit that comes to nothing is not listed.
- Benefits of one kind do not add up (同一笔贷款不重复享受同类财政补贴): the single best interest
  subsidy and the single best guarantee-fee subsidy count; kinds stack. Risk compensation and
  lump sums are listed and counted by their own processes (claims, rewards).
- The subsidised rate is the rate less the points; the subsidised guarantee fee is the fee less
  the policy's share of it; the annual cost is their sum.
- An interest subsidy for a period is balance × points ÷ 100 × days ÷ the policy's day count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from portal.enums import BenefitKind

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
VALUE_PLACES = Decimal("0.000001")  # rate points and shares, as stored on a grant
RATE_PLACES = Decimal("0.0001")  # percent a year, as rates are stored
MONTHS_A_YEAR = Decimal(12)

# Kinds whose best value lowers what the firm pays each year.
COST_KINDS = (BenefitKind.RATE_POINTS, BenefitKind.FEE_SHARE)


@dataclass(frozen=True)
class PolicyTerms:
    """What the rule needs to know about one policy; None for an unset limit."""

    id: int
    title: str
    benefit_kind: BenefitKind
    valid_from: dt.date
    valid_to: dt.date | None = None
    closed_on: dt.date | None = None  # the day staff closed it; it grants nothing from then on
    cap: Decimal | None = None  # yuan per firm per year
    budget_left: Decimal | None = None  # budget − reserved − committed; None: no budget set
    rule_version_id: int | None = None

    def in_force(self, day: dt.date) -> bool:
        """Whether the policy may grant anything to a decision made on `day`."""
        if day < self.valid_from or (self.valid_to is not None and day > self.valid_to):
            return False
        if self.closed_on is not None and day >= self.closed_on:
            return False
        return self.budget_left is None or self.budget_left > 0


@dataclass(frozen=True)
class LoanPrice:
    """The loan a benefit is worked out on: the product's best case in the catalogue, the
    need's amount and term in the match, the bank's offer at the credit decision."""

    amount: Decimal  # yuan
    rate: Decimal  # percent a year
    term_months: int
    guarantee_fee_rate: Decimal = ZERO  # percent a year


@dataclass(frozen=True)
class Benefit:
    """One policy's benefit on one loan, in its kind's unit (points, share or yuan).

    `applied` says whether it counts: the best of its kind for the cost kinds, always for the
    others. `capped` says the firm's yearly cap (what was left of it) limited the value.
    """

    policy_id: int
    title: str
    benefit_kind: BenefitKind
    value: Decimal
    applied: bool = True
    capped: bool = False
    rule_version_id: int | None = None


def bounded(
    terms: PolicyTerms, raw: Decimal, price: LoanPrice, cap_left: Decimal | None
) -> tuple[Decimal, bool] | None:
    """A formula's value inside its kind's range and the firm's cap left; None if nothing is
    left. Returns the value and whether the cap limited it."""
    kind = terms.benefit_kind
    value = max(raw, ZERO)
    if kind == BenefitKind.RATE_POINTS:
        value = min(value, price.rate)
    elif kind in (BenefitKind.FEE_SHARE, BenefitKind.LOSS_SHARE):
        value = min(value, ONE)
    value = value.quantize(VALUE_PLACES, ROUND_DOWN)
    most = _most_within_cap(kind, cap_left, price)
    capped = most is not None and most < value
    if capped:
        value = most
    return (value, capped) if value > 0 else None


def _most_within_cap(
    kind: BenefitKind, cap_left: Decimal | None, price: LoanPrice
) -> Decimal | None:
    """The largest value whose yearly cost stays within the cap left; None when uncapped."""
    if cap_left is None:
        return None
    cap_left = max(cap_left, ZERO)
    if kind == BenefitKind.RATE_POINTS:
        if price.amount <= 0:
            return ZERO
        return (cap_left * HUNDRED / price.amount).quantize(VALUE_PLACES, ROUND_DOWN)
    if kind == BenefitKind.FEE_SHARE:
        yearly_fee = price.amount * price.guarantee_fee_rate / HUNDRED
        if yearly_fee <= 0:
            return ZERO
        return min(cap_left / yearly_fee, ONE).quantize(VALUE_PLACES, ROUND_DOWN)
    if kind == BenefitKind.LUMP_SUM:
        return cap_left
    return None  # a loss share is capped per claim, when the loss is known


def choose(found: Iterable[Benefit], guarantee_fee_rate: Decimal) -> tuple[Benefit, ...]:
    """Mark the best benefit of each cost kind as applied; ties go to the lowest policy id.

    A fee subsidy on a loan without a guarantee fee gives nothing and is not listed.
    """
    found = [b for b in found if b.benefit_kind != BenefitKind.FEE_SHARE or guarantee_fee_rate > 0]
    best = {
        kind: min(
            (b for b in found if b.benefit_kind == kind),
            key=lambda b: (-b.value, b.policy_id),
            default=None,
        )
        for kind in COST_KINDS
    }
    return tuple(
        _with_applied(b, b.benefit_kind not in COST_KINDS or best[b.benefit_kind] is b)
        for b in sorted(found, key=lambda b: b.policy_id)
    )


def _with_applied(benefit: Benefit, applied: bool) -> Benefit:
    if benefit.applied == applied:
        return benefit
    return Benefit(
        benefit.policy_id,
        benefit.title,
        benefit.benefit_kind,
        benefit.value,
        applied,
        benefit.capped,
        benefit.rule_version_id,
    )


def applied_value(benefits: Iterable[Benefit], kind: BenefitKind) -> Decimal:
    """The value of the applied benefit of a kind, or 0."""
    return next((b.value for b in benefits if b.applied and b.benefit_kind == kind), ZERO)


def subsidised_rate(rate: Decimal, benefits: Iterable[Benefit]) -> Decimal:
    """The rate less the applied interest subsidy's points, never below zero."""
    points = applied_value(benefits, BenefitKind.RATE_POINTS)
    return max(rate - points, ZERO).quantize(RATE_PLACES, ROUND_HALF_UP)


def subsidised_fee_rate(fee_rate: Decimal, benefits: Iterable[Benefit]) -> Decimal:
    """The guarantee fee less the share the applied fee subsidy pays."""
    share = applied_value(benefits, BenefitKind.FEE_SHARE)
    return (fee_rate * (ONE - share)).quantize(RATE_PLACES, ROUND_HALF_UP)


def annual_cost(price: LoanPrice, benefits: Sequence[Benefit]) -> Decimal:
    """Subsidised rate plus subsidised guarantee fee, percent a year."""
    return subsidised_rate(price.rate, benefits) + subsidised_fee_rate(
        price.guarantee_fee_rate, benefits
    )


def fee_subsidy_rate(fee_rate: Decimal, benefits: Iterable[Benefit]) -> Decimal:
    """The part of the guarantee fee (percent a year) the applied fee subsidy pays."""
    return fee_rate - subsidised_fee_rate(fee_rate, benefits)


# --- money over time ------------------------------------------------------------------------


def yearly_amount(benefit: Benefit, price: LoanPrice) -> Decimal:
    """What the benefit costs the policy in a year of the full amount (yuan): what it counts
    against the firm's yearly cap."""
    if benefit.benefit_kind == BenefitKind.RATE_POINTS:
        yearly = price.amount * benefit.value / HUNDRED
    elif benefit.benefit_kind == BenefitKind.FEE_SHARE:
        yearly = price.amount * price.guarantee_fee_rate / HUNDRED * benefit.value
    elif benefit.benefit_kind == BenefitKind.LUMP_SUM:
        yearly = benefit.value
    else:
        return ZERO
    return yearly.quantize(CENT, ROUND_HALF_UP)


def expected_amount(benefit: Benefit, price: LoanPrice) -> Decimal:
    """What the benefit is expected to cost the policy over the whole loan (yuan), at the full
    amount for the whole term: the most the budget may have to pay, so it is what an offer
    reserves. Settlement pays the actual figure from the reported balances, never more."""
    if benefit.benefit_kind == BenefitKind.LUMP_SUM:
        return yearly_amount(benefit, price)
    years = Decimal(price.term_months) / MONTHS_A_YEAR
    return (yearly_amount(benefit, price) * years).quantize(CENT, ROUND_HALF_UP)


def period_interest_subsidy(
    balance: Decimal, points: Decimal, days: int, day_count: int = 360
) -> Decimal:
    """The interest subsidy on a balance for `days` days: balance × points ÷ 100 × days ÷
    day count, to the fen."""
    if balance <= 0 or points <= 0 or days <= 0:
        return ZERO
    amount = balance * points / HUNDRED * Decimal(days) / Decimal(day_count)
    return amount.quantize(CENT, ROUND_HALF_UP)


def cap_left(cap: Decimal | None, drawn: Decimal) -> Decimal | None:
    """What is left of a firm's yearly cap after what its live grants already count."""
    if cap is None:
        return None
    return max(cap - drawn, ZERO)
