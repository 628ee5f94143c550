"""What a draft policy would cost its budget: the what-if's estimate, and what it assumes.

Two figures, both shown with their assumptions:

- **Upper bound**: eligible firms × the per-firm yearly cap. No firm can draw more than its cap
  in a year, so the policy cannot cost more than this a year (without a cap there is no bound).
- **Typical loan**: as if each eligible firm took one typical loan. The typical loan is the
  median financing need of the last year (amount and term), priced at the median rate of the
  loans disbursed in the last year (before there are enough: the published products' median
  starting rate, else the 1-year LPR), the current 1-year LPR and, for a guarantee-fee subsidy,
  the median fee of guaranteed loans (or 1%, the government guarantee fee's target). The
  benefit on it comes from the one subsidy rule (`portal.subsidies`: the formula, its kind's
  range and the per-firm cap), and its cost from `yearly_amount` (a year) and `expected_amount`
  (the whole term, what an offer reserves). Only formulas that read nothing but the loan's
  price can be worked out so; a formula reading the firm's own figures (revenue …) depends on
  each firm and gets the upper bound only, and so does risk compensation, which pays on actual
  losses.

Every eligible firm taking a loan is the high end of what happens, so the typical figure
overstates rather than understates. Only medians and counts are read from needs and loans, and
only over at least `MIN_SAMPLE` of them, so no single firm's amount can be read off the page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select

from portal.catalog.compiled import compiled
from portal.catalog.models import BankProduct, PolicyProduct, RuleVersion
from portal.catalog.queries import latest_lpr_one_year
from portal.db import utcnow
from portal.enums import BenefitKind, ProductStatus
from portal.extensions import db
from portal.leads.models import Loan
from portal.needs.models import FinancingNeed
from portal.subsidies.evaluate import PolicyRule, policy_benefit, price_facts
from portal.subsidies.grants import policy_terms
from portal.subsidies.rule import Benefit, LoanPrice, expected_amount, yearly_amount

ZERO = Decimal(0)
CENT = Decimal("0.01")
MIN_SAMPLE = 5  # fewer needs or loans than this give no median (one firm's figure would show)
WINDOW_DAYS = 365
# When the platform has too few needs: the Fujian financial services cloud's average deal
# (3.431 million yuan, DESIGN.md) over a year.
DEFAULT_AMOUNT = Decimal("3431000")
DEFAULT_TERM_MONTHS = 12
# 国办发〔2019〕6号: government financing guarantees aim at a fee of 1% a year or less.
DEFAULT_GUARANTEE_FEE = Decimal("1")
# The facts a formula may read and still be worked out on a typical loan, without a firm.
PRICE_FACTS = frozenset(price_facts(LoanPrice(ZERO, ZERO, 1), None))


@dataclass(frozen=True)
class Assumed:
    """One figure of the typical loan and where it came from (`source`), over `count` records."""

    value: Decimal
    source: str  # "needs" | "loans" | "products" | "lpr" | "default"
    count: int = 0


@dataclass(frozen=True)
class TypicalLoan:
    amount: Assumed
    term_months: Assumed
    rate: Assumed | None
    guarantee_fee_rate: Assumed
    lpr_one_year: Decimal | None

    def price(self) -> LoanPrice:
        return LoanPrice(
            amount=self.amount.value,
            rate=self.rate.value if self.rate else ZERO,
            term_months=int(self.term_months.value),
            guarantee_fee_rate=self.guarantee_fee_rate.value,
        )


@dataclass(frozen=True)
class BudgetEstimate:
    """The what-if's money: the bound, the typical-loan figure and the budget to compare with."""

    eligible: int
    benefit_kind: BenefitKind
    budget: Decimal | None
    remaining: Decimal | None
    cap: Decimal | None
    cap_bound: Decimal | None  # eligible × cap, yuan a year; None without a cap
    loan: TypicalLoan | None = None
    uses_fee: bool = False  # whether the guarantee fee figures in the estimate
    value: Decimal | None = None  # the benefit on the typical loan (points, share or yuan)
    capped: bool = False
    per_firm_yearly: Decimal | None = None
    per_firm_loan: Decimal | None = None  # over the whole term: what an offer reserves
    total_yearly: Decimal | None = None
    total_loan: Decimal | None = None
    why_not: str | None = None  # "firm_facts" | "loss_share" | "no_rate" | "no_lpr" | "formula"


def estimate(
    policy: PolicyProduct, version: RuleVersion, eligible: int, today: dt.date
) -> BudgetEstimate:
    """What the policy would cost if each of `eligible` firms took one typical loan."""
    cap = policy.benefit_cap
    base: dict[str, Any] = {
        "eligible": eligible,
        "benefit_kind": policy.benefit_kind,
        "budget": policy.budget,
        "remaining": policy.budget_remaining,
        "cap": cap,
        "cap_bound": None if cap is None else cap * eligible,
    }
    rules = compiled(version)
    if rules.formula is None:
        return BudgetEstimate(**base, why_not="formula")
    if policy.benefit_kind == BenefitKind.LOSS_SHARE:
        return BudgetEstimate(**base, why_not="loss_share")
    facts_used = rules.formula.facts_used
    if not facts_used <= PRICE_FACTS:
        return BudgetEstimate(**base, why_not="firm_facts")
    loan = typical_loan(today)
    # Rate points are never more than the loan's rate, so they always need one.
    needs_rate = "rate" in facts_used or policy.benefit_kind == BenefitKind.RATE_POINTS
    if needs_rate and loan.rate is None:
        return BudgetEstimate(**base, loan=loan, why_not="no_rate")
    if "lpr_one_year" in facts_used and loan.lpr_one_year is None:
        return BudgetEstimate(**base, loan=loan, why_not="no_lpr")
    price = loan.price()
    benefit = policy_benefit(
        PolicyRule(policy_terms(policy, version.id), rules),
        price_facts(price, loan.lpr_one_year),
        price,
        firm_known=False,
    )
    yearly, whole = _costs(benefit, price)
    return BudgetEstimate(
        **base,
        loan=loan,
        uses_fee=(
            policy.benefit_kind == BenefitKind.FEE_SHARE or "guarantee_fee_rate" in facts_used
        ),
        value=benefit.value if benefit else ZERO,
        capped=bool(benefit and benefit.capped),
        per_firm_yearly=yearly,
        per_firm_loan=whole,
        total_yearly=yearly * eligible,
        total_loan=whole * eligible,
    )


def _costs(benefit: Benefit | None, price: LoanPrice) -> tuple[Decimal, Decimal]:
    """A year's cost and the whole loan's cost of the benefit, by the one subsidy rule."""
    if benefit is None:
        return ZERO, ZERO
    return yearly_amount(benefit, price), expected_amount(benefit, price)


def typical_loan(today: dt.date) -> TypicalLoan:
    """The median recent need, priced as recent loans were."""
    since = utcnow() - dt.timedelta(days=WINDOW_DAYS)
    recent_need = FinancingNeed.created_at >= since
    amount = _assumed(_median(FinancingNeed.amount, recent_need), "needs", DEFAULT_AMOUNT)
    term = _assumed(
        _median(FinancingNeed.term_months, recent_need), "needs", Decimal(DEFAULT_TERM_MONTHS)
    )
    term = Assumed(term.value.quantize(Decimal(1), ROUND_HALF_UP), term.source, term.count)
    recent_loan = Loan.disbursed_on >= today - dt.timedelta(days=WINDOW_DAYS)
    fee = _assumed(
        _median(Loan.guarantee_fee_rate, recent_loan, Loan.guarantee_fee_rate > 0),
        "loans",
        DEFAULT_GUARANTEE_FEE,
    )
    lpr = latest_lpr_one_year(today)
    return TypicalLoan(
        amount=Assumed(amount.value.quantize(CENT, ROUND_HALF_UP), amount.source, amount.count),
        term_months=term,
        rate=_typical_rate(recent_loan, lpr),
        guarantee_fee_rate=fee,
        lpr_one_year=lpr,
    )


def _typical_rate(recent_loan: ColumnElement[bool], lpr: Decimal | None) -> Assumed | None:
    """Recent loans' median rate, else the published products' median starting rate, else the
    1-year LPR; None on a platform with none of these."""
    median, count = _median(Loan.rate, recent_loan)
    if median is not None:
        return Assumed(median.quantize(CENT, ROUND_HALF_UP), "loans", count)
    published = BankProduct.status == ProductStatus.PUBLISHED
    median, count = _median(BankProduct.min_rate, published, minimum=1)
    if median is not None:
        return Assumed(median.quantize(CENT, ROUND_HALF_UP), "products", count)
    if lpr is not None:
        return Assumed(Decimal(lpr), "lpr")
    return None


def _assumed(found: tuple[Decimal | None, int], source: str, default: Decimal) -> Assumed:
    median, count = found
    if median is None:
        return Assumed(default, "default", count)
    return Assumed(median, source, count)


def _median(
    column: Any, *conditions: ColumnElement[bool], minimum: int = MIN_SAMPLE
) -> tuple[Decimal | None, int]:
    """The median of a column over the rows meeting the conditions, and how many there are;
    None when there are fewer than `minimum`. Two small queries, the same on every database."""
    where = (column.is_not(None), *conditions)
    count = db.session.scalar(select(func.count()).where(*where)) or 0
    if count < minimum:
        return None, count
    middle = db.session.scalars(
        select(column).where(*where).order_by(column).offset((count - 1) // 2).limit(2 - count % 2)
    ).all()
    return sum((Decimal(value) for value in middle), ZERO) / len(middle), count
