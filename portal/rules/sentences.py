"""Rules and formulas as sentences people read: "纳税信用等级为 A、B 之一", "额度为申请金额、
上年营业收入的 30% 与 800 万元中的最小者".

A clause that tests one fact against constants is described by `explain.describe_range`; this
module describes everything else the language can write (facts compared with each other,
arithmetic, min/max, and/or/not) from the same typed tree the compiler uses, so a description
never drifts from what the rule does. Money reads in 万元, ratios as percentages or multiples,
and numbers next to a fact in that fact's unit.
"""

from __future__ import annotations

import re
from decimal import Decimal

from portal.rules.explain import clauses, describe_range, format_number, format_value, listed
from portal.rules.facts import FACTS, Fact, FactType
from portal.rules.i18n import N_, render
from portal.rules.nodes import (
    Arithmetic,
    Comparison,
    FactRef,
    ListLiteral,
    Literal,
    Logical,
    MinMax,
    Negate,
    Node,
    Not,
    walk,
)

_NUMBER_THEN_HAN = re.compile(r"(?<=[0-9%])(?=[\u4e00-\u9fff])")
_COMPARISONS = {
    "==": N_("%(left)s等于 %(right)s"),
    "!=": N_("%(left)s不等于 %(right)s"),
    ">=": N_("%(left)s不少于 %(right)s"),
    ">": N_("%(left)s大于 %(right)s"),
    "<=": N_("%(left)s不超过 %(right)s"),
    "<": N_("%(left)s小于 %(right)s"),
    "in": N_("%(left)s为 %(right)s 之一"),
    "not in": N_("%(left)s不为 %(right)s 中的任何一项"),
}
_ARITHMETIC = {
    "+": N_("%(left)s加 %(right)s"),
    "-": N_("%(left)s减 %(right)s"),
    "*": N_("%(left)s乘以 %(right)s"),
    "/": N_("%(left)s除以 %(right)s"),
}


def describe_condition(node: Node) -> str:
    """A condition (one clause of a rule) as a sentence."""
    return _spaced(_condition(node))


def describe_formula(node: Node, money: bool = False) -> str:
    """A formula's value as words: 申请金额、上年营业收入的 30% 与 800 万元中的最小者. With
    `money`, constants read as amounts even where no money fact is beside them."""
    unit_of = _unit_fact(node) or (FACTS["amount"] if money else None)
    return _spaced(describe_amount(node, unit_of))


def _spaced(text: str) -> str:
    """A space between a number and the Chinese word after it (20% 不少于), as elsewhere."""
    return _NUMBER_THEN_HAN.sub(" ", text)


def _condition(node: Node) -> str:
    if isinstance(node, Literal) and isinstance(node.value, bool):
        return render(N_("无条件")) if node.value else render(N_("不接受任何申请"))
    if isinstance(node, Comparison):
        return _comparison(node)
    if isinstance(node, Logical):
        return _logical(node)
    if isinstance(node, Not):
        return render(N_("不满足“%(condition)s”"), condition=_condition(node.operand))
    if isinstance(node, FactRef):  # a yes/no fact on its own
        return render(N_("%(label)s为是"), label=node.fact.display_label)
    return describe_amount(node)


def describe_amount(node: Node, unit_of: Fact | None = None) -> str:
    """A numeric expression in words; constants read in the unit of the facts around them."""
    unit_of = unit_of or _unit_fact(node)
    if isinstance(node, FactRef):
        return node.fact.display_label
    if isinstance(node, Literal):
        return _constant(node.value, unit_of)
    if isinstance(node, Negate):
        return "−" + describe_amount(node.operand, unit_of)
    if isinstance(node, MinMax):
        return _min_max(node, unit_of)
    if isinstance(node, Arithmetic):
        return _arithmetic(node, unit_of)
    if isinstance(node, ListLiteral):
        return listed(_constant(item.value, unit_of) for item in node.items)
    return _condition(node)


# --- conditions -------------------------------------------------------------------------------


def _comparison(node: Comparison) -> str:
    from portal.rules.compiler import simple_parts  # the compiler imports this module

    parts = simple_parts(node)
    if parts is not None:
        return describe_range(parts)
    unit_of = _unit_fact(node)
    steps = []
    for left, operator, right in zip(
        node.operands, node.operators, node.operands[1:], strict=False
    ):
        steps.append(
            render(
                _COMPARISONS.get(operator, N_("%(left)s %(right)s")),
                left=_operand(left, unit_of),
                right=_operand(right, unit_of),
            )
        )
    return clauses(steps)


def _operand(node: Node, unit_of: Fact | None) -> str:
    if isinstance(node, Literal) and isinstance(node.value, str) and unit_of is not None:
        return unit_of.value_label(node.value)
    if isinstance(node, ListLiteral) and unit_of is not None and not unit_of.is_numeric:
        return listed(unit_of.value_label(str(item.value)) for item in node.items)
    return describe_amount(node, unit_of)


def _logical(node: Logical) -> str:
    parts = [_nested(operand) for operand in node.operands]
    if node.operator == "and":
        return render(N_("，并且")).join(parts)
    return render(N_("满足其一：%(choices)s"), choices=render(N_("；或")).join(parts))


def _nested(node: Node) -> str:
    text = _condition(node)
    return _bracketed(text) if isinstance(node, Logical) else text


# --- amounts ----------------------------------------------------------------------------------


def _min_max(node: MinMax, unit_of: Fact | None) -> str:
    items = [describe_amount(argument, unit_of) for argument in node.arguments]
    choices = render(N_("%(some)s 与 %(last)s"), some=listed(items[:-1]), last=items[-1])
    if node.function == "min":
        template = N_("%(items)s中的较小者") if len(items) == 2 else N_("%(items)s中的最小者")
    else:
        template = N_("%(items)s中的较大者") if len(items) == 2 else N_("%(items)s中的最大者")
    return render(template, items=choices)


def _arithmetic(node: Arithmetic, unit_of: Fact | None) -> str:
    ratio = _ratio_of(node)
    if ratio is not None:
        amount, factor = ratio
        return _scaled(describe_amount(amount, unit_of), factor)
    left = _grouped(node.left, unit_of)
    right = _grouped(node.right, unit_of)
    if node.operator in "*/" and isinstance(node.right, Literal):
        right = _constant(node.right.value, None)  # a factor or divisor has no unit
    return render(_ARITHMETIC[node.operator], left=left, right=right)


def _ratio_of(node: Arithmetic) -> tuple[Node, Decimal] | None:
    """`x * 0.25`, `0.25 * x` or `x / 4`: the amount and its factor."""
    if node.operator == "*":
        for amount, factor in ((node.left, node.right), (node.right, node.left)):
            constant = isinstance(factor, Literal) and isinstance(factor.value, Decimal)
            if constant and not isinstance(amount, Literal):
                return amount, factor.value  # type: ignore[union-attr]
    if node.operator == "/" and isinstance(node.right, Literal):
        divisor = node.right.value
        if isinstance(divisor, Decimal) and divisor > 0 and not isinstance(node.left, Literal):
            return node.left, Decimal(1) / divisor
    return None


def _scaled(amount: str, factor: Decimal) -> str:
    """上年营业收入的 25%, or 资产总额的 2 倍."""
    if 0 < factor < 1:
        percent = format_number((factor * 100).quantize(Decimal("0.01")).normalize())
        return render(N_("%(amount)s的 %(percent)s%%"), amount=amount, percent=percent)
    return render(N_("%(amount)s的 %(factor)s 倍"), amount=amount, factor=format_number(factor))


def _grouped(node: Node, unit_of: Fact | None) -> str:
    text = describe_amount(node, unit_of)
    grouped = isinstance(node, Arithmetic) and _ratio_of(node) is None
    return _bracketed(text) if grouped else text


def _bracketed(text: str) -> str:
    return render(N_("（%(text)s）"), text=text)


def _constant(value: object, unit_of: Fact | None) -> str:
    if isinstance(value, bool):
        return render(N_("是")) if value else render(N_("否"))
    if not isinstance(value, Decimal):
        return unit_of.value_label(str(value)) if unit_of is not None else str(value)
    if unit_of is not None and unit_of.is_numeric:
        return format_value(unit_of, value)
    return format_number(value)


def _unit_fact(node: Node) -> Fact | None:
    """The fact whose unit constants beside it take: money first, else the first numeric fact,
    else the first fact (whose values label strings)."""
    facts = [item.fact for item in walk(node) if isinstance(item, FactRef)]
    for fact in facts:
        if fact.type is FactType.MONEY:
            return fact
    numeric = [fact for fact in facts if fact.is_numeric]
    return (numeric or facts or [None])[0]
