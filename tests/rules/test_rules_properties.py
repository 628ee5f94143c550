"""Properties of the rule language, checked with Hypothesis over generated rules and facts."""

from __future__ import annotations

import re
from decimal import Decimal

from hypothesis import given, reject, settings
from hypothesis import strategies as st

from portal.rules import FACTS, FactType, RuleError, compile_formula, compile_rule

NUMERIC = sorted(name for name, fact in FACTS.items() if fact.is_numeric)
ENUMS = sorted(name for name, fact in FACTS.items() if fact.type is FactType.ENUM)
INDUSTRY_CODES = ["13", "14", "39", "3911", "52", "7010", "7020", "65"]
EXTREME_MONEY = [Decimal(0), Decimal("0.01"), Decimal("-0.01"), Decimal("1E+20"), Decimal("-1E+20")]

# -- well-typed rules -------------------------------------------------------------------------

number_literals = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.sampled_from(["0", "0.0", "0.2", "1.5", "1e6", "12345678.90", "0.000001", "1e500000"]),
)
numeric_expressions = st.recursive(
    st.one_of(st.sampled_from(NUMERIC), number_literals),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(
            lambda parts: f"({parts[0]} {parts[1]} {parts[2]})"
        ),
        st.lists(inner, min_size=2, max_size=3).map(lambda args: f"min({', '.join(args)})"),
        st.lists(inner, min_size=2, max_size=3).map(lambda args: f"max({', '.join(args)})"),
        inner.map(lambda operand: f"-({operand})"),
    ),
    max_leaves=6,
)
comparators = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])


def quoted(values: list[str]) -> str:
    """A rule-language list literal of strings."""
    return "[" + ", ".join(f'"{value}"' for value in values) + "]"


@st.composite
def enum_conditions(draw: st.DrawFn) -> str:
    """An enumeration compared with allowed values."""
    name = draw(st.sampled_from(ENUMS))
    values = sorted(FACTS[name].values or {})
    chosen = draw(st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True))
    form = draw(st.sampled_from(["==", "!=", "in", "not in"]))
    if form in ("==", "!="):
        return f'{name} {form} "{chosen[0]}"'
    return f"{name} {form} {quoted(chosen)}"


text_conditions = st.one_of(
    st.lists(st.sampled_from(INDUSTRY_CODES), min_size=1, max_size=3).map(
        lambda codes: f"industry_code in {quoted(codes)}"
    ),
    st.sampled_from(["13", "39", "65"]).map(lambda code: f'industry_division == "{code}"'),
    st.sampled_from(['purpose != "流动资金"', 'purpose in ["设备", ""]', 'purpose == "x"']),
    st.tuples(
        st.sampled_from(sorted(FACTS["qualifications"].values or {})),
        st.sampled_from(["in", "not in"]),
    ).map(lambda parts: f'"{parts[0]}" {parts[1]} qualifications'),
)
numeric_conditions = st.one_of(
    st.tuples(numeric_expressions, comparators, numeric_expressions).map(" ".join),
    st.tuples(
        numeric_expressions, comparators, numeric_expressions, comparators, numeric_expressions
    ).map(" ".join),
    st.tuples(st.sampled_from(NUMERIC), st.lists(number_literals, min_size=1, max_size=3)).map(
        lambda parts: f"{parts[0]} in [{', '.join(parts[1])}]"
    ),
)
conditions = st.recursive(
    st.one_of(
        numeric_conditions, enum_conditions(), text_conditions, st.sampled_from(["true", "false"])
    ),
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: "(" + " and ".join(parts) + ")"),
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: "(" + " or ".join(parts) + ")"),
        inner.map(lambda operand: f"not ({operand})"),
    ),
    max_leaves=8,
)
rules = st.lists(conditions, min_size=1, max_size=5).map(" and ".join)

# -- facts of the right types -----------------------------------------------------------------

money = st.one_of(
    st.decimals(
        min_value=-(10**15), max_value=10**15, places=2, allow_nan=False, allow_infinity=False
    ),
    st.sampled_from(EXTREME_MONEY),
)
rates = st.one_of(
    st.decimals(min_value=-100, max_value=100, places=4, allow_nan=False, allow_infinity=False),
    st.just(Decimal(0)),
)
integers = st.one_of(
    st.integers(min_value=-1000, max_value=10**6),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.just(0),
)


def values_of(name: str) -> st.SearchStrategy[object]:
    """Values of the right type for one fact, including zero and extremes."""
    fact = FACTS[name]
    if fact.type is FactType.MONEY:
        return money
    if fact.type in (FactType.RATE, FactType.NUMBER):
        return rates
    if fact.type is FactType.INTEGER:
        return integers
    if fact.type is FactType.ENUM:
        return st.sampled_from(sorted(fact.values or {}))
    if fact.type is FactType.ENUM_LIST:
        items = st.lists(st.sampled_from(sorted(fact.values or {})), unique=True)
        return st.one_of(items, items.map(tuple), items.map(frozenset))
    if name == "industry_code":
        return st.one_of(st.sampled_from(INDUSTRY_CODES), st.text(max_size=4))
    return st.text(max_size=6)


facts = st.fixed_dictionaries({name: values_of(name) for name in FACTS})


def compile_or_skip(text: str):
    """Compile a generated rule; constant parts may legitimately divide by zero or overflow."""
    try:
        return compile_rule(text)
    except RuleError as error:
        # Out-of-range constants are refused at save time, naming the position.
        assert "除数为零" in error.message or "超出范围（第" in error.message, error.message
        reject()


# -- properties -------------------------------------------------------------------------------

TOKENS = [
    *FACTS,
    "and", "or", "not", "in", "not in", "==", "!=", "<", "<=", ">", ">=", "=", "+", "-", "*",
    "/", "**", "%", "//", "(", ")", "[", "]", ",", ".", "min", "max", "abs", "0", "1.5", "1e9",
    "01", "'A'", '"B"', '"high_tech"', "'350100'", "true", "false", "True", "None", "lambda",
    "x", "#", "“", "”", "（", "）", "，", "≥", "'", '"', "\\", "\n", "1e999999", "__import__",
    ":=", "if", "else", "for", "{", "}", ":", "@", "~", "|", "&", "营业收入", "\x00",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=80), st.lists(st.sampled_from(TOKENS), max_size=12).map(" ".join),
                 st.lists(st.sampled_from(TOKENS), max_size=12).map("".join)))  # fmt: skip
def test_any_text_compiles_or_raises_rule_error(text):
    """Whatever is typed, saving either succeeds or raises RuleError, never anything else."""
    for compile_text in (compile_rule, compile_formula):
        try:
            compile_text(text)
        except RuleError as error:
            assert error.message and (error.column is None or error.column >= 1)


@settings(max_examples=300, deadline=None)
@given(rules, facts)
def test_well_typed_rules_never_raise_and_check_agrees_with_evaluate(text, values):
    """A rule that validates evaluates without raising, and check() agrees with evaluate()."""
    rule = compile_or_skip(text)
    outcome = rule.evaluate(values)
    assert rule.check(values) == outcome.passed
    assert outcome.passed == (outcome.failures == [])
    for failure in outcome.failures:
        assert failure.explanation
    rule.describe()


@settings(max_examples=200, deadline=None)
@given(numeric_expressions, facts)
def test_well_typed_formulas_never_raise(text, values):
    """A formula that validates yields a Decimal or None, never an exception."""
    try:
        formula = compile_formula(text)
    except RuleError as error:
        assert "除数为零" in error.message or "超出范围（第" in error.message
        reject()
    result = formula.evaluate(values)
    assert result is None or isinstance(result, Decimal)


thresholds = st.decimals(
    min_value=-(10**13), max_value=10**13, places=2, allow_nan=False, allow_infinity=False
)
slack = st.decimals(min_value=0, max_value=10**13, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(NUMERIC),
    st.sampled_from(["<=", "<", ">=", ">"]),
    thresholds,
    slack,
    st.lists(conditions, max_size=3),
    st.sampled_from(["and", "or"]),
    facts,
)
def test_loosening_a_threshold_never_turns_a_pass_into_a_fail(
    name, symbol, threshold, extra, others, joiner, values
):
    """Raising an upper bound or lowering a lower bound keeps every pass a pass."""
    loose = threshold + extra if symbol in ("<=", "<") else threshold - extra
    tight_rule = compile_or_skip(f" {joiner} ".join([*others, f"{name} {symbol} {threshold}"]))
    loose_rule = compile_or_skip(f" {joiner} ".join([*others, f"{name} {symbol} {loose}"]))
    if tight_rule.check(values):
        assert loose_rule.check(values)
    if tight_rule.evaluate(values).passed:
        assert loose_rule.evaluate(values).passed


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(ENUMS), st.data(), facts)
def test_allowing_more_values_never_turns_a_pass_into_a_fail(name, data, values):
    """Adding values to an in-list keeps every pass a pass."""
    allowed = sorted(FACTS[name].values or {})
    narrow = data.draw(st.lists(st.sampled_from(allowed), min_size=1, unique=True))
    wide = narrow + data.draw(st.lists(st.sampled_from(allowed), unique=True))
    if compile_rule(f"{name} in {quoted(narrow)}").check(values):
        assert compile_rule(f"{name} in {quoted(wide)}").check(values)


CODE_WORDS = re.compile(
    r"\b(" + "|".join(sorted(FACTS, key=len, reverse=True)) + r"|and|or|not|min|max)\b|==|!=|>=|<="
)


@settings(max_examples=300, deadline=None)
@given(rules)
def test_every_valid_rule_reads_as_sentences_without_code(text):
    """The description of any valid rule names no fact identifier, keyword or operator."""
    for sentence in compile_or_skip(text).describe():
        assert sentence and not CODE_WORDS.search(sentence), sentence


@settings(max_examples=200, deadline=None)
@given(numeric_expressions)
def test_every_valid_formula_reads_as_words_without_code(text):
    try:
        formula = compile_formula(text)
    except RuleError:
        reject()
    sentence = formula.describe()
    assert sentence and not CODE_WORDS.search(sentence), sentence
