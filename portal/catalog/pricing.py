"""What a product costs once the live policies that stack on it apply, by the one subsidy rule.

The catalogue knows the product but not the firm, so it prices the product's best case: its
lowest rate at its smallest amount and shortest term (where a firm's yearly cap binds least),
with its guarantee fee and the 1-year LPR. A benefit formula is worked out only when it reads
nothing but those; any other depends on the firm and is shown as "按企业情况确定", never
subtracted. A policy whose priced benefit comes to nothing is not listed. The sums (best of
each kind, caps, the subsidised rate and fee) are `portal.subsidies.rule`'s, as in the matcher
and at the credit decision.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from portal.catalog import queries
from portal.catalog.compiled import compiled
from portal.catalog.models import BankProduct, PolicyProduct, RuleVersion
from portal.enums import BenefitKind
from portal.extensions import db
from portal.rules import CompiledFormula, RuleError
from portal.subsidies.evaluate import PolicyRule, benefits_for, price_facts
from portal.subsidies.grants import policy_terms
from portal.subsidies.rule import LoanPrice, subsidised_fee_rate, subsidised_rate

log = logging.getLogger(__name__)

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
    """The product's best-case price after the stacking policies, and each one's benefit."""
    stacking = stacking_policies(product, policies)
    if versions is None:
        versions = queries.current_policy_rules(policy.id for policy in stacking)
    loan = best_case(product)
    facts = price_facts(loan, lpr_one_year)
    rules = {
        policy.id: PolicyRule(
            policy_terms(policy, versions[policy.id].id), compiled(versions[policy.id])
        )
        for policy in stacking
        if policy.id in versions
    }
    applied = benefits_for(rules.values(), facts, loan, None, firm_known=False)
    priced = {b.policy_id: b.value for b in applied if b.applied}
    listed = [p for p in stacking if p.id in priced or not _priceable(rules.get(p.id), facts)]
    benefits = {
        kind: tuple(
            Benefit(p, priced.get(p.id), _facts_used(rules.get(p.id)))
            for p in listed
            if p.benefit_kind == kind
        )
        for kind in (BenefitKind.RATE_POINTS, BenefitKind.FEE_SHARE)
    }
    rate_benefits, fee_benefits = benefits[BenefitKind.RATE_POINTS], benefits[BenefitKind.FEE_SHARE]
    return Pricing(
        min_rate=product.min_rate,
        guarantee_fee_rate=loan.guarantee_fee_rate,
        stacking=tuple(listed),
        rate_benefits=rate_benefits,
        fee_benefits=fee_benefits,
        adjusted_rate=subsidised_rate(loan.rate, applied) if _any_priced(rate_benefits) else None,
        adjusted_fee_rate=(
            subsidised_fee_rate(loan.guarantee_fee_rate, applied)
            if _any_priced(fee_benefits) and loan.guarantee_fee_rate > 0
            else None
        ),
    )


def best_case(product: BankProduct) -> LoanPrice:
    """The loan the catalogue prices: the product's lowest rate, smallest amount, shortest term."""
    return LoanPrice(
        amount=product.min_amount,
        rate=product.min_rate,
        term_months=product.min_term_months,
        guarantee_fee_rate=product.guarantee_fee_rate or ZERO,
    )


def _priceable(rule: PolicyRule | None, facts: Mapping[str, Any]) -> bool:
    """Whether the catalogue can work the benefit out (its formula reads only the price)."""
    return (
        rule is not None
        and rule.rules.formula is not None
        and rule.rules.formula.facts_used <= facts.keys()
    )


def _facts_used(rule: PolicyRule | None) -> frozenset[str]:
    if rule is None or rule.rules.formula is None:
        return frozenset()
    return frozenset(rule.rules.formula.facts_used)


def _any_priced(benefits: Sequence[Benefit]) -> bool:
    return any(benefit.value is not None for benefit in benefits)


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


def backed_product_ids(
    policies: Sequence[PolicyProduct], lpr_one_year: Decimal | None
) -> list[int]:
    """Visible products whose page lists at least one of these (live) policies: "政策支持".

    SQL keeps the products a policy stacks on; pricing then drops those whose every stacking
    policy's benefit comes to nothing, as the product page and the list's badge do.
    """
    candidates = db.session.scalars(
        queries.visible_products().where(queries.backed_by_any(policies))
    ).all()
    prices = price_all(candidates, policies, lpr_one_year)
    return [product_id for product_id, pricing in prices.items() if pricing.stacking]


def subsidy_adjusted_rate(
    product: BankProduct,
    policies: Sequence[PolicyProduct],
    lpr_one_year: Decimal | None,
    *,
    versions: Mapping[int, RuleVersion] | None = None,
) -> Decimal | None:
    """The lowest rate after rate-point subsidies, or None when none can be priced."""
    return price(product, policies, lpr_one_year, versions=versions).adjusted_rate


def compiled_formula(version: RuleVersion) -> CompiledFormula | None:
    """The version's benefit formula, compiled once per process; None if it does not compile."""
    try:
        return compiled(version).formula
    except RuleError:
        log.warning("rules of version %s do not compile", version.id)
        return None
