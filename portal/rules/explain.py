"""Chinese rendering of values, failed clauses, hints and plain-language descriptions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_UP, Context, Decimal

from portal import money
from portal.rules.errors import is_division_by_zero
from portal.rules.facts import Fact, FactSource, FactType
from portal.rules.i18n import N_, render

WAN = Decimal(10000)  # yuan per 万元
CENT = Decimal("0.01")
_PLAIN_DIGITS = 20  # beyond this many digits, numbers are shown in scientific notation
# Display arithmetic that can neither overflow nor raise, whatever Decimal it is given: a
# result it cannot hold exactly to the cent comes back as NaN and is shown another way.
_DISPLAY = Context(prec=60, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[], rounding=ROUND_HALF_UP)

Threshold = Decimal | str | tuple[Decimal | str, ...]


@dataclass(frozen=True, slots=True)
class Simple:
    """One fact compared with a constant, written with the fact on the left."""

    fact: Fact
    operator: str  # == != < <= > >= in, not in, contains, not contains
    threshold: Threshold


_UNITS = {
    "年": N_("%(value)s 年"),
    "月": N_("%(value)s 个月"),
    "人": N_("%(value)s 人"),
    "%": N_("%(value)s%%"),
}

_REQUIREMENTS = {
    "==": N_("要求为 %(required)s"),
    "!=": N_("要求不为 %(required)s"),
    ">=": N_("要求不少于 %(required)s"),
    ">": N_("要求大于 %(required)s"),
    "<=": N_("要求不超过 %(required)s"),
    "<": N_("要求小于 %(required)s"),
    "in": N_("要求为 %(required)s 之一"),
    "not in": N_("要求不为 %(required)s 中的任何一项"),
}

_DESCRIPTIONS = {
    "==": N_("%(label)s为 %(required)s"),
    "!=": N_("%(label)s不为 %(required)s"),
    ">=": N_("%(label)s不少于 %(required)s"),
    ">": N_("%(label)s大于 %(required)s"),
    "<=": N_("%(label)s不超过 %(required)s"),
    "<": N_("%(label)s小于 %(required)s"),
    "in": N_("%(label)s为 %(required)s 之一"),
    "not in": N_("%(label)s不为 %(required)s 中的任何一项"),
    "contains": N_("%(label)s包含 %(required)s"),
    "not contains": N_("%(label)s不包含 %(required)s"),
}

_AMOUNT_HINTS = {
    "<=": N_("金额降至 %(value)s以内即可"),
    "<": N_("金额降至 %(value)s以下即可"),
    ">=": N_("金额不少于 %(value)s即可"),
    ">": N_("金额高于 %(value)s即可"),
    "==": N_("金额改为 %(value)s即可"),
    "in": N_("金额改为 %(value)s 之一即可"),
}
_TERM_HINTS = {
    "<=": N_("期限缩短至 %(value)s以内即可"),
    "<": N_("期限短于 %(value)s即可"),
    ">=": N_("期限不少于 %(value)s即可"),
    ">": N_("期限长于 %(value)s即可"),
    "==": N_("期限改为 %(value)s即可"),
    "in": N_("期限改为 %(value)s 之一即可"),
}
_GUARANTEE_HINTS = {
    "==": N_("担保方式改为%(value)s即可"),
    "in": N_("担保方式改为%(value)s即可"),
    "!=": N_("改用 %(value)s 以外的担保方式即可"),
    "not in": N_("改用 %(value)s 以外的担保方式即可"),
}
# Only the firm's own need can be changed on the spot, so only need facts get hints.
_HINTS = {"amount": _AMOUNT_HINTS, "term_months": _TERM_HINTS, "guarantee_type": _GUARANTEE_HINTS}


# -- values -----------------------------------------------------------------------------------


def format_number(value: Decimal | int) -> str:
    """A number without trailing zeros or exponent (scientific only when astronomically large)."""
    if isinstance(value, int):
        if abs(value) < 10**_PLAIN_DIGITS:
            return str(value)
        value = Decimal(value)  # str() of a huge int is refused by Python's digit limit
    if not value.is_finite():
        return str(value)
    if value.is_zero():
        return "0"  # not "0E-8" or "-0"
    normal = _DISPLAY.normalize(value)
    if abs(normal.adjusted()) > _PLAIN_DIGITS:
        return str(normal)
    return format(normal, "f")


def format_money(value: Decimal | int) -> str:
    """Yuan shown in 万元 from 10,000 up, with thousands separators and up to 2 decimals; in
    English as yuan through Babel (CN¥8,000,000), like every amount on the site."""
    value = Decimal(value)
    if not money.in_wan(money.current_locale()):
        return money.money(value)
    if not value.is_finite():
        return format_number(value)
    in_wan = value.copy_abs() >= WAN
    amount = _DISPLAY.divide(value, WAN) if in_wan else value
    rounded = _DISPLAY.quantize(amount, CENT)
    if not rounded.is_finite():  # too many digits to round: show it as it is
        text = format_number(amount)
    else:
        text = f"{rounded:,f}".rstrip("0").rstrip(".") if rounded else "0"
    return render(N_("%(value)s 万元") if in_wan else N_("%(value)s 元"), value=text)


def format_value(fact: Fact, value: object) -> str:
    """A fact's value as a person reads it: 500 万元, 2 年, 中型, 高新技术企业、绿色."""
    if fact.type is FactType.MONEY:
        return format_money(value)  # type: ignore[arg-type]
    if fact.is_numeric:
        text = format_number(value)  # type: ignore[arg-type]
        return render(_UNITS[fact.unit], value=text) if fact.unit in _UNITS else text
    if fact.type is FactType.ENUM_LIST:
        return _format_list(fact, value)  # type: ignore[arg-type]
    text = fact.value_label(str(value))
    return text if text else render(N_("（空）"))


def listed(items: Iterable[str]) -> str:
    """Items as a list in the reader's language: A、B、C, or A, B, C."""
    return render(N_("、")).join(items)


def alternatives(items: Iterable[str]) -> str:
    """Items any one of which will do: 抵押、保证或质押 / mortgage, guarantee or pledge."""
    values = list(items)
    if len(values) < 2:
        return "".join(values)
    return render(N_("%(some)s或%(last)s"), some=listed(values[:-1]), last=values[-1])


def clauses(items: Iterable[str]) -> str:
    """Phrases one after another: 甲，乙 / A, B."""
    return render(N_("，")).join(items)


def _format_list(fact: Fact, value: Iterable[str]) -> str:
    """A multi-valued fact's values in registry order (sets have no order of their own)."""
    present = set(value)
    ordered = [code for code in fact.values or {} if code in present]
    ordered += sorted(present.difference(ordered))
    labels = [fact.value_label(code) for code in ordered]
    return listed(labels) if labels else render(N_("无"))


def format_required(fact: Fact, threshold: Threshold) -> str:
    """The constant of a requirement; a list reads as A、B、C."""
    if isinstance(threshold, tuple):
        return listed(format_value(fact, item) for item in threshold)
    if fact.type is FactType.ENUM_LIST:  # "x" in qualifications: one value of the list
        return fact.value_label(str(threshold))
    return format_value(fact, threshold)


def _single(simple: Simple) -> Simple:
    """Read x in [one value] as x == value, which says the same thing more plainly."""
    if isinstance(simple.threshold, tuple) and len(simple.threshold) == 1:
        operator = "==" if simple.operator == "in" else "!="
        return Simple(simple.fact, operator, simple.threshold[0])
    return simple


# -- failures ---------------------------------------------------------------------------------


def explain_simple(simple: Simple, actual: object) -> str:
    """Why a fact failed its comparison, with the actual value and the requirement."""
    simple = _single(simple)
    fact, required = simple.fact, format_required(simple.fact, simple.threshold)
    if simple.operator == "contains":
        return render(
            N_("%(label)s中没有 %(required)s"), label=fact.display_label, required=required
        )
    if simple.operator == "not contains":
        return render(
            N_("%(label)s中有 %(required)s，要求不包含"),
            label=fact.display_label,
            required=required,
        )
    requirement = render(_REQUIREMENTS[simple.operator], required=required)
    return render(
        N_("%(label)s为 %(actual)s，%(requirement)s"),
        label=fact.display_label,
        actual=format_value(fact, actual),
        requirement=requirement,
    )


def hint(simple: Simple) -> str | None:
    """What change to the need would satisfy a failed comparison, if the need can change."""
    simple = _single(simple)
    templates = _HINTS.get(simple.fact.name)
    if simple.fact.source is not FactSource.NEED or templates is None:
        return None
    template = templates.get(simple.operator)
    if template is None:
        return None
    if simple.fact.name == "guarantee_type" and isinstance(simple.threshold, tuple):
        value = alternatives(format_value(simple.fact, item) for item in simple.threshold)
    else:
        value = format_required(simple.fact, simple.threshold)
    return render(template, value=value)


def fact_values(facts: Iterable[Fact], values: Mapping[str, object]) -> str:
    """The actual values of several facts: 上年营业收入为 800 万元，申请金额为 200 万元."""
    return clauses(
        render(
            N_("%(label)s为 %(actual)s"),
            label=fact.display_label,
            actual=format_value(fact, values[fact.name]),
        )
        for fact in facts
    )


def explain_composite(text: str, facts: tuple[Fact, ...], values: Mapping[str, object]) -> str:
    """A generic but concrete explanation: the condition and the facts' actual values."""
    if not facts:
        return render(N_("不满足条件：%(clause)s"), clause=text)
    return render(
        N_("不满足条件：%(clause)s（%(values)s）"), clause=text, values=fact_values(facts, values)
    )


def explain_undefined(
    error: ArithmeticError, text: str, facts: tuple[Fact, ...], values: Mapping[str, object]
) -> str:
    """Why a clause could not be computed, e.g. a division by a zero fact."""
    shown = fact_values(facts, values) if facts else text
    if is_division_by_zero(error):
        return render(N_("无法计算：除数为零（%(values)s）"), values=shown)
    return render(N_("无法计算：结果超出数值范围（%(values)s）"), values=shown)


# -- descriptions -----------------------------------------------------------------------------


def describe_simple(simple: Simple) -> str:
    """A requirement in plain Chinese: 经营年限不少于 2 年."""
    simple = _single(simple)
    return render(
        _DESCRIPTIONS[simple.operator],
        label=simple.fact.display_label,
        required=format_required(simple.fact, simple.threshold),
    )


def describe_range(parts: Iterable[Simple]) -> str:
    """Several requirements on one fact, e.g. 贷款期限不少于 1 个月、不超过 36 个月."""
    items = list(parts)
    first, rest = describe_simple(items[0]), items[1:]
    label = items[0].fact.display_label
    return listed([first] + [describe_simple(item).removeprefix(label) for item in rest])
