"""Rule text as typed: input-method normalisation, positions, and syntax errors in Chinese."""

from __future__ import annotations

import ast
import re
import unicodedata
import warnings
from dataclasses import dataclass

from portal.rules.errors import RuleError
from portal.rules.i18n import N_, render

MAX_LENGTH = 2000

_QUOTES = {'"': '"', "“": '"', "”": '"', "＂": '"', "'": "'", "‘": "'", "’": "'", "＇": "'"}
# Symbols a Chinese input method produces that NFKC leaves alone.
_EXTRA = {"≥": ">=", "≤": "<=", "≠": "!=", "×": "*", "÷": "/", "【": "[", "】": "]"}
# Characters a normalised symbol must not turn into: they would change what is a string.
_UNSAFE = frozenset("\"'#\\\n\r")


@dataclass(frozen=True)
class Source:
    """The original text, its normalised form, and a map from one to the other."""

    original: str
    text: str
    origin: tuple[int, ...]  # origin[i]: index in original of normalised character i

    def where(self, offset: int) -> tuple[int, int | None, str]:
        """Column (in the whole text), line (if multi-line) and a Chinese position phrase."""
        index = self.origin[min(max(offset, 0), len(self.origin) - 1)]
        column = index + 1
        if "\n" not in self.original:
            return column, None, render(N_("第 %(column)s 列"), column=column)
        line = self.original.count("\n", 0, index) + 1
        in_line = index - (self.original.rfind("\n", 0, index) + 1) + 1
        return column, line, render(N_("第 %(line)s 行第 %(column)s 列"), line=line, column=in_line)

    def segment(self, start: int, end: int) -> str:
        """The original text between two normalised offsets, as the user typed it."""
        if end <= start:
            return ""
        return self.original[self.origin[start] : self.origin[end - 1] + 1]

    def char_offset(self, lineno: int, byte_col: int) -> int:
        """Convert an ast (line, UTF-8 byte column) position to a normalised character offset."""
        lines = self.text.split("\n")
        before = sum(len(line) + 1 for line in lines[: lineno - 1])
        line_bytes = lines[lineno - 1].encode("utf-8")
        return before + len(line_bytes[:byte_col].decode("utf-8", errors="ignore"))

    def error(
        self, offset: int, template: str, *, fact: str | None = None, **values: object
    ) -> RuleError:
        """A RuleError at a normalised offset; the template receives %(position)s."""
        column, line, position = self.where(offset)
        message = render(template, position=position, **values)
        return RuleError(message, column=column, line=line, fact=fact)


def _normalise_char(char: str) -> str:
    """Fold a full-width or input-method symbol outside strings to its ASCII form."""
    if char in _EXTRA:
        return _EXTRA[char]
    folded = unicodedata.normalize("NFKC", char)
    return char if _UNSAFE.intersection(folded) else folded


def normalise(original: str) -> Source:
    """Fold symbols typed with a Chinese input method and join lines, leaving strings alone."""
    pieces: list[str] = []
    origin: list[int] = []
    quote: str | None = None
    index = 0
    while index < len(original):
        char = original[index]
        if quote is not None:
            if char == "\\" and index + 1 < len(original):
                pieces += [char, original[index + 1]]
                origin += [index, index + 1]
                index += 2
                continue
            if _QUOTES.get(char) == quote:
                piece, quote = quote, None
            else:
                piece = char
        elif char in _QUOTES:
            piece = quote = _QUOTES[char]
        elif char in "\r\n":
            piece = " "  # a rule may span lines; the expression parser wants one
        else:
            piece = _normalise_char(char)
        pieces.append(piece)
        origin += [index] * len(piece)
        index += 1
    origin.append(len(original))
    text = "".join(pieces)
    # Python refuses leading indentation; dropping it keeps the origin map exact.
    indent = len(text) - len(text.lstrip(" \t\f"))
    return Source(original, text[indent:], tuple(origin[indent:]))


def check_length(text: str) -> None:
    """Refuse texts over the length limit before doing any work on them."""
    if len(text) > MAX_LENGTH:
        message = render(
            N_("规则过长：最多 %(limit)s 个字符，现在有 %(length)s 个，请拆分或简化"),
            limit=MAX_LENGTH,
            length=len(text),
        )
        raise RuleError(message)


def refuse_comments(source: Source) -> None:
    """Refuse a # outside strings: a comment would silently hide the rest of the rule."""
    quote: str | None = None
    escaped = False
    for offset, char in enumerate(source.text):
        if escaped:
            escaped = False
        elif quote is not None:
            escaped = char == "\\"
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "#":
            raise source.error(offset, N_("不支持注释“#”（%(position)s）：规则中不能写 #"))


_COMPARISON_END = re.compile(r"(==|!=|<=|>=|<|>|\bin|\bnot in)\s*$")
_OPERATOR_END = re.compile(r"(\band|\bor|\bnot|[-+*/(,\[])\s*$")
_UPPER_KEYWORD = re.compile(r"\b(AND|OR|NOT|IN|And|Or|Not)\b|&&|\|\|")


def _syntax_reason(message: str, text: str, at_end: bool) -> str:
    """A short Chinese reason for a Python SyntaxError message."""
    rules = (
        (("never closed", "unmatched", "does not match"), N_("括号不匹配")),
        (("unterminated string", "EOL while", "EOF while scanning"), N_("文字缺少结尾的引号")),
        (("leading zeros",), N_('数字不能以 0 开头；代码请加引号，例如 "0101"')),
        (("decimal literal", "invalid digit", "literal"), N_("数字写法有误")),
        (("forgot a comma",), N_("缺少逗号或运算符")),
        (("'=='", "assign", "assignment"), N_("判断相等请写 ==（不是 =）")),
        (("too many nested",), N_("括号嵌套过深")),
        (("null bytes", "non-printable"), N_("含有不可见字符")),
        (("line continuation",), N_("无法识别的字符“\\”")),
    )
    for needles, reason in rules:
        if any(needle in message for needle in needles):
            return render(reason)
    found = re.search(r"invalid character '(.)'", message)
    if found:
        return render(N_("无法识别的字符“%(char)s”"), char=found.group(1))
    if _UPPER_KEYWORD.search(text):
        return render(N_("and、or、not、in 须用小写字母书写"))
    if at_end and _COMPARISON_END.search(text):
        return render(N_("缺少比较对象"))
    if at_end or _OPERATOR_END.search(text):
        return render(N_("表达式不完整"))
    return render(N_("此处无法识别，请检查是否缺少运算符、and/or、逗号或引号"))


def _is_single_equals(text: str, position: int) -> bool:
    """Whether the error sits on a lone = (an assignment where a comparison was meant)."""
    if position >= len(text) or text[position] != "=":
        return False
    before = text[position - 1] if position else ""
    after = text[position + 1] if position + 1 < len(text) else ""
    return before not in "=<>!" and after != "="


def parse_python(source: Source) -> ast.expression:
    """Parse the normalised text as a Python expression (parsing only: nothing is run)."""
    try:
        with warnings.catch_warnings():
            # Warnings such as "invalid escape sequence" are about the user's text, not ours.
            warnings.simplefilter("ignore")
            return ast.parse(source.text, mode="eval")
    except SyntaxError as error:
        raise syntax_error(source, error) from None
    except (ValueError, RecursionError, MemoryError):
        # Null bytes (ValueError on some versions) and pathological nesting end here.
        raise source.error(
            len(source.text),
            N_("%(position)s附近语法错误：%(reason)s"),
            reason=render(N_("表达式过于复杂")),
        ) from None


def syntax_error(source: Source, error: SyntaxError) -> RuleError:
    """Turn a SyntaxError into a RuleError naming the column and a short Chinese reason."""
    stripped = len(source.text.rstrip())
    lines = source.text.split("\n")
    line_index = min(max((error.lineno or 1) - 1, 0), len(lines) - 1)
    before = sum(len(line) + 1 for line in lines[:line_index])
    # For str input the offset is a 1-based character offset; 0 or None means "at the end".
    position = before + (error.offset or 0) - 1
    at_end = not error.offset or position >= stripped
    position = stripped if at_end else position
    if _is_single_equals(source.text, position):
        reason = render(N_("判断相等请写 ==（不是 =）"))
    else:
        reason = _syntax_reason(str(error.msg), source.text, at_end)
    return source.error(position, N_("%(position)s附近语法错误：%(reason)s"), reason=reason)
