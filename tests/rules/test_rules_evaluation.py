"""Compiled rules and formulas: results, Chinese explanations, hints and descriptions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.enums import (
    COURT_RECORD_LABELS,
    QUALIFICATION_LABELS,
    REGISTRY_STATUS_LABELS,
    SIZE_CLASS_LABELS,
)
from portal.rules import (
    FACTS,
    ClauseFailure,
    RuleError,
    compile_formula,
    compile_rule,
    describe_rule,
)

WAN = Decimal(10000)


def firm(**changes: object) -> dict[str, object]:
    """Facts of a medium-sized Fuzhou manufacturer asking for 200 万元 over 24 months."""
    facts: dict[str, object] = {
        "region_code": "350100",
        "industry_code": "3911",
        "industry_division": "39",
        "size_class": "medium",
        "years_in_business": 1,
        "employees": 120,
        "revenue": 800 * WAN,
        "total_assets": 600 * WAN,
        "tax_credit_grade": "B",
        "qualifications": ["high_tech"],
        "amount": 200 * WAN,
        "term_months": 24,
        "guarantee_type": "credit",
        "purpose": "流动资金",
        "rate": Decimal("4.35"),
        "lpr_one_year": Decimal("3.45"),
        "guarantee_fee_rate": Decimal("1.5"),
    }
    facts.update(changes)
    return facts


def only_failure(rule_text: str, **changes: object) -> ClauseFailure:
    """Evaluate a one-clause rule that must fail, and return its failure."""
    rule = compile_rule(rule_text)
    outcome = rule.evaluate(firm(**changes))
    assert not outcome.passed
    assert rule.check(firm(**changes)) is False
    (failure,) = outcome.failures
    return failure


@pytest.mark.parametrize(
    ("rule", "changes", "explanation"),
    [
        ('tax_credit_grade == "A"', {}, "纳税信用等级为 B，要求为 A"),
        (
            'tax_credit_grade in ["A", "B"]',
            {"tax_credit_grade": "C"},
            "纳税信用等级为 C，要求为 A、B 之一",
        ),
        ('tax_credit_grade != "D"', {"tax_credit_grade": "D"}, "纳税信用等级为 D，要求不为 D"),
        ("years_in_business >= 2", {}, "经营年限为 1 年，要求不少于 2 年"),
        ("amount <= 3000000", {"amount": 500 * WAN}, "申请金额为 500 万元，要求不超过 300 万元"),
        ('size_class in ["small", "micro"]', {}, "企业规模为 中型，要求为 小型、微型 之一"),
        ('"specialised" in qualifications', {}, "资质认定中没有 专精特新"),
        (
            '"agricultural" not in qualifications',
            {"qualifications": ("agricultural",)},
            "资质认定中有 涉农，要求不包含",
        ),
        (
            'region_code in ["350400", "350700"]',
            {},
            "所在地区为 福州市，要求为 三明市、南平市 之一",
        ),
        (
            'region_code not in ["350100", "350200"]',
            {},
            "所在地区为 福州市，要求不为 福州市、厦门市 中的任何一项",
        ),
        ("employees < 100", {}, "从业人员为 120 人，要求小于 100 人"),
        ("revenue > 10000000", {}, "上年营业收入为 800 万元，要求大于 1,000 万元"),
        ("rate <= 4", {}, "贷款年利率为 4.35%，要求不超过 4%"),
        ("amount >= 10000", {"amount": Decimal(5000)}, "申请金额为 5,000 元，要求不少于 1 万元"),
        (
            "revenue >= 20000000",
            {"revenue": Decimal("12345678.90")},
            "上年营业收入为 1,234.57 万元，要求不少于 2,000 万元",
        ),
        (
            'industry_code in ["13", "14"]',
            {},
            "行业代码为 3911 计算机、通信和其他电子设备制造业，"
            "要求为 13 农副食品加工业、14 食品制造业 之一",
        ),
        ('guarantee_type == "mortgage"', {}, "担保方式为 信用，要求为 抵押"),
        ('tax_credit_grade in ["A"]', {}, "纳税信用等级为 B，要求为 A"),
        (
            "revenue * 0.2 >= amount",
            {"amount": 200 * WAN},
            "不满足条件：上年营业收入的 20% 不少于 申请金额"
            "（上年营业收入为 800 万元，申请金额为 200 万元）",
        ),
        (
            'tax_credit_grade == "A" or "green" in qualifications',
            {"qualifications": []},
            "不满足条件：满足其一：纳税信用等级为 A；或资质认定包含 绿色"
            "（纳税信用等级为 B，资质认定为 无）",
        ),
        ("false", {}, "不满足条件：不接受任何申请"),
    ],
)
def test_failed_clause_explanations(rule, changes, explanation):
    """Each clause shape explains itself with the actual value and the requirement."""
    assert only_failure(rule, **changes).explanation == explanation


def test_evaluate_explains_every_failing_clause_in_order():
    """Clauses of the top-level and-chain are explained one by one, passing ones omitted."""
    rule = compile_rule(
        'tax_credit_grade in ["A", "B"] and years_in_business >= 2 '
        'and amount <= 3000000 and "specialised" in qualifications'
    )
    outcome = rule.evaluate(firm(amount=500 * WAN))
    assert not outcome.passed
    assert [failure.text for failure in outcome.failures] == [
        "years_in_business >= 2",
        "amount <= 3000000",
        '"specialised" in qualifications',
    ]


def test_passing_firm_has_no_failures():
    """A firm meeting every clause passes with no failures."""
    rule = compile_rule('tax_credit_grade in ["A", "B"] and amount <= 3000000 and 1 <= term_months')
    outcome = rule.evaluate(firm())
    assert outcome.passed and outcome.failures == []
    assert rule.check(firm()) is True


def test_failure_exposes_fact_operator_threshold_and_actual():
    """A simple failure carries its parts so the matcher can combine hints."""
    failure = only_failure("3000000 >= amount", amount=500 * WAN)
    assert failure.fact == "amount"
    assert failure.operator == "<="  # normalised with the fact on the left
    assert failure.threshold == Decimal(3000000)
    assert failure.actual == 500 * WAN
    assert failure.explanation == "申请金额为 500 万元，要求不超过 300 万元"


def test_composite_failure_has_no_single_fact():
    """A composite clause has no fact, operator or threshold."""
    failure = only_failure("revenue * 0.2 >= amount", amount=500 * WAN)
    assert (failure.fact, failure.operator, failure.threshold, failure.hint) == (
        None,
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("rule", "changes", "hint"),
    [
        ("amount <= 1000000", {}, "金额降至 100 万元以内即可"),
        ("amount < 1000000", {}, "金额降至 100 万元以下即可"),
        ("amount >= 3000000", {}, "金额不少于 300 万元即可"),
        ("term_months <= 36", {"term_months": 48}, "期限缩短至 36 个月以内即可"),
        ("term_months >= 6", {"term_months": 3}, "期限不少于 6 个月即可"),
        ("term_months in [12, 36]", {}, "期限改为 12 个月、36 个月 之一即可"),
        ('guarantee_type in ["mortgage", "pledge"]', {}, "担保方式改为抵押或质押即可"),
        ('guarantee_type == "mortgage"', {}, "担保方式改为抵押即可"),
        ('guarantee_type != "credit"', {}, "改用 信用 以外的担保方式即可"),
        ("years_in_business >= 2", {}, None),
        ('tax_credit_grade == "A"', {}, None),
    ],
)
def test_hints_for_the_firms_own_need(rule, changes, hint):
    """Failed need clauses say what change would pass; firm facts get no hint."""
    assert only_failure(rule, **changes).hint == hint


def test_chained_comparison_explains_the_failing_bound():
    """1 <= term_months <= 36 fails on whichever bound is broken, with a hint."""
    rule = compile_rule("6 <= term_months <= 36")
    assert rule.check(firm(term_months=6)) and rule.check(firm(term_months=36))
    too_long = rule.evaluate(firm(term_months=48)).failures[0]
    assert too_long.explanation == "贷款期限为 48 个月，要求不超过 36 个月"
    assert too_long.hint == "期限缩短至 36 个月以内即可"
    too_short = rule.evaluate(firm(term_months=3)).failures[0]
    assert too_short.explanation == "贷款期限为 3 个月，要求不少于 6 个月"
    assert (too_short.operator, too_short.threshold) == (">=", Decimal(6))


def test_chained_comparison_over_expressions():
    """A chain mixing facts and arithmetic evaluates each operand once, like Python."""
    rule = compile_rule("0 < amount <= revenue * 0.5 < 10000000")
    assert rule.check(firm(amount=400 * WAN))
    assert not rule.check(firm(amount=401 * WAN))
    assert not rule.check(firm(amount=Decimal(0)))
    assert not rule.check(firm(revenue=2000 * WAN, amount=100 * WAN))


def test_membership_of_numbers_and_multi_valued_containers():
    """Numbers in lists match across int and Decimal; enum lists may be list, tuple or set."""
    assert compile_rule("term_months in [12, 24, 36]").check(firm(term_months=24))
    rule = compile_rule('"green" in qualifications')
    for container in (["green"], ("green",), frozenset({"green"})):
        assert rule.check(firm(qualifications=container))
    assert not rule.check(firm(qualifications=()))


def test_division_by_zero_in_rule_fails_the_clause_and_says_why():
    """An undefined clause fails (it never raises) and the other clauses are still explained."""
    rule = compile_rule("revenue / employees >= 100000 and years_in_business >= 2")
    facts = firm(employees=0)
    assert rule.check(facts) is False
    outcome = rule.evaluate(facts)
    undefined, years = outcome.failures
    assert undefined.explanation == "无法计算：除数为零（上年营业收入为 800 万元，从业人员为 0 人）"
    assert undefined.undefined
    assert years.explanation == "经营年限为 1 年，要求不少于 2 年"


def test_undefined_arithmetic_cannot_be_negated_into_a_pass():
    """not of an undefined comparison still fails: undefined means no."""
    rule = compile_rule("not (revenue / employees < 1)")
    assert rule.check(firm(employees=0)) is False
    assert rule.evaluate(firm(employees=0)).passed is False
    assert rule.check(firm(employees=10)) is True


def test_limit_formula_with_min():
    """min(amount, revenue * 0.2, 3000000) takes the smallest."""
    formula = compile_formula("min(amount, revenue * 0.2, 3000000)")
    assert formula.evaluate(firm(amount=100 * WAN)) == 100 * WAN
    assert formula.evaluate(firm(amount=500 * WAN)) == 160 * WAN
    assert formula.evaluate(firm(amount=900 * WAN, revenue=5000 * WAN)) == 300 * WAN
    assert formula.facts_used == frozenset({"amount", "revenue"})


def test_benefit_formula_with_max():
    """A subsidy formula using max and rates."""
    formula = compile_formula("max(rate - lpr_one_year, 0) * 0.5")
    assert formula.evaluate(firm()) == Decimal("0.450")
    assert formula.evaluate(firm(rate=Decimal("3.00"))) == 0


def test_formula_arithmetic_is_exact_decimal():
    """revenue * 0.2 is computed in Decimal from the literal's text, never through float."""
    formula = compile_formula("revenue * 0.2")
    result = formula.evaluate(firm(revenue=Decimal("12345678.90")))
    assert result == Decimal("2469135.780")
    assert isinstance(result, Decimal)
    assert compile_formula("amount * 0.1 + amount * 0.2").evaluate(
        firm(amount=Decimal("0.1"))
    ) == Decimal("0.03")


def test_integer_division_gives_decimal_not_float():
    """Dividing two integer facts yields an exact Decimal."""
    result = compile_formula("employees / years_in_business").evaluate(
        firm(employees=10, years_in_business=4)
    )
    assert result == Decimal("2.5") and isinstance(result, Decimal)
    assert compile_formula("term_months + 1").evaluate(firm()) == Decimal(25)


def test_formula_division_by_zero_is_none():
    """An undefined formula returns None instead of raising."""
    formula = compile_formula("amount / (revenue - total_assets)")
    assert formula.evaluate(firm(revenue=WAN, total_assets=WAN)) is None
    assert compile_formula("revenue / employees").evaluate(firm(revenue=0, employees=0)) is None


def test_formula_with_constants_out_of_range_is_refused_at_its_position():
    """A constant beyond the rule constants' range cannot be saved; the message names where."""
    with pytest.raises(RuleError, match="第 11 列"):
        compile_formula("revenue * 1e999999 * 1e999999")


@pytest.mark.parametrize("text", ["0x10", "amount > 0x10", "revenue * 0o17 > 1", "amount > 0b101"])
def test_numbers_written_other_than_in_decimal_are_refused_with_a_message(text):
    """Python reads 0x10 as sixteen; a rule says what to write instead of failing the page."""
    with pytest.raises(RuleError, match="十进制"):
        compile_rule(text)


def test_formula_result_out_of_range_is_none():
    """A formula whose value leaves the range any amount can take yields None, not a number."""
    formula = compile_formula("revenue * revenue * revenue")
    assert formula.evaluate({**firm(), "revenue": Decimal("1e14")}) is None


def test_facts_used():
    """A rule lists the facts it reads, so the matcher can skip work."""
    rule = compile_rule('amount <= revenue * 0.2 and "green" in qualifications or rate < 5')
    assert rule.facts_used == frozenset({"amount", "revenue", "qualifications", "rate"})


def test_true_and_false_literals():
    """true and false are accepted as constant conditions."""
    assert compile_rule("true").check({})
    assert not compile_rule("false").check({})


def test_describe_rule_in_plain_chinese():
    """Each clause is described for the public product page."""
    text = (
        'tax_credit_grade in ["A", "B"] and years_in_business >= 2 and amount <= 300 * 10000 '
        'and "specialised" in qualifications and 1 <= term_months <= 36 '
        'and size_class == "small" and revenue * 0.2 >= amount'
    )
    assert describe_rule(text) == [
        "纳税信用等级为 A、B 之一",
        "经营年限不少于 2 年",
        "申请金额不超过 300 万元",
        "资质认定包含 专精特新",
        "贷款期限不少于 1 个月、不超过 36 个月",
        "企业规模为 小型",
        "上年营业收入的 20% 不少于 申请金额",
    ]
    assert describe_rule("") == []


@pytest.mark.parametrize(
    ("rule", "sentence"),
    [
        (
            '"high_tech" in qualifications or "specialised" in qualifications',
            "满足其一：资质认定包含 高新技术企业；或资质认定包含 专精特新",
        ),
        ("amount + 100000 <= total_assets / 4", "申请金额加 10 万元不超过 资产总额的 25%"),
        ('not (registry_status == "active")', "不满足“登记状态为 存续（在营）”"),
        ("revenue >= amount * 3", "上年营业收入不少于 申请金额的 3 倍"),
    ],
)
def test_composite_clauses_read_as_sentences_without_code(rule, sentence):
    """No fact name, operator or raw number of the source shows in the description."""
    [described] = describe_rule(rule)
    assert described == sentence


@pytest.mark.parametrize(
    ("formula", "sentence"),
    [
        (
            "min(amount, revenue * 0.25, 8000000)",
            "申请金额、上年营业收入的 25% 与 800 万元中的最小者",
        ),
        ("min(amount, revenue * 0.3)", "申请金额 与 上年营业收入的 30% 中的较小者"),
        ("amount * 0.01", "申请金额的 1%"),
        ("max(amount - 100000, 0)", "申请金额减 10 万元 与 0 元中的较大者"),
    ],
)
def test_formulas_read_as_sentences_in_wan(formula, sentence):
    assert compile_formula(formula).describe() == sentence


def test_explanations_inside_an_app_context(app):
    """With an app and request (Chinese locale) the messages are the same as in batch jobs."""
    rule = compile_rule("amount <= 1000000")
    with app.test_request_context("/"):
        failure = rule.evaluate(firm()).failures[0]
    assert failure.explanation == "申请金额为 200 万元，要求不超过 100 万元"
    assert failure.hint == "金额降至 100 万元以内即可"


def test_value_labels_match_the_portal_enums():
    """The registry's value labels are the same texts as portal.enums."""
    assert dict(FACTS["size_class"].values or {}) == {
        key: str(label) for key, label in SIZE_CLASS_LABELS.items()
    }
    assert dict(FACTS["qualifications"].values or {}) == {
        key: str(label) for key, label in QUALIFICATION_LABELS.items()
    }
    assert dict(FACTS["registry_status"].values or {}) == {
        key: str(label) for key, label in REGISTRY_STATUS_LABELS.items()
    }
    assert dict(FACTS["court_records"].values or {}) == {
        key: str(label) for key, label in COURT_RECORD_LABELS.items()
    }


def test_multi_valued_fact_listed_in_registry_order():
    """A set of qualifications is shown in the registry's order, whatever the container."""
    failure = only_failure(
        '"specialised" in qualifications and true',
        qualifications=frozenset({"green", "high_tech"}),
    )
    assert failure.explanation == "资质认定中没有 专精特新"
    composite = only_failure(
        '"specialised" in qualifications or "tech_sme" in qualifications',
        qualifications=frozenset({"green", "high_tech"}),
    )
    assert composite.explanation.endswith("（资质认定为 高新技术企业、绿色）")
