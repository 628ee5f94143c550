"""A set of policies' benefits on one loan for one firm: rules evaluated, then the subsidy rule.

The one path from compiled policy rules and facts to benefits. The matcher (per product of a
match), the credit decision (on the offered terms), the catalogue (on a product's best case,
without a firm) and the province seed all call `benefits_for`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from portal.catalog.compiled import CompiledRules
from portal.subsidies.rule import (
    Benefit,
    LoanPrice,
    PolicyTerms,
    bounded,
    cap_left,
    choose,
)

ZERO = Decimal(0)


@dataclass(frozen=True)
class PolicyRule:
    """A policy's terms and its compiled rules (eligibility and benefit formula)."""

    terms: PolicyTerms
    rules: CompiledRules


def price_facts(price: LoanPrice, lpr_one_year: Decimal | None) -> dict[str, Any]:
    """The facts a rule reads about the loan being priced."""
    return {
        "amount": price.amount,
        "term_months": price.term_months,
        "rate": price.rate,
        "guarantee_fee_rate": price.guarantee_fee_rate,
        "lpr_one_year": Decimal(lpr_one_year or 0),
    }


def raw_value(
    rule: PolicyRule, facts: Mapping[str, Any], *, firm_known: bool = True
) -> Decimal | None:
    """The benefit formula's value when the firm meets the policy's eligibility, else None.

    Without a firm (`firm_known=False`, the public catalogue) eligibility is not decided and
    the formula is worked out only when it reads nothing but the loan's price. A rule that
    cannot be evaluated for these facts (its arithmetic leaves the rule language's range)
    gives nothing, as it does for products.
    """
    rules = rule.rules
    if rules.formula is None or not _names(rules.formula.facts_used) <= facts.keys():
        return None
    if firm_known and not rules.eligibility.check(facts):
        return None
    return rules.formula.evaluate(facts)


def _names(facts_used: Iterable[Any]) -> set[str]:
    return {getattr(fact, "name", fact) for fact in facts_used}


def policy_benefit(
    rule: PolicyRule,
    facts: Mapping[str, Any],
    price: LoanPrice,
    drawn: Decimal = ZERO,
    *,
    firm_known: bool = True,
) -> Benefit | None:
    """One policy's benefit on the loan, or None when it gives nothing."""
    raw = raw_value(rule, facts, firm_known=firm_known)
    if raw is None:
        return None
    terms = rule.terms
    kept = bounded(terms, Decimal(raw), price, cap_left(terms.cap, drawn))
    if kept is None:
        return None
    value, capped = kept
    return Benefit(
        terms.id,
        terms.title,
        terms.benefit_kind,
        value,
        capped=capped,
        rule_version_id=rule.rules.version_id,
    )


def benefits_for(
    rules: Iterable[PolicyRule],
    facts: Mapping[str, Any],
    price: LoanPrice,
    day: dt.date | None,
    drawn: Mapping[int, Decimal] | None = None,
    *,
    firm_known: bool = True,
) -> tuple[Benefit, ...]:
    """Every benefit the loan gets from the policies in force on `day`, best of each kind
    marked applied (`day` None: the caller has already kept only the policies in force).
    `facts` are the firm's and the need's; the loan's price overrides them. `drawn` is what
    the firm's live grants already count against each policy's yearly cap."""
    facts = {**facts, **price_facts(price, facts.get("lpr_one_year"))}
    drawn = drawn or {}
    found = (
        policy_benefit(rule, facts, price, drawn.get(rule.terms.id, ZERO), firm_known=firm_known)
        for rule in rules
        if day is None or rule.terms.in_force(day)
    )
    return choose((b for b in found if b is not None), price.guarantee_fee_rate)
