"""Parse rule text into a typed tree: a strict whitelist of Python expression syntax.

The text is parsed with `ast.parse` and never executed. Every node type not listed here is
refused, and types are checked against the fact registry, so a tree that parses can be
evaluated on facts of the right types without raising.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Callable
from decimal import Decimal

from portal.numbers import MAX_TEXT, RULE_CONSTANT, RULE_RESULT_LIMIT, plain, within
from portal.rules.errors import RuleError, is_division_by_zero
from portal.rules.facts import FACTS, Fact
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
    children,
)
from portal.rules.source import Source, check_length, normalise, parse_python, refuse_comments

MAX_DEPTH = 100
# An exponent of four or more digits is far outside the rule constants' range.
_EXPONENT = re.compile(r"[eE][+-]?0*\d{4,}")
_DECIMAL_DIGITS = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
FUNCTIONS = ("min", "max")
BOOLEAN_NAMES = {"true": True, "false": False}

_ARITHMETIC = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_COMPARE = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}
ORDERING = frozenset({"<", "<=", ">", ">="})
MEMBERSHIP = frozenset({"in", "not in"})
_REFUSED_OPERATORS = {
    ast.Pow: "**",
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.MatMult: "@",
    ast.Invert: "~",
    ast.Is: "is",
    ast.IsNot: "is not",
}
KIND_LABELS = {
    Kind.BOOL: N_("条件"),
    Kind.NUMBER: N_("数值"),
    Kind.STRING: N_("文字"),
    Kind.STRING_SET: N_("多选项"),
    Kind.LIST: N_("列表"),
}


def parse(text: str) -> tuple[Source, Node]:
    """Parse and type-check an expression; raise RuleError saying what to fix."""
    check_length(text)
    source = normalise(text)
    refuse_comments(source)
    tree = parse_python(source)
    return source, _Parser(source).build(tree.body, 0)


def type_label(node: Node) -> str:
    """The Chinese name of an expression's type: the fact's own type for a bare fact."""
    if isinstance(node, FactRef):
        return node.fact.type_label
    return render(KIND_LABELS[node.kind])


class _Parser:
    """Walks a Python ast, accepting only the rule language, into typed nodes."""

    def __init__(self, source: Source) -> None:
        """Remember the source for positions and the text of literals."""
        self.source = source
        self.handlers: dict[type, Callable[[ast.AST, int], Node]] = {
            ast.Constant: self._constant,
            ast.Name: self._name,
            ast.BinOp: self._binary,
            ast.UnaryOp: self._unary,
            ast.BoolOp: self._logical,
            ast.Compare: self._compare,
            ast.Call: self._call,
            ast.List: self._stray_list,
        }

    # -- helpers ------------------------------------------------------------------------------

    def span(self, node: ast.AST) -> tuple[int, int]:
        """Normalised character offsets of an ast node."""
        start = self.source.char_offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = self.source.char_offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        return start, end

    def text(self, node: ast.AST | Node) -> str:
        """The source text of a node, as the user typed it."""
        start, end = (node.start, node.end) if not isinstance(node, ast.AST) else self.span(node)
        return self.source.segment(start, end)

    def error(
        self, at: ast.AST | Node | int, template: str, fact: str | None = None, **values: object
    ) -> RuleError:
        """A RuleError positioned at a node or offset."""
        if isinstance(at, int):
            offset = at
        else:
            offset = at.start if not isinstance(at, ast.AST) else self.span(at)[0]
        return self.source.error(offset, template, fact=fact, **values)

    def unsupported(
        self, node: ast.AST, construct: str | None = None, at: int | None = None
    ) -> RuleError:
        """The error for any syntax outside the whitelist."""
        shown = construct if construct is not None else _shorten(self.text(node))
        return self.error(
            self.span(node)[0] if at is None else at,
            N_(
                "不支持的写法“%(construct)s”（%(position)s）：只能使用字段、数字、文字、列表、"
                "比较、and/or/not、+ - * /、min/max"
            ),
            construct=shown,
        )

    def operator_offset(self, symbol: str, start: int, end: int) -> int:
        """Where an operator symbol sits between two operands, for pointing at it."""
        found = self.source.text.find(symbol, start, end)
        return found if found >= 0 else start

    # -- dispatch -----------------------------------------------------------------------------

    def build(self, node: ast.AST, depth: int) -> Node:
        """Turn one ast node into a typed node, refusing anything not whitelisted."""
        if depth > MAX_DEPTH:
            raise self.error(
                node,
                N_("表达式嵌套过深（%(position)s）：最多 %(limit)s 层，请简化"),
                limit=MAX_DEPTH,
            )
        handler = self.handlers.get(type(node))
        if handler is None:
            raise self.unsupported(node)
        return handler(node, depth + 1)

    # -- leaves -------------------------------------------------------------------------------

    def _constant(self, node: ast.Constant, depth: int) -> Node:
        """Numbers become exact Decimals from their source text; strings stay strings."""
        start, end = self.span(node)
        value = node.value
        if isinstance(value, bool) or value is None:
            raise self.error(
                node,
                N_("不支持的写法“%(construct)s”（%(position)s）：表示真假请写 true 或 false"),
                construct=self.text(node),
            )
        if isinstance(value, str):
            return Literal(value, start, end)
        if isinstance(value, int | float):
            # Read the digits as typed: going through float would lose exactness.
            return Literal(self.number(node, self.source.text[start:end]), start, end)
        raise self.unsupported(node)

    def number(self, node: ast.Constant, text: str) -> Decimal:
        """A numeric constant read into the rule constants' range, or an error at its place."""
        cleaned = text.replace("_", "")
        if not _DECIMAL_DIGITS.fullmatch(cleaned):
            # Python also reads 0x10, 0o17, 0b101 and 1j; a rule's numbers are decimal.
            raise self.error(
                node,
                N_("数字“%(text)s”的写法不支持（%(position)s）：请写十进制数字，如 10 或 0.5"),
                text=_shorten(text),
            )
        if len(cleaned) <= MAX_TEXT and not _EXPONENT.search(cleaned):
            value = Decimal(cleaned)
            if RULE_CONSTANT.contains(value):
                return value
        raise self.error(
            node,
            N_(
                "数字“%(text)s”超出范围（%(position)s）：规则中的数字应在 %(low)s 至 %(high)s "
                "之间，最多 %(places)s 位小数"
            ),
            text=_shorten(text),
            low=plain(RULE_CONSTANT.low),
            high=plain(RULE_CONSTANT.high),
            places=RULE_CONSTANT.places,
        )

    def _name(self, node: ast.Name, depth: int) -> Node:
        """A fact, true or false; anything else is an unknown field."""
        start, end = self.span(node)
        if node.id in BOOLEAN_NAMES:
            return Literal(BOOLEAN_NAMES[node.id], start, end)
        if node.id in FACTS:
            return FactRef(FACTS[node.id], start, end)
        if node.id in FUNCTIONS:
            raise self.error(
                node, N_("“%(name)s”是函数，应写作 %(name)s(a, b)（%(position)s）"), name=node.id
            )
        raise self.unknown_fact(node.id, start)

    def unknown_fact(self, name: str, offset: int) -> RuleError:
        """An unknown field, with the closest known name suggested."""
        suggestion = suggest_fact(name)
        names = "、".join(FACTS)
        if suggestion is None:
            error = self.error(
                offset,
                N_("未知的字段“%(name)s”（%(position)s）。可用字段：%(names)s"),
                fact=name,
                name=name,
                names=names,
            )
        else:
            error = self.error(
                offset,
                N_(
                    "未知的字段“%(name)s”（%(position)s）。您是否想写“%(suggestion)s”？可用字段：%(names)s"
                ),
                fact=name,
                name=name,
                suggestion=suggestion,
                names=names,
            )
        error.suggestion = suggestion
        return error

    # -- arithmetic ---------------------------------------------------------------------------

    def _binary(self, node: ast.BinOp, depth: int) -> Node:
        """+ - * / between numbers; constant parts are folded at save time."""
        left, right = self.build(node.left, depth), self.build(node.right, depth)
        symbol = _ARITHMETIC.get(type(node.op))
        if symbol is None:
            refused = _REFUSED_OPERATORS.get(type(node.op), "?")
            at = self.operator_offset(refused, left.end, right.start)
            raise self.unsupported(node, refused, at)
        for operand in (left, right):
            self.require_number(operand)
        if symbol == "/" and isinstance(right, Literal) and right.value == 0:
            raise self.error(right, N_("除数为零（%(position)s）"))
        start, end = self.span(node)
        return self.fold(Arithmetic(symbol, left, right, start, end))

    def _unary(self, node: ast.UnaryOp, depth: int) -> Node:
        """Unary minus/plus on numbers, not on conditions."""
        operand = self.build(node.operand, depth)
        start, end = self.span(node)
        if isinstance(node.op, ast.Not):
            if operand.kind is not Kind.BOOL:
                raise self.error(
                    operand,
                    N_("not 只能用于条件，不能用于%(type)s“%(text)s”（%(position)s）"),
                    fact=_fact_name(operand),
                    type=type_label(operand),
                    text=self.text(operand),
                )
            return Not(operand, start, end)
        if isinstance(node.op, ast.Invert):
            raise self.unsupported(node, "~", start)
        self.require_number(operand)
        if isinstance(node.op, ast.UAdd):
            return operand
        return self.fold(Negate(operand, start, end))

    def require_number(self, operand: Node) -> None:
        """Refuse a non-numeric operand of arithmetic, naming what it is."""
        if operand.kind is Kind.NUMBER:
            return
        if isinstance(operand, FactRef):
            raise self.error(
                operand,
                N_("“%(label)s”是%(type)s，不能做加减乘除运算（%(position)s）"),
                fact=operand.fact.name,
                label=operand.fact.display_label,
                type=operand.fact.type_label,
            )
        raise self.error(
            operand,
            N_("%(type)s“%(text)s”不能做加减乘除运算（%(position)s）"),
            type=type_label(operand),
            text=self.text(operand),
        )

    def fold(self, node: Arithmetic | Negate | MinMax) -> Node:
        """Replace arithmetic on constants by its exact result, so 300 * 10000 reads as 3000000."""
        operands = children(node)
        if not all(isinstance(operand, Literal) for operand in operands):
            return node
        values = [operand.value for operand in operands]  # type: ignore[union-attr]
        try:
            value = _fold_value(node, values)
        except ArithmeticError as error:
            if is_division_by_zero(error):
                raise self.error(node, N_("除数为零（%(position)s）")) from None
            value = None
        if value is None or not within(value):
            raise self.error(
                node,
                N_("计算结果超出范围（%(position)s）：应在 %(low)s 至 %(high)s 之间"),
                low=plain(-RULE_RESULT_LIMIT),
                high=plain(RULE_RESULT_LIMIT),
            )
        return Literal(value, node.start, node.end)

    # -- conditions ---------------------------------------------------------------------------

    def _logical(self, node: ast.BoolOp, depth: int) -> Node:
        """and / or over conditions only."""
        word = "and" if isinstance(node.op, ast.And) else "or"
        operands = tuple(self.build(value, depth) for value in node.values)
        for operand in operands:
            if operand.kind is not Kind.BOOL:
                raise self.error(
                    operand,
                    N_(
                        "%(operator)s 的两边都应为条件（例如 amount <= 3000000），"
                        "“%(text)s”是%(type)s（%(position)s）"
                    ),
                    fact=_fact_name(operand),
                    operator=word,
                    text=self.text(operand),
                    type=type_label(operand),
                )
        start, end = self.span(node)
        return Logical(word, operands, start, end)

    def _compare(self, node: ast.Compare, depth: int) -> Node:
        """Comparisons, chained or not; list literals are allowed right of in / not in."""
        operands = [self.build(node.left, depth)]
        operators = []
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            symbol = _COMPARE.get(type(op))
            if symbol is None:
                refused = _REFUSED_OPERATORS.get(type(op), "?")
                at = self.operator_offset(refused, operands[-1].end, self.span(comparator)[0])
                raise self.unsupported(node, refused, at)
            operators.append(symbol)
            operands.append(self.comparand(symbol, comparator, depth))
        for left, symbol, right in zip(operands, operators, operands[1:], strict=False):
            self.check_pair(left, symbol, right)
        start, end = self.span(node)
        return Comparison(tuple(operands), tuple(operators), start, end)

    def comparand(self, symbol: str, node: ast.AST, depth: int) -> Node:
        """The right side of a comparison: a list literal only after in / not in."""
        if symbol in MEMBERSHIP and isinstance(node, ast.Tuple | ast.Set):
            raise self.error(node, N_('列表请用方括号书写，例如 ["A", "B"]（%(position)s）'))
        if symbol in MEMBERSHIP and isinstance(node, ast.List):
            return self.list_literal(node, depth)
        return self.build(node, depth)

    def list_literal(self, node: ast.List, depth: int) -> ListLiteral:
        """A non-empty list of numbers or of strings."""
        start, end = self.span(node)
        if not node.elts:
            raise self.error(node, N_("列表不能为空（%(position)s）"))
        items = tuple(self.build(element, depth) for element in node.elts)
        for item in items:
            if not isinstance(item, Literal) or item.kind not in (Kind.NUMBER, Kind.STRING):
                raise self.error(
                    item,
                    N_("列表中只能写数字或文字，不能写“%(text)s”（%(position)s）"),
                    fact=_fact_name(item),
                    text=self.text(item),
                )
        return ListLiteral(items, start, end)  # type: ignore[arg-type]

    def _stray_list(self, node: ast.List, depth: int) -> Node:
        """A list anywhere but right of in / not in."""
        raise self.error(node, N_("列表只能用在 in / not in 的右边（%(position)s）"))

    def _call(self, node: ast.Call, depth: int) -> Node:
        """min(...) and max(...) with two or more numeric arguments; no other calls."""
        if not isinstance(node.func, ast.Name):
            raise self.unsupported(node)
        name = node.func.id
        if name not in FUNCTIONS:
            raise self.error(
                node, N_("不支持的函数“%(name)s”（%(position)s）：只能使用 min、max"), name=name
            )
        if node.keywords or any(isinstance(argument, ast.Starred) for argument in node.args):
            raise self.unsupported(node)
        if len(node.args) < 2:
            raise self.error(
                node, N_("%(function)s 至少需要两个参数（%(position)s）"), function=name
            )
        arguments = tuple(self.build(argument, depth) for argument in node.args)
        for argument in arguments:
            if argument.kind is not Kind.NUMBER:
                raise self.error(
                    argument,
                    N_("%(function)s 的参数应为数值，“%(text)s”是%(type)s（%(position)s）"),
                    fact=_fact_name(argument),
                    function=name,
                    text=self.text(argument),
                    type=type_label(argument),
                )
        start, end = self.span(node)
        return self.fold(MinMax(name, arguments, start, end))

    # -- type checking of one comparison ------------------------------------------------------

    def check_pair(self, left: Node, symbol: str, right: Node) -> None:
        """Refuse a comparison whose sides cannot be compared, with a message on how to fix it."""
        for side in (left, right):
            if side.kind is Kind.BOOL:
                raise self.error(
                    side,
                    N_("条件不能再与其他值比较：“%(text)s”（%(position)s）。组合条件请用 and / or"),
                    text=self.text(side),
                )
        if left.kind is Kind.LIST or (right.kind is Kind.LIST and symbol not in MEMBERSHIP):
            raise self.error(left, N_("列表只能用在 in / not in 的右边（%(position)s）"))
        if symbol in MEMBERSHIP:
            self.check_membership(left, symbol, right)
        elif left.kind is Kind.STRING_SET or right.kind is Kind.STRING_SET:
            self.refuse_set(left if left.kind is Kind.STRING_SET else right)
        elif symbol in ORDERING:
            self.check_ordering(left, symbol, right)
        else:
            self.check_same_kind(left, right)

    def check_membership(self, left: Node, symbol: str, right: Node) -> None:
        """x in [list] with matching types, or "value" in a multi-valued fact."""
        if isinstance(right, ListLiteral):
            if left.kind is Kind.STRING_SET:
                self.refuse_set(left)
            for item in right.items:
                self.check_same_kind(left, item)
            return
        if isinstance(right, FactRef) and right.kind is Kind.STRING_SET:
            if not (isinstance(left, Literal) and left.kind is Kind.STRING):
                raise self.error(
                    left,
                    N_(
                        "判断“%(label)s”是否包含某项时，%(operator)s 的左边应为加引号的文字，"
                        '例如 "%(example)s" %(operator)s %(name)s（%(position)s）'
                    ),
                    fact=right.fact.name,
                    label=right.fact.display_label,
                    operator=symbol,
                    example=_first_value(right.fact),
                    name=right.fact.name,
                )
            self.check_literal(right.fact, left)
            return
        raise self.error(
            right,
            N_(
                '%(operator)s 的右边应为列表（如 ["A", "B"]）或多选项字段（如 qualifications），'
                "现在是“%(text)s”（%(position)s）"
            ),
            fact=_fact_name(right),
            operator=symbol,
            text=self.text(right),
        )

    def refuse_set(self, node: Node) -> None:
        """A multi-valued fact can only be asked whether it contains a value."""
        if not isinstance(node, FactRef):  # only facts have the STRING_SET kind
            return
        raise self.error(
            node,
            N_(
                '“%(label)s”可包含多项，请用 "%(example)s" in %(name)s 的写法判断是否包含某项'
                "（%(position)s）"
            ),
            fact=node.fact.name,
            label=node.fact.display_label,
            example=_first_value(node.fact),
            name=node.fact.name,
        )

    def check_ordering(self, left: Node, symbol: str, right: Node) -> None:
        """< <= > >= compare numbers only."""
        for side in (left, right):
            if side.kind is Kind.STRING and isinstance(side, FactRef):
                raise self.error(
                    side,
                    N_(
                        "“%(label)s”是%(type)s，不能用 %(operator)s 比较大小，"
                        "只能用 ==、!=、in、not in（%(position)s）"
                    ),
                    fact=side.fact.name,
                    label=side.fact.display_label,
                    type=side.fact.type_label,
                    operator=symbol,
                )
        for side in (left, right):
            if side.kind is Kind.STRING:
                raise self.error(
                    side,
                    N_("文字“%(text)s”不能用 %(operator)s 比较大小（%(position)s）"),
                    text=self.text(side),
                    operator=symbol,
                )

    def check_same_kind(self, left: Node, right: Node) -> None:
        """Both sides numbers, or both strings (checking literals against the fact's values)."""
        if left.kind is right.kind:
            self.check_string_values(left, right)
            return
        fact_side, other = (left, right) if isinstance(left, FactRef) else (right, left)
        if isinstance(fact_side, FactRef) and isinstance(other, Literal):
            self.refuse_literal(fact_side, other)
        raise self.error(
            right,
            N_(
                "比较的两边类型不同：“%(left)s”是%(left_type)s，“%(right)s”是%(right_type)s（%(position)s）"
            ),
            fact=_fact_name(left) or _fact_name(right),
            left=self.text(left),
            left_type=type_label(left),
            right=self.text(right),
            right_type=type_label(right),
        )

    def refuse_literal(self, fact: FactRef, literal: Literal) -> None:
        """A number compared with a string literal, or a string fact with a number."""
        if literal.kind is Kind.STRING:
            raise self.error(
                literal,
                N_("“%(label)s”是%(type)s，不能与文字“%(value)s”比较（%(position)s）"),
                fact=fact.fact.name,
                label=fact.fact.display_label,
                type=fact.fact.type_label,
                value=literal.value,
            )
        raise self.error(
            literal,
            N_(
                "“%(label)s”是%(type)s，不能与数字“%(value)s”比较；"
                '文字请加引号，例如 "%(value)s"（%(position)s）'
            ),
            fact=fact.fact.name,
            label=fact.fact.display_label,
            type=fact.fact.type_label,
            value=self.text(literal),
        )

    def check_string_values(self, left: Node, right: Node) -> None:
        """A string literal compared with a fact must be one of the fact's values."""
        for fact_side, other in ((left, right), (right, left)):
            if isinstance(fact_side, FactRef) and isinstance(other, Literal):
                self.check_literal(fact_side.fact, other)

    def check_literal(self, fact: Fact, literal: Literal) -> None:
        """Refuse a string literal the fact can never take."""
        if literal.kind is not Kind.STRING:
            return
        problem = fact.check_literal(str(literal.value))
        if problem is not None:
            raise self.error(
                literal, N_("%(problem)s（%(position)s）"), fact=fact.name, problem=problem
            )


def suggest_fact(name: str) -> str | None:
    """The known fact name closest to a misspelt one, matching Chinese labels too."""
    by_label = {str(fact.label): fact.name for fact in FACTS.values()}
    if name in by_label:
        return by_label[name]
    lowered = {fact_name.lower(): fact_name for fact_name in FACTS}
    close = difflib.get_close_matches(name.lower(), lowered, n=1, cutoff=0.6)
    if close:
        return lowered[close[0]]
    close = difflib.get_close_matches(name, by_label, n=1, cutoff=0.5)
    return by_label[close[0]] if close else None


def _fold_value(node: Arithmetic | Negate | MinMax, values: list) -> Decimal:
    """The exact value of arithmetic on constants."""
    if isinstance(node, Negate):
        return -values[0]
    if isinstance(node, MinMax):
        return min(values) if node.function == "min" else max(values)
    left, right = values
    if node.operator == "+":
        return left + right
    if node.operator == "-":
        return left - right
    if node.operator == "*":
        return left * right
    return left / right


def _fact_name(node: Node) -> str | None:
    """The fact's name if the node is a bare fact."""
    return node.fact.name if isinstance(node, FactRef) else None


def _first_value(fact: Fact) -> str:
    """An example value of an enumeration, for messages."""
    return next(iter(fact.values)) if fact.values else ""


def _shorten(text: str, limit: int = 30) -> str:
    """Cut long constructs in messages."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
