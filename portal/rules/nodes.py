"""The typed expression tree the parser produces and the compiler turns into closures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from portal.rules.facts import Fact, FactType


class Kind(Enum):
    """The static type of an expression."""

    BOOL = "bool"
    NUMBER = "number"
    STRING = "string"
    STRING_SET = "string_set"  # an enum_list fact: several strings
    LIST = "list"  # a list literal, only on the right of in / not in


@dataclass(frozen=True, slots=True)
class Literal:
    """A number (Decimal), string or true/false written in the rule."""

    value: Decimal | str | bool
    start: int
    end: int

    @property
    def kind(self) -> Kind:
        """The literal's static type."""
        if isinstance(self.value, bool):
            return Kind.BOOL
        return Kind.NUMBER if isinstance(self.value, Decimal) else Kind.STRING


@dataclass(frozen=True, slots=True)
class FactRef:
    """A fact named in the rule."""

    fact: Fact
    start: int
    end: int

    @property
    def kind(self) -> Kind:
        """The fact's static type."""
        if self.fact.is_numeric:
            return Kind.NUMBER
        return Kind.STRING_SET if self.fact.type is FactType.ENUM_LIST else Kind.STRING


@dataclass(frozen=True, slots=True)
class ListLiteral:
    """A list of literals, e.g. ["A", "B"]."""

    items: tuple[Literal, ...]
    start: int
    end: int
    kind: Kind = Kind.LIST


@dataclass(frozen=True, slots=True)
class Arithmetic:
    """A binary + - * / between numbers."""

    operator: str
    left: Node
    right: Node
    start: int
    end: int
    kind: Kind = Kind.NUMBER


@dataclass(frozen=True, slots=True)
class Negate:
    """Unary minus of a number."""

    operand: Node
    start: int
    end: int
    kind: Kind = Kind.NUMBER


@dataclass(frozen=True, slots=True)
class MinMax:
    """min(...) or max(...) of two or more numbers."""

    function: str
    arguments: tuple[Node, ...]
    start: int
    end: int
    kind: Kind = Kind.NUMBER


@dataclass(frozen=True, slots=True)
class Comparison:
    """A comparison, possibly chained: operands[i] operators[i] operands[i + 1]."""

    operands: tuple[Node, ...]
    operators: tuple[str, ...]
    start: int
    end: int
    kind: Kind = Kind.BOOL


@dataclass(frozen=True, slots=True)
class Logical:
    """and / or over two or more conditions."""

    operator: str
    operands: tuple[Node, ...]
    start: int
    end: int
    kind: Kind = Kind.BOOL


@dataclass(frozen=True, slots=True)
class Not:
    """not of a condition."""

    operand: Node
    start: int
    end: int
    kind: Kind = Kind.BOOL


Node = Literal | FactRef | ListLiteral | Arithmetic | Negate | MinMax | Comparison | Logical | Not


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of a node."""
    if isinstance(node, Arithmetic):
        return (node.left, node.right)
    if isinstance(node, Negate | Not):
        return (node.operand,)
    if isinstance(node, MinMax):
        return node.arguments
    if isinstance(node, Comparison | Logical):
        return node.operands
    if isinstance(node, ListLiteral):
        return node.items
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children, left to right."""
    yield node
    for child in children(node):
        yield from walk(child)


def facts_in(node: Node) -> tuple[Fact, ...]:
    """The facts a tree names, each once, in order of first appearance."""
    seen: dict[str, Fact] = {}
    for item in walk(node):
        if isinstance(item, FactRef):
            seen.setdefault(item.fact.name, item.fact)
    return tuple(seen.values())


def has_arithmetic(node: Node) -> bool:
    """Whether evaluating the tree can hit an undefined operation (division, overflow)."""
    return any(isinstance(item, Arithmetic) for item in walk(node))


def may_be_int(node: Node) -> bool:
    """Whether the expression can yield a Python int (so / must convert to Decimal first)."""
    if isinstance(node, FactRef):
        return node.fact.type is FactType.INTEGER
    if isinstance(node, Arithmetic):
        return node.operator != "/" and may_be_int(node.left) and may_be_int(node.right)
    if isinstance(node, Negate):
        return may_be_int(node.operand)
    if isinstance(node, MinMax):
        # min(3, Decimal(5)) returns the int 3.
        return any(may_be_int(argument) for argument in node.arguments)
    return False
