"""What a product costs once the live policies that stack on it apply.

The catalogue knows the product but not the firm, so a benefit formula is evaluated only when
it needs nothing but the product's own figures (its lowest rate, amount and term, its guarantee
fee) and the 1-year LPR. Any other formula depends on the firm and is shown as "按企业情况确定",
never subtracted.

Subsidies of one kind do not add up: a loan gets the single best interest subsidy and the single
best guarantee-fee subsidy it qualifies for, as fiscal subsidy rules forbid claiming twice for
the same loan (同一笔贷款不重复享受财政贴息). The result is the lowest rate a firm could get.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from portal.catalog import queries
from portal.catalog.compiled import compiled
from portal.catalog.models import BankProduct, PolicyProduct, RuleVersion
from portal.enums import BenefitKind
from portal.rules import CompiledFormula, RuleError

log = logging.getLogger(__name__)

# Facts the catalogue can supply without a firm.
PRODUCT_FACTS = frozenset({"rate", "lpr_one_year", "guarantee_fee_rate", "amount", "term_months"})
TWO_PLACES = Decimal("0.01")
ZERO = Decimal(0)
ONE = Decimal(1)


@dataclass(frozen=True)
class Benefit:
    """One stacking policy's benefit for a product; value None means it depends on the firm."""

    policy: PolicyProduct
    value: Decimal | None
    facts_used: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Pricing:
    """A product's rate and guarantee fee before and after the policies that can be priced."""

    min_rate: Decimal
    guarantee_fee_rate: Decimal
    stacking: tuple[PolicyProduct, ...] = ()
    rate_benefits: tuple[Benefit, ...] = ()
    fee_benefits: tuple[Benefit, ...] = ()
    adjusted_rate: Decimal | None = None
    adjusted_fee_rate: Decimal | None = None

    def benefit_of(self, policy: PolicyProduct) -> Benefit | None:
        """The priced benefit of one stacking policy, if it is a rate or fee benefit."""
        for benefit in self.rate_benefits + self.fee_benefits:
            if benefit.policy.id == policy.id:
                return benefit
        return None

    @property
    def uses_lpr(self) -> bool:
        """Whether a priced benefit depends on the 1-year LPR (worth naming the LPR used)."""
        return any(
            "lpr_one_year" in b.facts_used
            for b in self.rate_benefits + self.fee_benefits
            if b.value is not None
        )

    @property
    def lowers_rate(self) -> bool:
        """Whether the policies bring the lowest rate down."""
        return self.adjusted_rate is not None and self.adjusted_rate < self.min_rate

    @property
    def lowers_fee(self) -> bool:
        """Whether the policies bring the guarantee fee down."""
        return (
            self.adjusted_fee_rate is not None and self.adjusted_fee_rate < self.guarantee_fee_rate
        )


def live_policies_for(product: BankProduct, today: dt.date) -> list[PolicyProduct]:
    """Live policies that stack on one product (one query)."""
    return stacking_policies(product, queries.live_policies(today))


def stacking_policies(
    product: BankProduct, policies: Iterable[PolicyProduct]
) -> list[PolicyProduct]:
    """Of already loaded policies, those that stack on the product (no query)."""
    return [policy for policy in policies if queries.policy_stacks_on(policy, product)]


def product_facts(product: BankProduct, lpr_one_year: Decimal | None) -> dict[str, Any]:
    """The facts a benefit formula may use in the catalogue: the product's best case."""
    facts: dict[str, Any] = {
        "rate": product.min_rate,
        "guarantee_fee_rate": product.guarantee_fee_rate or ZERO,
        "amount": product.min_amount,
        "term_months": product.min_term_months,
    }
    if lpr_one_year is not None:
        facts["lpr_one_year"] = lpr_one_year
    return facts


def price(
    product: BankProduct,
    policies: Sequence[PolicyProduct],
    lpr_one_year: Decimal | None,
    *,
    versions: Mapping[int, RuleVersion] | None = None,
) -> Pricing:
    """Rate points and guarantee-fee shares of the stacking policies, and what they leave."""
    stacking = stacking_policies(product, policies)
    if versions is None:
        versions = queries.current_policy_rules(policy.id for policy in stacking)
    facts = product_facts(product, lpr_one_year)
    rate_benefits = tuple(
        _benefit(policy, versions.get(policy.id), facts)
        for policy in stacking
        if policy.benefit_kind == BenefitKind.RATE_POINTS
    )
    fee_benefits = tuple(
        _benefit(policy, versions.get(policy.id), facts)
        for policy in stacking
        if policy.benefit_kind == BenefitKind.FEE_SHARE
    )
    fee_rate = product.guarantee_fee_rate or ZERO
    return Pricing(
        min_rate=product.min_rate,
        guarantee_fee_rate=fee_rate,
        stacking=tuple(stacking),
        rate_benefits=rate_benefits,
        fee_benefits=fee_benefits,
        adjusted_rate=_adjusted_rate(product.min_rate, rate_benefits),
        adjusted_fee_rate=_adjusted_fee(fee_rate, fee_benefits),
    )


def price_all(
    products: Sequence[BankProduct],
    policies: Sequence[PolicyProduct],
    lpr_one_year: Decimal | None,
) -> dict[int, Pricing]:
    """Prices of a page of products against policies loaded once; rules read in one query."""
    versions = queries.current_policy_rules(policy.id for policy in policies)
    return {
        product.id: price(product, policies, lpr_one_year, versions=versions)
        for product in products
    }


def subsidy_adjusted_rate(
    product: BankProduct,
    policies: Sequence[PolicyProduct],
    lpr_one_year: Decimal | None,
    *,
    versions: Mapping[int, RuleVersion] | None = None,
) -> Decimal | None:
    """The lowest rate after rate-point subsidies, or None when none can be priced."""
    return price(product, policies, lpr_one_year, versions=versions).adjusted_rate


def benefit_value(version: RuleVersion | None, facts: Mapping[str, Any]) -> Decimal | None:
    """A benefit formula's value from product facts, or None when it needs the firm's."""
    if version is None or not version.formula:
        return None
    compiled = compiled_formula(version)
    if compiled is None or not compiled.facts_used <= facts.keys():
        return None
    try:
        value = compiled.evaluate(dict(facts))
    except (RuleError, ArithmeticError):
        log.warning("benefit formula of rule version %s failed to evaluate", version.id)
        return None
    if value is None:
        return None
    return max(Decimal(str(value)), ZERO)


def _benefit(
    policy: PolicyProduct, version: RuleVersion | None, facts: Mapping[str, Any]
) -> Benefit:
    compiled = compiled_formula(version) if version is not None and version.formula else None
    used = compiled.facts_used if compiled is not None else frozenset()
    return Benefit(policy, benefit_value(version, facts), used)


def compiled_formula(version: RuleVersion) -> CompiledFormula | None:
    """The version's benefit formula, compiled once per process; None if it does not compile."""
    try:
        return compiled(version).formula
    except RuleError:
        log.warning("rules of version %s do not compile", version.id)
        return None


def _adjusted_rate(min_rate: Decimal, benefits: Sequence[Benefit]) -> Decimal | None:
    points = [benefit.value for benefit in benefits if benefit.value is not None]
    if not points:
        return None
    return max(min_rate - max(points), ZERO).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def _adjusted_fee(fee_rate: Decimal, benefits: Sequence[Benefit]) -> Decimal | None:
    shares = [min(benefit.value, ONE) for benefit in benefits if benefit.value is not None]
    if not shares or fee_rate <= 0:
        return None
    paid_by_policy = max(shares)
    return (fee_rate * (ONE - paid_by_policy)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
