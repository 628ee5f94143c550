"""A policy's benefit, checked when saved: one check shared by the web form and the policy files.

The subsidy rule (`portal.subsidies.rule.bounded`) keeps every benefit inside its kind's range
when it is applied: rate points between 0 and the loan's rate, fee and loss shares between 0 and
1, lump sums not below 0. A formula that only ever lands inside the range through that clamp is a
mistake (`100` points meant as 1%, `-5`, a share of `50` meant as 50%), so it is refused here,
with a message saying what to write instead, rather than silently clamped later.

A formula's range is found by evaluating it on sample facts: each fact it reads at its low end,
a typical value and its high end (`SAMPLES`), in every combination. The rule language has only
`+ - * /`, `min` and `max`, so for the formulas policies are written with (sums, products with
constants, minima and maxima: monotone in each fact) the extremes are at these corners; a formula
dividing by a fact is also sampled in between. A rate-points formula that reads `rate` must stay
between 0 and the sampled rate; one that does not read it must stay between 0 and the highest
rate a loan may carry (`MAX_PLAUSIBLE_RATE`), since the rule caps it at the actual rate.

Also checked: the per-firm cap not above the budget, the settlement settings (day count 360 or
365; the overdue days for a risk-compensation claim, 1–3650; whether non-performing months are
still subsidised, for interest subsidies only). Start and end dates are checked where they are
read (the form's `validate_valid_to`, the files' reader), since each names its own field.

Pure: no database, no request; messages are translated where an app context exists.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from portal.enums import BenefitKind, PolicyKind
from portal.rules import FACTS, CompiledFormula, FactType, RuleError, compile_formula
from portal.rules.explain import format_number
from portal.rules.i18n import N_, render

ZERO = Decimal(0)
ONE = Decimal(1)
TEN_THOUSAND = Decimal(10000)

# No loan the portal prices carries more than this (percent a year): 24% was the ceiling of
# interest Chinese courts protected on private lending (最高人民法院 2015 规定), far above any
# bank loan to a small firm. A points formula above it can never be right.
MAX_PLAUSIBLE_RATE = Decimal(24)
DAY_COUNTS = (360, 365)
CLAIM_OVERDUE_DAYS = (1, 3650)

# Where each numeric fact is sampled: low end, typical values, high end.
SAMPLES: Mapping[str, tuple[Decimal | int, ...]] = {
    "rate": tuple(Decimal(v) for v in ("0", "1", "3.45", "6", "12", str(MAX_PLAUSIBLE_RATE))),
    "lpr_one_year": tuple(Decimal(v) for v in ("1", "3.45", "10")),
    "guarantee_fee_rate": tuple(Decimal(v) for v in ("0", "1", "5")),
    "amount": tuple(Decimal(v) for v in ("1", "1000000", "1000000000")),
    "term_months": (1, 12, 360),
    "revenue": tuple(Decimal(v) for v in ("0", "10000000", "10000000000")),
    "total_assets": tuple(Decimal(v) for v in ("0", "10000000", "10000000000")),
    "employees": (0, 50, 100_000),
    "years_in_business": (0, 5, 100),
}
# Samples for a numeric fact not listed above, by type.
_TYPE_SAMPLES: Mapping[FactType, tuple[Decimal | int, ...]] = {
    FactType.MONEY: (ZERO, Decimal(1_000_000), Decimal(1_000_000_000)),
    FactType.RATE: (ZERO, Decimal(1), MAX_PLAUSIBLE_RATE),
    FactType.NUMBER: (ZERO, ONE, Decimal(1000)),
    FactType.INTEGER: (0, 1, 1000),
}
# Most combinations evaluated; beyond it each fact is sampled at its two ends only, and beyond
# that one fact at a time around the typical values.
MAX_COMBINATIONS = 4096

# Which setting a problem is about, so each caller can show it at its own field.
FORMULA = "formula"
CAP = "cap"
DAY_COUNT = "day_count"
PAYS_NON_PERFORMING = "pays_non_performing"
CLAIM_OVERDUE = "claim_overdue_days"


class Problem(NamedTuple):
    """One thing to fix: the setting it is about and what to do."""

    field: str
    message: str


@dataclass(frozen=True)
class BenefitSettings:
    """A policy's benefit as typed in a form or a policy file; None where it was left out or
    could not be read (then it is not checked here: its reader has said why)."""

    kind: PolicyKind | None
    benefit_kind: BenefitKind | None
    formula: str | None
    cap: Decimal | None = None  # yuan per firm per year
    budget: Decimal | None = None  # yuan
    day_count: int | None = 360
    pays_non_performing: bool = False
    claim_overdue_days: int | None = None


def benefit_problems(settings: BenefitSettings) -> list[Problem]:
    """Everything wrong with a policy's benefit settings; empty when they may be saved."""
    problems: list[Problem] = []
    if settings.benefit_kind is not None and settings.formula is not None:
        message = formula_problem(settings.formula, settings.benefit_kind)
        if message is not None:
            problems.append(Problem(FORMULA, message))
    if settings.cap is not None and settings.budget is not None and settings.cap > settings.budget:
        problems.append(
            Problem(
                CAP,
                render(
                    N_("单户上限 %(cap)s 万元高于资金规模 %(budget)s 万元；上限不能超过资金规模"),
                    cap=_wan(settings.cap),
                    budget=_wan(settings.budget),
                ),
            )
        )
    problems += _settlement_problems(settings)
    return problems


def _settlement_problems(settings: BenefitSettings) -> list[Problem]:
    problems = []
    if settings.day_count is not None and settings.day_count not in DAY_COUNTS:
        problems.append(Problem(DAY_COUNT, render(N_("计息天数应为 360 或 365"))))
    if settings.pays_non_performing and settings.kind not in (None, PolicyKind.INTEREST_SUBSIDY):
        problems.append(
            Problem(
                PAYS_NON_PERFORMING,
                render(N_("只有贴息政策可以设置“次级及以下月份仍贴息”；其他政策请不要勾选")),
            )
        )
    days = settings.claim_overdue_days
    if days is not None:
        low, high = CLAIM_OVERDUE_DAYS
        if not low <= days <= high:
            problems.append(
                Problem(
                    CLAIM_OVERDUE,
                    render(N_("逾期天数应为 %(low)s 至 %(high)s 之间的整数"), low=low, high=high),
                )
            )
        elif settings.kind not in (None, PolicyKind.RISK_COMPENSATION):
            problems.append(
                Problem(
                    CLAIM_OVERDUE,
                    render(N_("只有风险补偿政策可以设置逾期天数；其他政策请留空")),
                )
            )
    return problems


# --- the formula's range ------------------------------------------------------------------


def formula_problem(text: str, kind: BenefitKind) -> str | None:
    """Why the formula's values leave the range its kind allows, or None when they do not.

    A formula that does not compile is left to the rule language's own message."""
    try:
        formula = compile_formula(text)
    except RuleError:
        return None
    samples = list(sampled_values(formula))
    if not samples:
        return render(N_("支持力度公式在任何情况下都算不出数值（例如除以零），请检查公式"))
    if all(value == 0 for _facts, value in samples):
        return render(N_("支持力度公式的结果总是 0，企业得不到任何支持；请填写大于 0 的数值或公式"))
    if kind == BenefitKind.RATE_POINTS:
        return _points_problem(formula, samples)
    if kind in (BenefitKind.FEE_SHARE, BenefitKind.LOSS_SHARE):
        return _share_problem(kind, samples)
    if kind == BenefitKind.LUMP_SUM:
        return _lump_sum_problem(samples)
    return None


Sample = tuple[dict[str, Any], Decimal]


def _points_problem(formula: CompiledFormula, samples: list[Sample]) -> str | None:
    facts, lowest = min(samples, key=lambda sample: sample[1])
    if lowest < 0:
        if not facts:
            return _points_constant(lowest)
        return render(
            N_(
                "贴息公式在 %(when)s 时结果为 %(value)s 个百分点，不能为负数；"
                "贴息应在 0 至贷款利率之间，可在外层加 max(…, 0)"
            ),
            when=_when(facts),
            value=format_number(lowest),
        )
    if "rate" in formula.facts_used:
        facts, value = max(samples, key=lambda sample: sample[1] - sample[0]["rate"])
        if value > facts["rate"]:
            return render(
                N_(
                    "贴息公式在 %(when)s 时结果为 %(value)s 个百分点，超过了贷款利率；"
                    "贴息应在 0 至贷款利率之间，可在外层加 min(…, rate)"
                ),
                when=_when(facts),
                value=format_number(value),
            )
        return None
    facts, highest = max(samples, key=lambda sample: sample[1])
    if highest > MAX_PLAUSIBLE_RATE:
        if not facts:
            return _points_constant(highest)
        return render(
            N_(
                "贴息公式在 %(when)s 时结果为 %(value)s 个百分点，应在 0 至贷款利率之间"
                "（贷款利率按不超过 %(max)s 考虑；例如 1.5 表示 1.5 个百分点）"
            ),
            when=_when(facts),
            value=format_number(highest),
            max=f"{format_number(MAX_PLAUSIBLE_RATE)}%",
        )
    return None


def _points_constant(value: Decimal) -> str:
    return render(
        N_(
            "贴息公式的结果为 %(value)s 个百分点，"
            "应在 0 至贷款利率之间（例如 1.5 表示 1.5 个百分点）"
        ),
        value=format_number(value),
    )


_SHARE_MESSAGES = {
    BenefitKind.FEE_SHARE: (
        N_("担保费补贴比例为 %(value)s，应在 0 至 1 之间（例如 0.5 表示补贴一半担保费）"),
        N_(
            "担保费补贴比例在 %(when)s 时为 %(value)s，应在 0 至 1 之间"
            "（例如 0.5 表示补贴一半担保费）"
        ),
    ),
    BenefitKind.LOSS_SHARE: (
        N_("风险补偿分担比例为 %(value)s，应在 0 至 1 之间（例如 0.4 表示补偿四成损失）"),
        N_(
            "风险补偿分担比例在 %(when)s 时为 %(value)s，应在 0 至 1 之间"
            "（例如 0.4 表示补偿四成损失）"
        ),
    ),
}


def _share_problem(kind: BenefitKind, samples: list[Sample]) -> str | None:
    outside = [sample for sample in samples if not ZERO <= sample[1] <= ONE]
    if not outside:
        return None
    facts, value = max(outside, key=lambda sample: abs(sample[1] - Decimal("0.5")))
    constant, sampled = _SHARE_MESSAGES[kind]
    if not facts:
        return render(constant, value=format_number(value))
    return render(sampled, when=_when(facts), value=format_number(value))


def _lump_sum_problem(samples: list[Sample]) -> str | None:
    facts, lowest = min(samples, key=lambda sample: sample[1])
    if lowest >= 0:
        return None
    if not facts:
        return render(N_("奖励金额为 %(value)s 元，不能为负数"), value=format_number(lowest))
    return render(
        N_("奖励金额公式在 %(when)s 时为 %(value)s 元，不能为负数；可在外层加 max(…, 0)"),
        when=_when(facts),
        value=format_number(lowest),
    )


def sampled_values(formula: CompiledFormula) -> Iterator[Sample]:
    """The formula's value at each combination of its facts' samples, where it has one."""
    names = sorted(formula.facts_used)
    for facts in _combinations(names):
        value = formula.evaluate(facts)
        if value is not None:
            yield facts, value


def _combinations(names: list[str]) -> Iterator[dict[str, Any]]:
    choices = [fact_samples(name) for name in names]
    size = 1
    for values in choices:
        size *= len(values)
    if size <= MAX_COMBINATIONS:
        yield from (dict(zip(names, combo, strict=True)) for combo in itertools.product(*choices))
        return
    ends = [(values[0], values[-1]) if len(values) > 1 else values for values in choices]
    if 2 ** len(names) <= MAX_COMBINATIONS:
        yield from (dict(zip(names, combo, strict=True)) for combo in itertools.product(*ends))
        return
    typical = {name: values[len(values) // 2] for name, values in zip(names, choices, strict=True)}
    yield typical
    for name, values in zip(names, choices, strict=True):
        for value in values:
            yield {**typical, name: value}


def fact_samples(name: str) -> tuple[Any, ...]:
    """The values a fact is tried at when a formula's range is worked out."""
    if name in SAMPLES:
        return SAMPLES[name]
    fact = FACTS[name]
    if fact.type in _TYPE_SAMPLES:
        return _TYPE_SAMPLES[fact.type]
    if fact.type == FactType.ENUM_LIST:
        return (frozenset(), frozenset(fact.values or ()))
    if fact.values:
        return tuple(fact.values)
    return ("",)


def _when(facts: Mapping[str, Any]) -> str:
    """The sample as a person writes the formula's facts: "rate = 24, amount = 1000000"."""
    return ", ".join(f"{name} = {_shown(value)}" for name, value in facts.items())


def _shown(value: Any) -> str:
    if isinstance(value, Decimal | int):
        return format_number(value)
    return str(value)


def _wan(amount: Decimal) -> str:
    return format_number(amount / TEN_THOUSAND)
