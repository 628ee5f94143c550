"""One subsidy rule everywhere: the matcher, the credit decision's evaluation and the catalogue
give the same applied policies and values for the same loan (Hypothesis, no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.catalog import pricing
from portal.catalog.models import BankProduct, PolicyProduct, RuleVersion
from portal.enums import BenefitKind, PolicyKind, ProductKind, ProductStatus
from portal.matching.engine import match
from portal.subsidies.evaluate import benefits_for
from portal.subsidies.rule import LoanPrice, annual_cost
from tests.matching.test_engine import LPR, catalogue, firm, need, policy, product

FORMULAS = {
    BenefitKind.RATE_POINTS: ["1.5", "0.8", "rate * 0.3", "lpr_one_year * 0.5", "0", "30"],
    BenefitKind.FEE_SHARE: ["0.5", "1", "0.2", "1.5"],
}
ELIGIBILITY = ["", "amount <= 3000000", 'size_class in ["small", "micro"]', "rate >= 4"]


@st.composite
def policies(draw):
    count = draw(st.integers(1, 4))
    found = []
    for pid in range(1, count + 1):
        kind = draw(st.sampled_from(list(FORMULAS)))
        cap = draw(st.one_of(st.none(), st.integers(1000, 60000).map(Decimal)))
        found.append(
            policy(
                pid,
                kind,
                draw(st.sampled_from(FORMULAS[kind])),
                draw(st.sampled_from(ELIGIBILITY)),
                cap,
            )
        )
    return found


rates = st.decimals(min_value="2.50", max_value="8.00", places=2)
fees = st.sampled_from([Decimal(0), Decimal("0.8"), Decimal("1.5")])
amounts = st.integers(10, 900).map(lambda wan: Decimal(wan) * 10000)


@settings(max_examples=150, deadline=None)
@given(
    found=policies(),
    prices=st.lists(st.tuples(rates, fees), min_size=1, max_size=3),
    amount=amounts,
    term=st.integers(3, 60),
    size=st.sampled_from(["small", "micro", "medium"]),
)
def test_matcher_and_decision_agree_on_every_policy(found, prices, amount, term, size):
    products = [
        product(i + 1, min_rate=rate, max_rate=rate + 1, guarantee_fee_rate=fee)
        for i, (rate, fee) in enumerate(prices)
    ]
    firm_facts, need_facts = firm(size_class=size), need(amount=amount, term_months=term)
    outcome = match(catalogue(*products, policies=found), firm_facts, need_facts)
    facts = {**firm_facts, **need_facts, "lpr_one_year": LPR}
    rules = [p.rule for p in found]
    for matched in outcome.eligible:
        p = matched.product
        loan = LoanPrice(amount, p.min_rate, term, p.guarantee_fee_rate)
        expected = benefits_for(rules, facts, loan, None)
        assert matched.policies == expected
        assert matched.annual_cost == annual_cost(loan, expected)


@settings(max_examples=100, deadline=None)
@given(found=policies(), rate=rates, fee=fees, term=st.integers(3, 36))
def test_catalogue_prices_the_product_as_the_matcher_does_at_its_best_case(found, rate, fee, term):
    """At the product's smallest amount and shortest term, for a firm every policy admits, the
    catalogue's subsidised rate and fee are the match's."""
    found = [p for p in found if not p.rules.eligibility.clauses]
    cat_product = product(1, min_rate=rate, max_rate=rate + 1, guarantee_fee_rate=fee)
    cat_product = type(cat_product)(**{**cat_product.__dict__, "min_term_months": term})
    outcome = match(
        catalogue(cat_product, policies=found),
        firm(),
        need(amount=cat_product.min_amount, term_months=term, guarantee_type="credit"),
    )
    [matched] = outcome.eligible
    priced = pricing.price(*_rows(cat_product, found), LPR, versions=_versions(found))
    if priced.adjusted_rate is not None:
        assert priced.adjusted_rate == matched.adjusted_rate
    else:
        assert matched.adjusted_rate == rate.quantize(Decimal("0.01"))
    if priced.adjusted_fee_rate is not None:
        assert priced.adjusted_fee_rate == matched.adjusted_fee_rate


def _rows(p, found):
    row = BankProduct(
        id=p.id,
        institution_id=1,
        name=p.name,
        kind=ProductKind.CREDIT,
        min_amount=p.min_amount,
        max_amount=p.max_amount,
        min_term_months=p.min_term_months,
        max_term_months=p.max_term_months,
        min_rate=p.min_rate,
        max_rate=p.max_rate,
        guarantee_fee_rate=p.guarantee_fee_rate,
        status=ProductStatus.PUBLISHED,
    )
    policies = [
        PolicyProduct(
            id=c.id,
            slug=f"p{c.id}",
            title=c.title,
            agency_id=1,
            kind=PolicyKind.INTEREST_SUBSIDY,
            benefit_kind=c.benefit_kind,
            benefit_cap=c.benefit_cap,
            valid_from=dt.date(2020, 1, 1),
            applies_to_kinds=[],
            applies_to_product_ids=[],
            status=ProductStatus.PUBLISHED,
        )
        for c in found
    ]
    return row, policies


def _versions(found):
    return {
        c.id: RuleVersion(
            id=c.rules.version_id,
            policy_id=c.id,
            version=1,
            eligibility=c.rules.eligibility.text,
            formula=c.rules.formula.text if c.rules.formula else None,
        )
        for c in found
    }
