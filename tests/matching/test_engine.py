"""The matcher engine: decisions, explanations, hints, instant approval, subsidies and ranking."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.catalog.compiled import CompiledRules
from portal.enums import BenefitKind
from portal.matching.engine import (
    Catalogue,
    CataloguePolicy,
    CatalogueProduct,
    MatchOutcome,
    ProductMatch,
    match,
)
from portal.matching.facts import need_facts, profile_facts
from portal.rules import compile_formula, compile_rule

WAN = Decimal(10000)
LPR = Decimal("3.45")


def rules(
    eligibility: str = "",
    instant: str | None = None,
    formula: str | None = None,
    version_id: int = 1,
) -> CompiledRules:
    return CompiledRules(
        version_id=version_id,
        version=1,
        eligibility=compile_rule(eligibility),
        instant_approval=compile_rule(instant) if instant is not None else None,
        formula=compile_formula(formula) if formula else None,
    )


def product(pid: int, eligibility: str = "", **changes: Any) -> CatalogueProduct:
    fields: dict[str, Any] = {
        "id": pid,
        "institution_id": 1,
        "institution_name": "闽海银行",
        "name": f"产品{pid}",
        "kind": "credit",
        "min_amount": 10 * WAN,
        "max_amount": 1000 * WAN,
        "min_term_months": 3,
        "max_term_months": 60,
        "min_rate": Decimal("3.85"),
        "max_rate": Decimal("5.00"),
        "guarantee_fee_rate": Decimal(0),
        "guarantee_types": frozenset(),
        "region_codes": frozenset(),
        "rules": rules(eligibility, version_id=pid * 10),
        "response_hours": Decimal(24),
    }
    fields.update(changes)
    return CatalogueProduct(**fields)


def policy(
    pid: int,
    benefit_kind: BenefitKind,
    formula: str,
    eligibility: str = "",
    cap: Decimal | None = None,
) -> CataloguePolicy:
    return CataloguePolicy(
        id=pid,
        title=f"政策{pid}",
        kind="interest_subsidy",
        benefit_kind=benefit_kind,
        benefit_cap=cap,
        rules=rules(eligibility, formula=formula, version_id=1000 + pid),
    )


def catalogue(
    *products: CatalogueProduct,
    policies: Iterable[CataloguePolicy] = (),
    stacking: dict[int, list[int]] | None = None,
    lpr: Decimal | None = LPR,
) -> Catalogue:
    """A catalogue; by default every policy stacks on every product."""
    policies = tuple(policies)
    if stacking is None:
        stacking = {p.id: [policy.id for policy in policies] for p in products}
    return Catalogue(products, policies, lpr, stacking)


def firm(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "region_code": "350100",
        "industry_code": "1311",
        "size_class": "small",
        "years_in_business": 5,
        "employees": 50,
        "revenue": 1500 * WAN,
        "total_assets": 2000 * WAN,
        "tax_credit_grade": "B",
        "qualifications": ["green"],
    }
    fields.update(changes)
    return profile_facts(**fields)


def need(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "amount": 200 * WAN,
        "term_months": 24,
        "guarantee_type": "mortgage",
    }
    fields.update(changes)
    return need_facts(**fields)


def found(outcome: MatchOutcome, pid: int) -> ProductMatch:
    for result in outcome.eligible + outcome.ineligible:
        if result.product.id == pid:
            return result
    raise AssertionError(f"product {pid} not in the outcome")


def explanations(result: ProductMatch) -> list[str]:
    return [reason.explanation for reason in result.reasons]


# -- ranking ------------------------------------------------------------------------------------


def test_eligible_products_ranked_by_annual_cost_then_response_hours_then_id() -> None:
    """Cheapest first; equal cost goes to the faster bank, then to the lower product id."""
    outcome = match(
        catalogue(
            product(1, min_rate=Decimal("4.20")),
            product(2, min_rate=Decimal("3.60"), response_hours=Decimal(40)),
            product(3, min_rate=Decimal("3.60"), response_hours=Decimal(8)),
            product(4, min_rate=Decimal("3.10"), guarantee_fee_rate=Decimal("1.00")),
            product(5, min_rate=Decimal("3.60"), response_hours=Decimal(8)),
        ),
        firm(),
        need(),
    )
    assert [m.product.id for m in outcome.eligible] == [3, 5, 2, 4, 1]
    assert [f"{m.annual_cost:.2f}" for m in outcome.eligible] == [
        "3.60",
        "3.60",
        "3.60",
        "4.10",
        "4.20",
    ]
    assert outcome.ineligible == []


def test_subsidy_changes_the_ranking() -> None:
    """A dearer product that a subsidy brings below a cheaper one ranks first."""
    outcome = match(
        catalogue(
            product(1, min_rate=Decimal("3.60")),
            product(2, min_rate=Decimal("4.00"), kind="tech_credit"),
            policies=[policy(7, BenefitKind.RATE_POINTS, "1.0")],
            stacking={1: [], 2: [7]},
        ),
        firm(),
        need(),
    )
    assert [m.product.id for m in outcome.eligible] == [2, 1]
    assert outcome.eligible[0].adjusted_rate == Decimal("3.00")
    assert outcome.eligible[0].rate == Decimal("4.00")


# -- the product's own terms ----------------------------------------------------------------


def test_amount_above_the_ceiling_is_explained_with_a_hint() -> None:
    """The brief's wording: the amount asked, the ceiling, and the change that would pass."""
    result = found(
        match(catalogue(product(1, max_amount=300 * WAN)), firm(), need(amount=500 * WAN)), 1
    )
    assert not result.eligible
    [reason] = result.reasons
    assert reason.explanation == "申请金额 500 万元超出本产品额度上限 300 万元"
    assert reason.hint == "金额降至 300 万元以内即可申请"
    assert (reason.fact, reason.operator, reason.threshold, reason.actual) == (
        "amount",
        "<=",
        300 * WAN,
        500 * WAN,
    )
    assert result.hint == "金额降至 300 万元以内即可申请"


@pytest.mark.parametrize(
    ("changes", "asked", "explanation", "hint"),
    [
        (
            {"min_amount": 50 * WAN},
            {"amount": 20 * WAN},
            "申请金额 20 万元低于本产品起贷金额 50 万元",
            "金额提高至 50 万元即可申请",
        ),
        (
            {"max_term_months": 36},
            {"term_months": 48},
            "贷款期限 48 个月超出本产品最长期限 36 个月",
            "期限缩短至 36 个月以内即可申请",
        ),
        (
            {"min_term_months": 12},
            {"term_months": 6},
            "贷款期限 6 个月短于本产品最短期限 12 个月",
            "期限延长至 12 个月即可申请",
        ),
        (
            {"guarantee_types": frozenset({"credit", "pledge"})},
            {"guarantee_type": "mortgage"},
            "本产品不接受 抵押 担保，可接受：信用、质押",
            "担保方式改为信用或质押即可申请",
        ),
    ],
)
def test_product_terms_explained_with_hints(
    changes: dict[str, Any], asked: dict[str, Any], explanation: str, hint: str
) -> None:
    """Amount floor, term range and guarantee: explained, each with the change that passes."""
    result = found(match(catalogue(product(1, **changes)), firm(), need(**asked)), 1)
    assert explanations(result) == [explanation]
    assert result.reasons[0].hint == hint
    assert result.hint == hint


def test_region_not_served_is_explained_without_a_hint() -> None:
    """The firm cannot move: no hint, and no combined hint either."""
    result = found(
        match(catalogue(product(1, region_codes=frozenset({"350200"}))), firm(), need()), 1
    )
    assert explanations(result) == ["本产品不服务 福州市"]
    assert result.reasons[0].hint is None
    assert result.hint is None


def test_province_wide_products_serve_every_city() -> None:
    """An empty list or one naming 350000 means the whole province."""
    outcome = match(
        catalogue(
            product(1, region_codes=frozenset({"350000"})),
            product(2),
            product(3, region_codes=frozenset({"350100", "350200"})),
        ),
        firm(region_code="350900"),
        need(),
    )
    assert [m.product.id for m in outcome.eligible] == [1, 2]
    assert explanations(found(outcome, 3)) == ["本产品不服务 宁德市"]


# -- the eligibility rule -------------------------------------------------------------------


def test_rule_failures_explained_in_chinese_with_the_actual_value() -> None:
    """Every failed clause is listed, after the product's own terms, with the firm's value."""
    rule = (
        'tax_credit_grade == "A" and years_in_business >= 2 and revenue * 0.2 >= amount '
        'and "specialised" in qualifications'
    )
    result = found(
        match(
            catalogue(product(1, rule, max_amount=100 * WAN)),
            firm(years_in_business=1),
            need(amount=500 * WAN),
        ),
        1,
    )
    assert explanations(result) == [
        "申请金额 500 万元超出本产品额度上限 100 万元",
        "纳税信用等级为 B，要求为 A",
        "经营年限为 1 年，要求不少于 2 年",
        "不满足条件：上年营业收入的 20% 不少于 申请金额"
        "（上年营业收入为 1,500 万元，申请金额为 500 万元）",
        "资质认定中没有 专精特新",
    ]
    assert [r.actual for r in result.reasons[1:3]] == ["B", 1]
    assert result.reasons[1].text == 'tax_credit_grade == "A"'
    assert result.hint is None  # the firm's grade and age cannot change on the spot


def test_reasons_match_evaluate_of_the_rule() -> None:
    """The engine's rule reasons are exactly CompiledRule.evaluate()'s failures."""
    rule = (
        'size_class in ["micro"] and employees <= 20 and 6 <= term_months <= 12 '
        "and revenue / employees >= 500000"
    )
    facts_firm, facts_need = firm(employees=0), need(term_months=36)
    result = found(match(catalogue(product(1, rule)), facts_firm, facts_need), 1)
    expected = product(1, rule).rules.eligibility.evaluate(
        {**facts_firm, **facts_need, "lpr_one_year": LPR}
    )
    assert [(r.text, r.explanation, r.hint) for r in result.reasons] == [
        (f.text, f.explanation, f.hint) for f in expected.failures
    ]
    assert result.reasons[-1].explanation.startswith("无法计算：除数为零")
    assert result.reasons[-1].undefined


def test_reasons_are_shared_between_products_failing_the_same_check() -> None:
    """One Reason per distinct failed check in a match, whatever the number of products."""
    cat = catalogue(*(product(pid, 'tax_credit_grade == "A"') for pid in range(1, 6)))
    outcome = match(cat, firm(), need())
    reasons = {id(m.reasons[0]) for m in outcome.ineligible}
    assert len(outcome.ineligible) == 5
    assert len(reasons) == 1
    assert cat.distinct_checks == 5  # amount and term bounds, and the clause


def test_rules_reading_the_product_price_use_each_products_rate() -> None:
    """A clause on `rate` is judged with each product's own lowest rate."""
    cat = catalogue(
        product(1, "rate <= 4", min_rate=Decimal("3.90")),
        product(2, "rate <= 4", min_rate=Decimal("4.10")),
        product(3, "rate - lpr_one_year <= 0.5", min_rate=Decimal("3.90")),
    )
    outcome = match(cat, firm(), need())
    assert [m.product.id for m in outcome.eligible] == [1, 3]
    assert explanations(found(outcome, 2)) == ["贷款年利率为 4.1%，要求不超过 4%"]


# -- instant approval -----------------------------------------------------------------------

INSTANT = 'tax_credit_grade in ["A", "B"] and amount <= 100 * 10000'


def instant_product(
    pid: int = 1, formula: str | None = "min(amount, revenue * 0.1)", **changes: Any
) -> CatalogueProduct:
    return product(pid, rules=rules("", INSTANT, formula, version_id=77), **changes)


def test_instant_approval_gives_the_formulas_limit_and_the_rate() -> None:
    """The instant rule holds: pre-approved at the formula's limit and the product's rate."""
    result = found(
        match(catalogue(instant_product()), firm(revenue=800 * WAN), need(amount=100 * WAN)), 1
    )
    assert result.eligible and result.instant_approved
    assert result.limit == Decimal("800000.00")
    assert result.rate == Decimal("3.85")
    assert result.rule_version_id == 77
    assert result.instant_reasons == () and result.instant_hint is None


@pytest.mark.parametrize(
    ("formula", "max_amount", "asked", "limit"),
    [
        ("amount * 2", 1000 * WAN, 80 * WAN, Decimal("800000.00")),  # never above the amount asked
        ("revenue", 50 * WAN, 50 * WAN, Decimal("500000.00")),  # never above the product's ceiling
        ("revenue / 3", 1000 * WAN, 100 * WAN, Decimal("1000000.00")),
        ("amount / 3", 1000 * WAN, 100 * WAN, Decimal("333333.33")),  # cents, rounded down
        (None, 1000 * WAN, 90 * WAN, Decimal("900000.00")),  # no formula: the amount asked
    ],
)
def test_instant_limit_is_clipped_and_quantized(
    formula: str | None, max_amount: Decimal, asked: Decimal, limit: Decimal
) -> None:
    """The limit lies within (0, product ceiling, amount asked], to the cent."""
    result = found(
        match(
            catalogue(instant_product(formula=formula, max_amount=max_amount)),
            firm(),
            need(amount=asked),
        ),
        1,
    )
    assert result.instant_approved
    assert result.limit == limit


@pytest.mark.parametrize("formula", ["revenue / employees * 10", "revenue * 0 - 5", "amount * 0"])
def test_no_pre_approval_where_the_formula_gives_no_limit(formula: str) -> None:
    """Undefined (division by zero), negative or zero: no error, no 秒批, and the reason why."""
    result = found(
        match(
            catalogue(instant_product(formula=formula)),
            firm(employees=0),
            need(amount=50 * WAN),
        ),
        1,
    )
    assert result.eligible
    assert not result.instant_approved and result.limit is None
    assert "算不出大于 0 的额度" in result.instant_reasons[0].failure.explanation


def test_instant_hint_names_the_amount_that_would_be_approved_at_once() -> None:
    """Eligible but over the instant ceiling: "金额降至 100 万元以内即可秒批"."""
    result = found(match(catalogue(instant_product()), firm(), need(amount=200 * WAN)), 1)
    assert result.eligible and not result.instant_approved
    assert [r.explanation for r in result.instant_reasons] == [
        "申请金额为 200 万元，要求不超过 100 万元"
    ]
    assert result.instant_hint == "金额降至 100 万元以内即可秒批"
    assert result.limit is None


def test_no_instant_hint_when_the_firm_itself_falls_short() -> None:
    """A failure on a firm fact (tax grade) leaves no change to the need that would do."""
    result = found(
        match(catalogue(instant_product()), firm(tax_credit_grade="C"), need(amount=200 * WAN)), 1
    )
    assert result.eligible and not result.instant_approved
    assert len(result.instant_reasons) == 2
    assert result.instant_hint is None


def test_no_instant_hint_when_the_change_would_lose_eligibility() -> None:
    """Lowering the amount below the product's floor would make it ineligible: no hint."""
    result = found(
        match(catalogue(instant_product(min_amount=150 * WAN)), firm(), need(amount=200 * WAN)), 1
    )
    assert result.eligible and not result.instant_approved
    assert result.instant_hint is None


def test_ineligible_products_get_no_instant_approval() -> None:
    """The instant rule counts only for eligible products."""
    cat = catalogue(product(1, rules=rules('tax_credit_grade == "A"', "amount <= 1000000")))
    result = found(match(cat, firm(), need(amount=50 * WAN)), 1)
    assert not result.eligible and not result.instant_approved
    assert result.instant_reasons == () and result.limit is None


# -- the combined hint ----------------------------------------------------------------------


def test_combined_hint_takes_the_binding_amount_bound() -> None:
    """The product's ceiling (300 万) and a rule bound (150 万): the lower one binds."""
    cat = catalogue(product(1, "amount <= 150 * 10000 and term_months <= 36", max_amount=300 * WAN))
    result = found(match(cat, firm(), need(amount=500 * WAN)), 1)
    assert len(result.reasons) == 2
    assert result.hint == "金额降至 150 万元以内即可申请"


def test_combined_hint_names_each_need_fact_that_must_change() -> None:
    """Amount, term and guarantee together, each at its binding value."""
    cat = catalogue(
        product(
            1,
            'term_months <= 24 and guarantee_type in ["credit", "guarantee_agency"]',
            max_amount=300 * WAN,
            guarantee_types=frozenset({"credit", "pledge", "guarantee_agency"}),
        )
    )
    result = found(match(cat, firm(), need(amount=400 * WAN, term_months=36)), 1)
    assert (
        result.hint == "金额降至 300 万元以内，期限缩短至 24 个月以内，"
        "担保方式改为信用或融资担保公司担保即可申请"
    )


def test_no_combined_hint_when_a_failure_is_on_the_firm() -> None:
    """Every failed check must be on the need for a hint."""
    cat = catalogue(product(1, 'tax_credit_grade == "A"', max_amount=100 * WAN))
    result = found(match(cat, firm(), need(amount=200 * WAN)), 1)
    assert result.reasons[0].hint == "金额降至 100 万元以内即可申请"
    assert result.hint is None


def test_no_combined_hint_when_the_bounds_contradict() -> None:
    """A floor above the ceiling cannot be met by any amount."""
    cat = catalogue(product(1, "amount >= 600 * 10000", max_amount=300 * WAN))
    result = found(match(cat, firm(), need(amount=500 * WAN)), 1)
    assert len(result.reasons) == 2
    assert result.hint is None


def test_no_combined_hint_when_the_change_breaks_a_passing_clause() -> None:
    """Lowering the amount to the ceiling would break `amount >= 250 万`, which passes now."""
    cat = catalogue(product(1, "amount >= 250 * 10000", max_amount=200 * WAN))
    result = found(match(cat, firm(), need(amount=300 * WAN)), 1)
    assert explanations(result) == ["申请金额 300 万元超出本产品额度上限 200 万元"]
    assert result.hint is None


def test_eligible_products_have_no_hint() -> None:
    """Nothing to change."""
    result = found(match(catalogue(product(1)), firm(), need()), 1)
    assert result.eligible and result.reasons == () and result.hint is None


# -- policies ---------------------------------------------------------------------------------


def test_only_the_best_interest_subsidy_counts() -> None:
    """Subsidies of one kind do not add up: the best rate points apply, the others are listed."""
    cat = catalogue(
        product(1, min_rate=Decimal("4.35")),
        policies=[
            policy(1, BenefitKind.RATE_POINTS, "0.5"),
            policy(2, BenefitKind.RATE_POINTS, "min(rate - lpr_one_year, 1.2)"),
            policy(3, BenefitKind.RATE_POINTS, "2", eligibility='tax_credit_grade == "A"'),
        ],
    )
    result = found(match(cat, firm(), need()), 1)
    assert result.adjusted_rate == Decimal("3.45")  # 4.35 - min(0.90, 1.2)
    assert result.annual_cost == Decimal("3.45")
    assert [(b.policy_id, b.value, b.applied) for b in result.policies] == [
        (1, Decimal("0.5"), False),
        (2, Decimal("0.90"), True),
    ]


def test_rate_points_are_capped_per_firm_per_year() -> None:
    """A cap of 1 万元 a year on 200 万元 allows at most 0.5 points."""
    cat = catalogue(
        product(1, min_rate=Decimal("4.00")),
        policies=[policy(1, BenefitKind.RATE_POINTS, "1.5", cap=1 * WAN)],
    )
    result = found(match(cat, firm(), need(amount=200 * WAN)), 1)
    assert result.policies[0].value == Decimal("0.5000")
    assert result.adjusted_rate == Decimal("3.50")


def test_adjusted_rate_never_below_zero() -> None:
    """Points larger than the rate leave a rate of zero."""
    cat = catalogue(
        product(1, min_rate=Decimal("1.00")),
        policies=[policy(1, BenefitKind.RATE_POINTS, "3")],
    )
    assert found(match(cat, firm(), need()), 1).adjusted_rate == Decimal("0.00")


def test_best_guarantee_fee_share_lowers_the_fee() -> None:
    """The single best fee share applies to the guarantee fee; the cost adds both."""
    cat = catalogue(
        product(1, min_rate=Decimal("4.00"), guarantee_fee_rate=Decimal("1.50")),
        policies=[
            policy(1, BenefitKind.FEE_SHARE, "0.5"),
            policy(2, BenefitKind.FEE_SHARE, "0.8"),
            policy(3, BenefitKind.FEE_SHARE, "1.7"),  # a share above 1 counts as 1 …
        ],
        stacking={1: [1, 2]},  # … but it does not stack here
    )
    result = found(match(cat, firm(), need()), 1)
    assert result.guarantee_fee_rate == Decimal("1.50")
    assert result.adjusted_fee_rate == Decimal("0.30")
    assert result.annual_cost == Decimal("4.30")
    assert [(b.policy_id, b.applied) for b in result.policies] == [(1, False), (2, True)]


def test_fee_share_capped_per_firm_per_year() -> None:
    """Fee 2% on 500 万元 is 10 万元; a cap of 2.5 万元 pays at most a quarter of it."""
    cat = catalogue(
        product(1, guarantee_fee_rate=Decimal("2.00")),
        policies=[policy(1, BenefitKind.FEE_SHARE, "0.5", cap=Decimal(25000))],
    )
    result = found(match(cat, firm(), need(amount=500 * WAN)), 1)
    assert result.policies[0].value == Decimal("0.2500")
    assert result.adjusted_fee_rate == Decimal("1.50")


def test_lump_sums_and_risk_compensation_are_listed_without_changing_cost() -> None:
    """First-loan rewards (capped) and loss shares apply but do not lower the rate."""
    cat = catalogue(
        product(1),
        policies=[
            policy(1, BenefitKind.LUMP_SUM, "5000", cap=Decimal(3000)),
            policy(2, BenefitKind.LOSS_SHARE, "0.4"),
        ],
    )
    result = found(match(cat, firm(), need()), 1)
    assert result.annual_cost == Decimal("3.85")
    assert [(b.benefit_kind, b.value, b.applied) for b in result.policies] == [
        (BenefitKind.LUMP_SUM, Decimal(3000), True),
        (BenefitKind.LOSS_SHARE, Decimal("0.4"), True),
    ]


def test_policies_that_do_not_stack_or_do_not_qualify_are_ignored() -> None:
    """Only policies stacking on the product, whose eligibility the firm meets, apply."""
    cat = catalogue(
        product(1, min_rate=Decimal("4.00")),
        product(2, min_rate=Decimal("4.00"), kind="mortgage"),
        policies=[
            policy(1, BenefitKind.RATE_POINTS, "1"),
            policy(2, BenefitKind.RATE_POINTS, "2", eligibility='region_code == "350200"'),
        ],
        stacking={1: [1, 2]},  # policy 1 applies to credit products only
    )
    outcome = match(cat, firm(), need())
    assert found(outcome, 1).adjusted_rate == Decimal("3.00")
    assert [b.policy_id for b in found(outcome, 1).policies] == [1]
    assert found(outcome, 2).adjusted_rate == Decimal("4.00")
    assert found(outcome, 2).policies == ()
    assert cat.stacking_policies[2] == ()


def test_missing_lpr_counts_as_zero() -> None:
    """Without an LPR, rules and formulas see 0 rather than failing."""
    cat = catalogue(
        product(1, "lpr_one_year >= 0", min_rate=Decimal("4.00")),
        policies=[policy(1, BenefitKind.RATE_POINTS, "min(rate - lpr_one_year, 1)")],
        lpr=None,
    )
    result = found(match(cat, firm(), need()), 1)
    assert result.eligible and result.adjusted_rate == Decimal("3.00")


def test_catalogue_refuses_unknown_policies_and_duplicate_ids() -> None:
    """Mistakes in building a catalogue are caught at once."""
    with pytest.raises(ValueError, match="unknown policies"):
        Catalogue((product(1),), (), LPR, {1: [9]})
    with pytest.raises(ValueError, match="duplicate product"):
        Catalogue((product(1), product(1)), (), LPR, {})


# -- properties -------------------------------------------------------------------------------

NUMERIC_FACTS = {
    "years_in_business": st.integers(0, 30),
    "employees": st.integers(0, 2000),
    "revenue": st.integers(0, 50_000).map(lambda wan: Decimal(wan) * WAN),
    "total_assets": st.integers(0, 50_000).map(lambda wan: Decimal(wan) * WAN),
    "amount": st.integers(1, 5_000).map(lambda wan: Decimal(wan) * WAN),
    "term_months": st.integers(1, 120),
}
ENUM_FACTS = {
    "tax_credit_grade": ["A", "B", "M", "C", "D"],
    "size_class": ["large", "medium", "small", "micro"],
    "region_code": ["350100", "350200", "350300", "350400", "350500"],
    "guarantee_type": ["credit", "mortgage", "pledge", "guarantor", "guarantee_agency"],
}


@st.composite
def firms_and_needs(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    values = {name: draw(strategy) for name, strategy in NUMERIC_FACTS.items()}
    enums = {name: draw(st.sampled_from(choices)) for name, choices in ENUM_FACTS.items()}
    return (
        firm(
            years_in_business=values["years_in_business"],
            employees=values["employees"],
            revenue=values["revenue"],
            total_assets=values["total_assets"],
            tax_credit_grade=enums["tax_credit_grade"],
            size_class=enums["size_class"],
            region_code=enums["region_code"],
            qualifications=draw(st.sets(st.sampled_from(["high_tech", "specialised", "green"]))),
        ),
        need(
            amount=values["amount"],
            term_months=values["term_months"],
            guarantee_type=enums["guarantee_type"],
        ),
    )


@st.composite
def clauses(draw: st.DrawFn) -> tuple[str, str, Any]:
    """(fact, operator, threshold): a numeric threshold or an `in` list."""
    if draw(st.booleans()):
        name = draw(st.sampled_from(sorted(NUMERIC_FACTS)))
        return name, draw(st.sampled_from([">=", ">", "<=", "<"])), draw(NUMERIC_FACTS[name])
    name = draw(st.sampled_from(sorted(ENUM_FACTS)))
    values = draw(st.lists(st.sampled_from(ENUM_FACTS[name]), min_size=1, unique=True))
    return name, "in", tuple(values)


def written(clause: tuple[str, str, Any]) -> str:
    name, operator, threshold = clause
    if operator == "in":
        return f"{name} in [{', '.join(repr(v) for v in threshold)}]".replace("'", '"')
    return f"{name} {operator} {threshold}"


@st.composite
def loosened(draw: st.DrawFn, rule: list[tuple[str, str, Any]]) -> list[tuple[str, str, Any]]:
    """The same rule with one condition loosened: a threshold moved outwards, or a value added."""
    index = draw(st.integers(0, len(rule) - 1))
    name, operator, threshold = rule[index]
    if operator == "in":
        extra = draw(st.sampled_from(ENUM_FACTS[name]))
        threshold = tuple(dict.fromkeys((*threshold, extra)))
    else:
        step = draw(st.integers(0, 10**9))
        threshold = threshold - step if operator in (">=", ">") else threshold + step
    looser = list(rule)
    looser[index] = (name, operator, threshold)
    return looser


@settings(max_examples=300, deadline=None)
@given(data=st.data(), facts=st.lists(firms_and_needs(), min_size=1, max_size=3))
def test_loosening_a_condition_never_removes_a_match(
    data: st.DataObject, facts: list[tuple[dict[str, Any], dict[str, Any]]]
) -> None:
    """Whatever the firm and need, a looser rule matches whenever the stricter one did."""
    rule = data.draw(st.lists(clauses(), min_size=1, max_size=6))
    looser = data.draw(loosened(rule))
    strict_cat = catalogue(product(1, " and ".join(map(written, rule))), product(2))
    loose_cat = catalogue(product(1, " and ".join(map(written, looser))), product(2))
    for facts_firm, facts_need in facts:
        before = {m.product.id for m in match(strict_cat, facts_firm, facts_need).eligible}
        after = {m.product.id for m in match(loose_cat, facts_firm, facts_need).eligible}
        assert before <= after


@settings(max_examples=200, deadline=None)
@given(data=st.data(), pair=firms_and_needs())
def test_decisions_and_reasons_agree_with_check_and_evaluate(
    data: st.DataObject, pair: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """Interning checks changes nothing: each product's answer is its own terms and its rule."""
    facts_firm, facts_need = pair
    products = [
        product(
            pid,
            " and ".join(map(written, data.draw(st.lists(clauses(), max_size=5)))),
            max_amount=Decimal(data.draw(st.sampled_from([100, 500, 2000]))) * WAN,
            guarantee_types=frozenset(
                data.draw(st.sets(st.sampled_from(ENUM_FACTS["guarantee_type"])))
            ),
        )
        for pid in range(1, 6)
    ]
    outcome = match(catalogue(*products), facts_firm, facts_need)
    facts = {**facts_firm, **facts_need, "lpr_one_year": LPR}
    for item in products:
        result = found(outcome, item.id)
        terms_failed = [
            not item.min_amount <= facts["amount"],
            not facts["amount"] <= item.max_amount,
            not item.min_term_months <= facts["term_months"],
            not facts["term_months"] <= item.max_term_months,
            bool(item.guarantee_types) and facts["guarantee_type"] not in item.guarantee_types,
        ]
        expected = item.rules.eligibility.evaluate(facts).failures
        assert result.eligible == (not any(terms_failed) and item.rules.eligibility.check(facts))
        assert len(result.reasons) == sum(terms_failed) + len(expected)
        rule_reasons = result.reasons[sum(terms_failed) :]
        assert [r.explanation for r in rule_reasons] == [f.explanation for f in expected]
        assert [r.hint for r in rule_reasons] == [f.hint for f in expected]
        if result.hint is not None:
            assert all(
                r.fact in {"amount", "term_months", "guarantee_type"} for r in result.reasons
            )


def test_one_reason_per_choice_fact_but_every_limit_stays():
    """A product's terms and its rule refusing the same guarantee read once; two amount limits
    and two missing qualifications each stay (each names its own requirement)."""
    from types import SimpleNamespace

    from portal.matching.services import _distinct_reasons

    def reason(fact, text):
        return SimpleNamespace(fact=fact, explanation=text, hint=None)

    shown = _distinct_reasons(
        [
            reason("guarantee_type", "本产品不接受 信用 担保，可接受：抵押"),
            reason("amount", "申请金额超过本产品最高额度 300 万元"),
            reason("guarantee_type", "担保方式为 信用，要求为 抵押"),
            reason("amount", "申请金额为 500 万元，要求不超过 200 万元"),
            reason("qualifications", "资质认定中没有 涉农"),
            reason("qualifications", "资质认定中没有 专精特新"),
            reason(None, "不满足条件：满足其一：……"),
        ]
    )
    assert [r["explanation"] for r in shown] == [
        "本产品不接受 信用 担保，可接受：抵押",
        "申请金额超过本产品最高额度 300 万元",
        "申请金额为 500 万元，要求不超过 200 万元",
        "资质认定中没有 涉农",
        "资质认定中没有 专精特新",
        "不满足条件：满足其一：……",
    ]
