"""Rules and formulas are validated when saved, with Chinese messages naming column and fact."""

from __future__ import annotations

import pytest

from portal.rules import FACTS, RuleError, compile_formula, compile_rule
from portal.rules.source import MAX_LENGTH


def error_of(text: str, *, formula: bool = False) -> RuleError:
    """Compile the text and return the RuleError it must raise."""
    with pytest.raises(RuleError) as caught:
        (compile_formula if formula else compile_rule)(text)
    return caught.value


def test_syntax_error_unbalanced_bracket_names_column():
    """An unclosed bracket is reported at the bracket, in Chinese."""
    error = error_of("revenue >= (1 + 2")
    assert error.message == "第 12 列附近语法错误：括号不匹配"
    assert str(error) == error.message
    assert (error.column, error.fact) == (12, None)


def test_syntax_error_missing_comparand():
    """A comparison without its right side says what is missing."""
    error = error_of("amount >=")
    assert error.message == "第 10 列附近语法错误：缺少比较对象"
    assert error.column == 10


def test_syntax_error_single_equals():
    """A lone = is explained as a comparison that needs ==."""
    assert error_of("amount = 1").message == "第 8 列附近语法错误：判断相等请写 ==（不是 =）"


def test_syntax_error_upper_case_keyword():
    """AND in capitals is pointed out."""
    error = error_of("amount > 1 AND revenue > 2")
    assert error.message == "第 12 列附近语法错误：and、or、not、in 须用小写字母书写"


def test_syntax_error_unterminated_string():
    """A string without its closing quote is named as such."""
    assert "文字缺少结尾的引号" in error_of('tax_credit_grade == "A').message


def test_unknown_fact_suggests_closest_name():
    """A misspelt fact is refused with the nearest known name and the list of fields."""
    error = error_of("amount <= 1 and reveune >= 100")
    assert error.message.startswith(
        "未知的字段“reveune”（第 17 列）。您是否想写“revenue”？可用字段："
    )
    assert "tax_credit_grade" in error.message
    assert (error.column, error.fact, error.suggestion) == (17, "reveune", "revenue")


def test_unknown_fact_written_as_chinese_label_suggests_name():
    """Typing the Chinese label instead of the name suggests the name."""
    error = error_of("纳税信用等级 == 'A'")
    assert "您是否想写“tax_credit_grade”？" in error.message
    assert error.column == 1


def test_unknown_fact_without_suggestion():
    """A name close to nothing gets the list of fields only."""
    error = error_of("zzz > 1")
    assert error.message.startswith("未知的字段“zzz”（第 1 列）。可用字段：region_code、")
    assert error.suggestion is None


def test_money_compared_with_string():
    """Comparing a money fact with text names both."""
    error = error_of('revenue == "A"')
    assert error.message == "“上年营业收入”是金额，不能与文字“A”比较（第 12 列）"
    assert (error.column, error.fact) == (12, "revenue")


def test_text_fact_compared_with_number_suggests_quotes():
    """An industry code compared with a bare number is told to quote it."""
    error = error_of("industry_code == 13")
    assert error.message == (
        '“行业代码”是文字，不能与数字“13”比较；文字请加引号，例如 "13"（第 18 列）'
    )
    assert error.fact == "industry_code"


def test_enum_value_not_allowed_lists_choices():
    """An unknown enumeration value lists the allowed ones."""
    error = error_of('tax_credit_grade == "E"')
    assert error.message == "“纳税信用等级”没有取值“E”，可选：A、B、M、C、D（第 21 列）"
    assert (error.column, error.fact) == (21, "tax_credit_grade")


def test_enum_value_in_list_checked():
    """Each value of an in-list is checked against the enumeration."""
    error = error_of('size_class in ["small", "tiny"]')
    assert error.message.startswith("“企业规模”没有取值“tiny”，可选：large（大型）、")
    assert error.column == 25


def test_enum_label_used_instead_of_code():
    """Writing the Chinese label of a value points to its code."""
    error = error_of('size_class == "小型"')
    assert error.message == "“企业规模”没有取值“小型”：请写代码“small”（小型）（第 15 列）"


def test_contains_value_checked():
    """A qualification that does not exist is refused."""
    error = error_of('"unicorn" in qualifications')
    assert error.message.startswith("“资质认定”没有取值“unicorn”")
    assert error.fact == "qualifications"


def test_industry_code_literal_checked():
    """An industry code literal must look like a GB/T 4754 code."""
    error = error_of('industry_code in ["13", "1a"]')
    assert error.message == "“行业代码”应为 2 至 4 位数字（GB/T 4754-2017），“1a”不符合（第 25 列）"


def test_arithmetic_on_enum_refused():
    """Arithmetic on an enumeration is refused."""
    error = error_of("tax_credit_grade + 1 > 2")
    assert error.message == "“纳税信用等级”是选项，不能做加减乘除运算（第 1 列）"
    assert error.fact == "tax_credit_grade"


def test_arithmetic_on_text_refused():
    """Arithmetic on free text is refused."""
    assert error_of("purpose * 2 > 1").message == "“资金用途”是文字，不能做加减乘除运算（第 1 列）"


def test_in_needs_a_list():
    """in with a number on the right explains what is expected."""
    error = error_of("amount in 5")
    assert error.message == (
        'in 的右边应为列表（如 ["A", "B"]）或多选项字段（如 qualifications），'
        "现在是“5”（第 11 列）"
    )


def test_tuple_instead_of_list():
    """Round brackets after in are pointed to square brackets."""
    assert error_of('tax_credit_grade in ("A", "B")').message == (
        '列表请用方括号书写，例如 ["A", "B"]（第 21 列）'
    )


def test_ordering_on_enum_refused():
    """< on an enumeration is refused."""
    error = error_of('tax_credit_grade < "B"')
    assert error.message == (
        "“纳税信用等级”是选项，不能用 < 比较大小，只能用 ==、!=、in、not in（第 1 列）"
    )
    assert error.fact == "tax_credit_grade"


def test_ordering_on_text_refused():
    """>= on free text is refused."""
    assert "不能用 >= 比较大小" in error_of('purpose >= "a"').message


def test_not_on_number_refused():
    """not applied to a number is refused."""
    error = error_of("not amount")
    assert error.message == "not 只能用于条件，不能用于金额“amount”（第 5 列）"
    assert (error.column, error.fact) == (5, "amount")


def test_and_with_number_refused():
    """and-ing a number is refused."""
    error = error_of("amount <= 100 and revenue")
    assert error.message == (
        "and 的两边都应为条件（例如 amount <= 3000000），“revenue”是金额（第 19 列）"
    )


def test_rule_must_be_a_condition():
    """A rule whose result is a number is refused."""
    error = error_of("revenue * 0.2")
    assert error.message == "规则的结果应为“是/否”条件，例如 revenue >= 1000000；现在是数值"


def test_formula_must_be_numeric():
    """A formula whose result is a condition is refused."""
    error = error_of("amount <= 100", formula=True)
    assert error.message == "公式的结果应为数值，例如 min(amount, revenue * 0.2)；现在是条件"


def test_empty_formula_refused():
    """An empty formula cannot be saved."""
    assert error_of("  ", formula=True).message == "公式不能为空"


def test_empty_rule_lets_everyone_through():
    """An empty eligibility rule passes any facts."""
    rule = compile_rule("")
    assert rule.check({}) and rule.evaluate({}).passed
    assert rule.facts_used == frozenset()


def test_length_limit():
    """Texts over the limit are refused before parsing."""
    error = error_of("amount > 1 or " * 200 + "amount > 1")
    assert error.message.startswith(f"规则过长：最多 {MAX_LENGTH} 个字符")
    assert error.column is None


def test_comment_refused():
    """A # comment would hide the rest of the rule, so it is refused."""
    error = error_of("amount > 1 # and revenue > 2")
    assert error.message == "不支持注释“#”（第 12 列）：规则中不能写 #"
    compile_rule('purpose == "a#b"')  # inside a string it is just a character


def test_division_by_constant_zero_refused():
    """Dividing by a literal zero is caught when saving."""
    assert error_of("amount / 0 > 1").message == "除数为零（第 10 列）"
    assert error_of("amount > 1 / (2 - 2)").message == "除数为零（第 15 列）"


def test_min_max_arguments():
    """min/max need two or more numeric arguments."""
    assert error_of("min(amount)", formula=True).message == "min 至少需要两个参数（第 1 列）"
    assert error_of('max(amount, "a")', formula=True).message == (
        'max 的参数应为数值，“"a"”是文字（第 13 列）'
    )


def test_multi_valued_fact_needs_contains_form():
    """== on a multi-valued fact points to the "x" in qualifications form."""
    error = error_of('qualifications == "green"')
    assert error.message == (
        '“资质认定”可包含多项，请用 "high_tech" in qualifications 的写法判断是否包含某项（第 1 列）'
    )


@pytest.mark.parametrize(
    ("text", "construct", "column"),
    [
        ("x.y > 1", "x.y", 1),
        ("amount[0] > 1", "amount[0]", 1),
        ("lambda: 1", "lambda: 1", 1),
        ("[x for x in qualifications]", "[x for x in qualifications]", 1),
        ("amount ** 2 > 1", "**", 8),
        ("amount % 2 == 0", "%", 8),
        ("amount // 2 > 1", "//", 8),
        ("amount if true else revenue", "amount if true else revenue", 1),
        ("f'x' == purpose", "f'x'", 1),
        ("amount is 1", "is", 8),
        ("(amount := 1)", "amount := 1", 2),
        ("amount.real > 1", "amount.real", 1),
    ],
)
def test_disallowed_constructs_refused(text, construct, column):
    """Constructs outside the language are named with their column."""
    error = error_of(text)
    assert error.message == (
        f"不支持的写法“{construct}”（第 {column} 列）：只能使用字段、数字、文字、列表、比较、"
        "and/or/not、+ - * /、min/max"
    )
    assert error.column == column


@pytest.mark.parametrize(
    "text",
    [
        '__import__("os").system("true")',
        '__import__("os")',
        "abs(amount) > 1",
        "int(purpose) > 1",
        "amount.__class__",
        "().__class__.__bases__[0].__subclasses__()",
        "open('/etc/passwd')",
        "{1: 2}",
        "{1, 2}",
        "*amount",
        "await amount",
        "(yield)",
        "amount @ 1",
        "~amount > 1",
        "True",
        "None",
        "b'x' == purpose",
        "1j > amount",
        "...",
        "min(*[amount, 1])",
        "min(amount, 1, key=amount)",
        "x[1:2]",
        "amount > 1; amount < 2",
    ],
)
def test_dangerous_or_foreign_syntax_raises_only_rule_error(text):
    """Anything outside the whitelist is a RuleError, never another exception."""
    with pytest.raises(RuleError):
        compile_rule(text)
    with pytest.raises(RuleError):
        compile_formula(text)


def test_unknown_function_named():
    """A call to another function names it."""
    error = error_of('__import__("os")')
    assert error.message == "不支持的函数“__import__”（第 1 列）：只能使用 min、max"


def test_full_width_input_method_symbols_accepted():
    """Full-width brackets, quotes, commas and ≥ typed with a Chinese IME are accepted."""
    rule = compile_rule("（amount ≥ 100）and tax_credit_grade in [“A”，“B”]")
    assert rule.check({"amount": 100, "tax_credit_grade": "B"})
    assert [clause.text for clause in rule.clauses] == [
        "amount ≥ 100",
        "tax_credit_grade in [“A”，“B”]",
    ]


def test_columns_count_chinese_characters_once():
    """Columns are character positions, however many bytes a Chinese character takes."""
    text = 'purpose == "流动资金" and reveune > 1'
    assert error_of(text).column == text.index("reveune") + 1 == 23


def test_multi_line_rule_reports_line_and_column():
    """A rule over several lines is accepted, and errors name the line."""
    compile_rule('tax_credit_grade == "A"\nand amount <= 100')
    error = error_of("amount <= 100\nand reveune > 1")
    assert error.message.startswith("未知的字段“reveune”（第 2 行第 5 列）")
    assert (error.line, error.column) == (2, 19)


def test_facts_registry_has_labels_and_units():
    """Every fact has a Chinese label; numeric facts have units."""
    assert FACTS["revenue"].display_label == "上年营业收入"
    assert FACTS["term_months"].unit == "月"
    assert FACTS["qualifications"].values is not None
    assert set(FACTS["region_code"].values or {}) >= {"350100", "350900"}
