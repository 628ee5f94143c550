"""Compile typed rule trees into plain Python closures, once, and evaluate them clause by clause.

Closures are built when a rule is saved or loaded; evaluation never walks the tree again. The
hot path (`CompiledRule.check`) allocates nothing; `evaluate` adds the Chinese explanations.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from portal.numbers import within
from portal.rules.errors import RuleError, is_division_by_zero
from portal.rules.explain import (
    Simple,
    Threshold,
    describe_range,
    explain_composite,
    explain_simple,
    explain_undefined,
    hint,
)
from portal.rules.facts import Fact
from portal.rules.i18n import N_, render
from portal.rules.nodes import (
    Arithmetic,
    Comparison,
    FactRef,
    Kind,
    ListLiteral,
    Literal,
    Logical,
    MinMax,
    Negate,
    Node,
    Not,
    facts_in,
    has_arithmetic,
    may_be_int,
)
from portal.rules.parser import MEMBERSHIP, parse, type_label
from portal.rules.sentences import describe_condition, describe_formula

Facts = Mapping[str, Any]
Evaluator = Callable[[Facts], Any]

_PYTHON_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "in": lambda item, collection: item in collection,
    "not in": lambda item, collection: item not in collection,
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}
_FLIPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

# One specialised closure per operator: `f[name] >= k` inline is about twice as fast as
# operator.ge over two operand closures, and this is the matcher's inner loop.
_SIMPLE_TESTS: dict[str, Callable[[str, Any], Evaluator]] = {
    "==": lambda name, k: lambda facts: facts[name] == k,
    "!=": lambda name, k: lambda facts: facts[name] != k,
    "<": lambda name, k: lambda facts: facts[name] < k,
    "<=": lambda name, k: lambda facts: facts[name] <= k,
    ">": lambda name, k: lambda facts: facts[name] > k,
    ">=": lambda name, k: lambda facts: facts[name] >= k,
    "in": lambda name, k: lambda facts: facts[name] in k,
    "not in": lambda name, k: lambda facts: facts[name] not in k,
    "contains": lambda name, k: lambda facts: k in facts[name],
    "not contains": lambda name, k: lambda facts: k not in facts[name],
}


# -- simple comparisons -----------------------------------------------------------------------


def as_simple(left: Node, symbol: str, right: Node) -> Simple | None:
    """A comparison of one fact with a constant, fact on the left; None for anything else."""
    if isinstance(left, FactRef) and isinstance(right, ListLiteral):
        return Simple(left.fact, symbol, tuple(item.value for item in right.items))  # type: ignore[misc]
    if isinstance(left, Literal) and isinstance(right, FactRef) and symbol in MEMBERSHIP:
        contains = "contains" if symbol == "in" else "not contains"
        return Simple(right.fact, contains, left.value)  # type: ignore[arg-type]
    if symbol in MEMBERSHIP:
        return None
    if isinstance(left, FactRef) and isinstance(right, Literal):
        return Simple(left.fact, symbol, right.value)  # type: ignore[arg-type]
    if isinstance(left, Literal) and isinstance(right, FactRef):
        return Simple(right.fact, _FLIPPED[symbol], left.value)  # type: ignore[arg-type]
    return None


def simple_parts(node: Node) -> tuple[Simple, ...] | None:
    """The comparisons of a clause that tests one fact against constants only, else None."""
    if not isinstance(node, Comparison):
        return None
    parts = []
    for left, symbol, right in zip(node.operands, node.operators, node.operands[1:], strict=False):
        part = as_simple(left, symbol, right)
        if part is None:
            return None
        parts.append(part)
    return tuple(parts) if len({part.fact.name for part in parts}) == 1 else None


def compile_simple(simple: Simple) -> Evaluator:
    """A specialised closure for one fact against one constant."""
    threshold: Any = simple.threshold
    if isinstance(threshold, tuple):
        threshold = frozenset(threshold)  # Decimal and int hash alike, so 12 in {Decimal(12)}
    return _SIMPLE_TESTS[simple.operator](simple.fact.name, threshold)


# -- general expressions ----------------------------------------------------------------------


def compile_node(node: Node) -> Evaluator:
    """Turn a typed node into a closure over a facts mapping."""
    return _COMPILERS[type(node)](node)


def _literal(node: Literal) -> Evaluator:
    value = node.value
    return lambda facts: value


def _fact(node: FactRef) -> Evaluator:
    name = node.fact.name
    return lambda facts: facts[name]


def _list(node: ListLiteral) -> Evaluator:
    values = frozenset(item.value for item in node.items)
    return lambda facts: values


def _arithmetic(node: Arithmetic) -> Evaluator:
    left, right = compile_node(node.left), compile_node(node.right)
    if node.operator == "/" and may_be_int(node.left):
        # int / int would give a binary float; division is done in Decimal instead.
        return lambda facts: Decimal(left(facts)) / right(facts)
    if isinstance(node.right, Literal):
        apply, constant = _PYTHON_OPERATORS[node.operator], node.right.value
        return lambda facts: apply(left(facts), constant)
    apply = _PYTHON_OPERATORS[node.operator]
    return lambda facts: apply(left(facts), right(facts))


def _negate(node: Negate) -> Evaluator:
    operand = compile_node(node.operand)
    return lambda facts: -operand(facts)


def _min_max(node: MinMax) -> Evaluator:
    pick = min if node.function == "min" else max
    arguments = tuple(compile_node(argument) for argument in node.arguments)
    if len(arguments) == 2:
        first, second = arguments
        return lambda facts: pick(first(facts), second(facts))
    return lambda facts: pick([argument(facts) for argument in arguments])


def _comparison(node: Comparison) -> Evaluator:
    parts = simple_parts(node)
    if parts is not None:
        return _all_of(tuple(compile_simple(part) for part in parts))
    if len(node.operators) == 1:
        apply = _PYTHON_OPERATORS[node.operators[0]]
        left, right = compile_node(node.operands[0]), compile_node(node.operands[1])
        return lambda facts: apply(left(facts), right(facts))
    return _chain(node)


def _chain(node: Comparison) -> Evaluator:
    """a < b <= c, evaluating each operand once, as Python does."""
    first = compile_node(node.operands[0])
    steps = tuple(
        (_PYTHON_OPERATORS[symbol], compile_node(operand))
        for symbol, operand in zip(node.operators, node.operands[1:], strict=True)
    )

    def chain(facts: Facts) -> bool:
        left = first(facts)
        for apply, next_operand in steps:
            right = next_operand(facts)
            if not apply(left, right):
                return False
            left = right
        return True

    return chain


def _all_of(tests: tuple[Evaluator, ...]) -> Evaluator:
    """A conjunction that stops at the first failing test."""
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda facts: first(facts) and second(facts)

    def all_of(facts: Facts) -> bool:
        for test in tests:  # noqa: SIM110 - all() over a generator is slower here
            if not test(facts):
                return False
        return True

    return all_of


def _any_of(tests: tuple[Evaluator, ...]) -> Evaluator:
    """A disjunction that stops at the first passing test."""

    def any_of(facts: Facts) -> bool:
        for test in tests:  # noqa: SIM110 - all() over a generator is slower here
            if test(facts):
                return True
        return False

    return any_of


def _logical(node: Logical) -> Evaluator:
    tests = tuple(compile_node(operand) for operand in node.operands)
    return _all_of(tests) if node.operator == "and" else _any_of(tests)


def _not(node: Not) -> Evaluator:
    operand = compile_node(node.operand)
    return lambda facts: not operand(facts)


_COMPILERS: dict[type, Callable[[Any], Evaluator]] = {
    Literal: _literal,
    FactRef: _fact,
    ListLiteral: _list,
    Arithmetic: _arithmetic,
    Negate: _negate,
    MinMax: _min_max,
    Comparison: _comparison,
    Logical: _logical,
    Not: _not,
}


def _failing_safely(test: Evaluator) -> Evaluator:
    """A clause whose arithmetic is undefined (e.g. division by zero) fails instead of raising."""

    def safe(facts: Facts) -> bool:
        try:
            return test(facts)
        except ArithmeticError:
            return False

    return safe


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClauseFailure:
    """One clause of a rule that the facts did not satisfy, explained in Chinese."""

    text: str  # the clause as written
    explanation: str  # e.g. 纳税信用等级为 B，要求为 A
    hint: str | None = None  # e.g. 金额降至 100 万元以内即可
    fact: str | None = None  # the one fact of a simple comparison
    operator: str | None = None  # fact on the left: == != < <= > >= in, not in, contains, …
    threshold: Threshold | None = None  # the constant compared with
    actual: Any = None  # the fact's value in the facts evaluated
    undefined: bool = False  # the clause could not be computed (e.g. division by zero)
    # The rule itself cannot be evaluated (a number out of range): the owner must fix it.
    unevaluable: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    """Whether a rule passed, and why not if it did not."""

    passed: bool
    failures: list[ClauseFailure] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Clause:
    """One operand of the rule's top-level and-chain, compiled."""

    text: str
    node: Node
    test: Evaluator  # never raises on facts of the right types
    raw: Evaluator  # raises ArithmeticError where the clause is undefined
    parts: tuple[Simple, ...] | None  # set when the clause tests one fact against constants
    part_tests: tuple[Evaluator, ...]  # one test per part, to find the one that failed
    facts: tuple[Fact, ...]
    unevaluable: str | None = None  # set on the one clause of a rule that cannot be evaluated

    def failure(self, facts: Facts) -> ClauseFailure | None:
        """None if the clause holds for the facts, else an explained failure."""
        if self.unevaluable is not None:
            return ClauseFailure(
                self.text, render(self.unevaluable), undefined=True, unevaluable=True
            )
        try:
            if self.raw(facts):
                return None
        except ArithmeticError as error:
            explanation = explain_undefined(error, self.describe(), self.facts, facts)
            unevaluable = not is_division_by_zero(error)
            return ClauseFailure(self.text, explanation, undefined=True, unevaluable=unevaluable)
        if self.parts is None:
            return ClauseFailure(self.text, explain_composite(self.describe(), self.facts, facts))
        failed = next(
            part for part, test in zip(self.parts, self.part_tests, strict=True) if not test(facts)
        )
        actual = facts[failed.fact.name]
        return ClauseFailure(
            self.text,
            explain_simple(failed, actual),
            hint=hint(failed),
            fact=failed.fact.name,
            operator=failed.operator,
            threshold=failed.threshold,
            actual=actual,
        )

    def describe(self) -> str:
        """The clause as a sentence in the reader's language."""
        return describe_range(self.parts) if self.parts else describe_condition(self.node)


def build_clause(source_text: str, node: Node) -> Clause:
    """Compile one clause, guarding it against undefined arithmetic if it has any."""
    raw = compile_node(node)
    test = _failing_safely(raw) if has_arithmetic(node) else raw
    parts = simple_parts(node)
    part_tests = tuple(compile_simple(part) for part in parts or ())
    return Clause(source_text, node, test, raw, parts, part_tests, facts_in(node))


class CompiledRule:
    """A validated rule: a fast yes/no test and an explained, clause-by-clause evaluation."""

    __slots__ = ("clauses", "facts_used", "predicate", "text")

    def __init__(self, text: str, clauses: tuple[Clause, ...]) -> None:
        """Assemble the clauses into one predicate; an empty rule lets everyone through."""
        self.text = text
        self.clauses = clauses
        self.facts_used: frozenset[str] = frozenset(
            fact.name for clause in clauses for fact in clause.facts
        )
        # Exposed so a tight loop can call it without the method-call overhead of check().
        self.predicate: Callable[[Facts], bool] = (
            _all_of(tuple(clause.test for clause in clauses)) if clauses else _always
        )

    def check(self, facts: Facts) -> bool:
        """Whether the facts satisfy the rule (fast path, no explanations)."""
        return self.predicate(facts)

    def evaluate(self, facts: Facts) -> Outcome:
        """Whether the facts satisfy the rule, with every failing clause explained."""
        failures = [f for clause in self.clauses if (f := clause.failure(facts)) is not None]
        return Outcome(passed=not failures, failures=failures)

    def describe(self) -> list[str]:
        """Each clause in plain Chinese, for the public product page."""
        return [clause.describe() for clause in self.clauses]

    def __repr__(self) -> str:
        return f"CompiledRule({self.text!r})"


class CompiledFormula:
    """A validated formula (credit limit, benefit) that yields a Decimal or None."""

    __slots__ = ("facts_used", "function", "node", "text")

    def __init__(self, text: str, node: Node) -> None:
        """Compile the formula's tree once."""
        self.text = text
        self.node = node
        self.function = compile_node(node)
        self.facts_used: frozenset[str] = frozenset(fact.name for fact in facts_in(node))

    def describe(self, money: bool = False) -> str:
        """What the formula computes, in words (amounts in 万元, factors as percentages); with
        `money`, a bare constant reads as an amount."""
        return describe_formula(self.node, money)

    def evaluate(self, facts: Facts) -> Decimal | None:
        """The formula's exact value, or None where it is undefined (e.g. division by zero)
        or out of the range any amount can take."""
        try:
            value = self.function(facts)
        except ArithmeticError:
            return None
        value = Decimal(value)  # integer-only formulas yield int
        return value if within(value) else None

    def __repr__(self) -> str:
        return f"CompiledFormula({self.text!r})"


def _always(facts: Facts) -> bool:
    """The test of an empty eligibility rule: everyone qualifies."""
    return True


def _never(facts: Facts) -> bool:
    """The test of a rule that cannot be evaluated: nobody qualifies until it is fixed."""
    return False


UNEVALUABLE = N_("条件暂时无法计算，暂不可申请；已通知发布机构修正")


def unevaluable_rule(text: str) -> CompiledRule:
    """A stored rule that no longer validates (e.g. a number out of range): one clause that
    always fails, explained as "cannot be evaluated", so every caller is safe by default."""
    clause = Clause(
        render(N_("规则暂时无法计算")),
        Literal(False, 0, 0),
        _never,
        _never,
        None,
        (),
        (),
        unevaluable=UNEVALUABLE,
    )
    return CompiledRule(text, (clause,))


def _top_level_clauses(node: Node) -> tuple[Node, ...]:
    """The operands of the top-level and-chain; a rule without one is a single clause."""
    if isinstance(node, Logical) and node.operator == "and":
        return node.operands
    return (node,)


def compile_rule(text: str) -> CompiledRule:
    """Validate and compile a rule; empty text is a rule everyone passes."""
    if not text.strip():
        return CompiledRule(text, ())
    source, node = parse(text)
    if node.kind is not Kind.BOOL:
        raise RuleError(
            render(
                N_("规则的结果应为“是/否”条件，例如 revenue >= 1000000；现在是%(type)s"),
                type=type_label(node),
            ),
            column=source.where(node.start)[0],
        )
    clauses = tuple(
        build_clause(source.segment(clause.start, clause.end), clause)
        for clause in _top_level_clauses(node)
    )
    return CompiledRule(text, clauses)


def compile_formula(text: str) -> CompiledFormula:
    """Validate and compile a numeric formula such as min(amount, revenue * 0.2, 3000000)."""
    if not text.strip():
        raise RuleError(render(N_("公式不能为空")))
    source, node = parse(text)
    if node.kind is not Kind.NUMBER:
        raise RuleError(
            render(
                N_("公式的结果应为数值，例如 min(amount, revenue * 0.2)；现在是%(type)s"),
                type=type_label(node),
            ),
            column=source.where(node.start)[0],
        )
    return CompiledFormula(text, node)


def describe_rule(text: str) -> list[str]:
    """Plain-Chinese sentences for each clause of a valid rule (empty rule: no sentences)."""
    return compile_rule(text).describe()


def rule_sentences(text: str | None) -> list[str]:
    """A stored rule as sentences for a public page; none when it sets no condition. Stored
    rules were validated when saved: one that no longer compiles (its facts changed) says so
    rather than showing its source."""
    if not text or not text.strip():
        return []
    try:
        return describe_rule(text)
    except RuleError:
        return [render(N_("条件正在更新，请以银行审核为准"))]
