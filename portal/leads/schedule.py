"""Repayment schedules and what an offer costs, before and after its subsidies.

Pure functions over plain values (no database, no request), so the offer comparison and the
bank's lead page show the same figures and a property test can check them.

- The monthly rate is the annual rate ÷ 12. The schedule is worked out exactly first (to 40
  digits): each month's interest is the balance at its start × the monthly rate.
- 等额本息 (equal instalments): the annuity payment A·r·(1+r)^n / ((1+r)^n − 1) (A ÷ n at a zero
  rate); each month's principal is the payment less that month's interest.
- 等额本金 (equal principal): A ÷ n of principal each month, plus the interest.
- 先息后本 (interest first): interest each month, the whole principal with the last instalment.
- Then to the fen: each month shows the rounded running total less the rounded running total of
  the month before, so every figure is within a fen of the exact one, the totals are the exact
  totals to the fen, the last instalment takes whatever principal is left (principal repaid sums
  exactly to the amount) and a lower rate never shows more interest. Rounding a constant
  payment to the fen instead lets the error compound at the loan's rate: at 28% over 30 years a
  half-fen a month became hundreds of yuan in the last instalment. So a payment may differ from
  the month before by a fen or two.
- "After subsidy" is the same schedule at the subsidised rate (`rule.subsidised_rate` with the
  offer's benefits); the interest subsidy is the difference in total interest.
- The guarantee fee is assumed charged each year on the full amount for the whole term
  (amount × fee rate × months ÷ 12), the basis the subsidy rule reserves budget on
  (`rule.expected_amount`); its subsidy is the part `rule.fee_subsidy_rate` pays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from portal.enums import BenefitKind, RepaymentMethod
from portal.subsidies.rule import (
    Benefit,
    LoanPrice,
    annual_cost,
    applied_value,
    fee_subsidy_rate,
    subsidised_fee_rate,
    subsidised_rate,
)

ZERO = Decimal(0)
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
MONTHS_A_YEAR = Decimal(12)
PRECISION = 40  # digits for (1 + r)^n over 600 months, far beyond the fen


@dataclass(frozen=True)
class Instalment:
    """One month of a schedule, in yuan; `balance` is what is left after it."""

    number: int
    principal: Decimal
    interest: Decimal
    balance: Decimal

    @property
    def payment(self) -> Decimal:
        return self.principal + self.interest


@dataclass(frozen=True)
class Schedule:
    """A loan's monthly instalments at one annual rate (percent)."""

    method: RepaymentMethod
    amount: Decimal
    rate: Decimal
    instalments: tuple[Instalment, ...]

    @property
    def total_interest(self) -> Decimal:
        return sum((i.interest for i in self.instalments), ZERO)

    @property
    def total_principal(self) -> Decimal:
        return sum((i.principal for i in self.instalments), ZERO)

    @property
    def total_payment(self) -> Decimal:
        return self.total_principal + self.total_interest


def monthly_rate(annual_rate: Decimal) -> Decimal:
    """The monthly rate as a fraction: percent a year ÷ 100 ÷ 12 (unrounded)."""
    return annual_rate / HUNDRED / MONTHS_A_YEAR


def fen(value: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
    """A yuan amount to the fen."""
    return value.quantize(CENT, rounding)


def repayment_schedule(
    amount: Decimal, annual_rate: Decimal, months: int, method: RepaymentMethod
) -> Schedule:
    """The monthly instalments of `amount` yuan at `annual_rate` percent over `months`."""
    if amount < 0 or annual_rate < 0 or months < 1:
        raise ValueError("amount and rate must not be negative, and months at least 1")
    amount = fen(amount)
    with localcontext() as context:
        context.prec = PRECISION
        rate = monthly_rate(annual_rate)
        principal_of = _principal_rule(amount, rate, months, method)
        balance = amount  # exact
        repaid = paid_interest = ZERO  # exact running totals
        shown_repaid = shown_interest = ZERO  # the same, to the fen
        instalments = []
        for number in range(1, months + 1):
            interest = balance * rate
            if number == months:
                principal = balance
            else:
                principal = min(max(principal_of(interest), ZERO), balance)
            balance -= principal
            repaid += principal
            paid_interest += interest
            to_date = amount if number == months else min(fen(repaid), amount)
            interest_to_date = fen(paid_interest)
            instalments.append(
                Instalment(
                    number,
                    principal=to_date - shown_repaid,
                    interest=interest_to_date - shown_interest,
                    balance=amount - to_date,
                )
            )
            shown_repaid, shown_interest = to_date, interest_to_date
    return Schedule(method, amount, annual_rate, tuple(instalments))


def _principal_rule(
    amount: Decimal, rate: Decimal, months: int, method: RepaymentMethod
) -> Callable[[Decimal], Decimal]:
    """How much principal a month before the last repays, given that month's interest."""
    if method == RepaymentMethod.EQUAL_PRINCIPAL:
        each = amount / months
        return lambda _interest: each
    if method == RepaymentMethod.INTEREST_ONLY:
        return lambda _interest: ZERO
    payment = annuity_payment(amount, rate, months)
    return lambda interest: payment - interest


def annuity_payment(amount: Decimal, rate: Decimal, months: int) -> Decimal:
    """The equal monthly payment (等额本息) at a monthly rate `rate`, unrounded."""
    if rate == 0:
        return amount / months
    growth = (1 + rate) ** months
    return amount * rate * growth / (growth - 1)


@dataclass(frozen=True)
class OfferCosts:
    """What an offer costs the firm before and after its subsidies, in yuan and percent."""

    price: LoanPrice
    before: Schedule
    after: Schedule
    subsidised_rate: Decimal  # percent a year
    subsidised_fee_rate: Decimal  # percent a year
    annual_cost: Decimal  # subsidised rate + subsidised fee rate
    guarantee_fee: Decimal  # over the term, yuan
    guarantee_fee_subsidy: Decimal  # over the term, yuan

    @property
    def interest_subsidy(self) -> Decimal:
        return self.before.total_interest - self.after.total_interest

    @property
    def guarantee_fee_after(self) -> Decimal:
        return self.guarantee_fee - self.guarantee_fee_subsidy


def guarantee_fee_total(amount: Decimal, fee_rate: Decimal, months: int) -> Decimal:
    """The guarantee fee over the term: the full amount × fee rate for each year, to the fen."""
    return fen(amount * fee_rate / HUNDRED * Decimal(months) / MONTHS_A_YEAR)


def offer_costs(
    price: LoanPrice, method: RepaymentMethod, benefits: Sequence[Benefit]
) -> OfferCosts:
    """The offer's schedules at its rate and at the subsidised rate, and its guarantee fee.

    The rule gives rates to the hundredth; an offer at, say, 3.125% without a subsidy keeps its
    own rate for the schedule after subsidy, so no rounding shows as a subsidy (or a surcharge).
    """
    reduced = subsidised_rate(price.rate, benefits)
    after_rate = price.rate
    if applied_value(benefits, BenefitKind.RATE_POINTS) > 0:
        after_rate = min(reduced, price.rate)
    fee_rate = price.guarantee_fee_rate
    fee_subsidy = ZERO
    if applied_value(benefits, BenefitKind.FEE_SHARE) > 0:
        fee_subsidy = max(fee_subsidy_rate(fee_rate, benefits), ZERO)
    return OfferCosts(
        price=price,
        before=repayment_schedule(price.amount, price.rate, price.term_months, method),
        after=repayment_schedule(price.amount, after_rate, price.term_months, method),
        subsidised_rate=reduced,
        subsidised_fee_rate=subsidised_fee_rate(fee_rate, benefits),
        annual_cost=annual_cost(price, benefits),
        guarantee_fee=guarantee_fee_total(price.amount, fee_rate, price.term_months),
        guarantee_fee_subsidy=guarantee_fee_total(price.amount, fee_subsidy, price.term_months),
    )
