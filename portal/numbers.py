"""The portal's one numeric domain: every number a person types is read here, into a bounded range.

Forms, query strings, uploaded spreadsheets, policy files and rule constants all read numbers
through `parse_number(text, quantity)`. A quantity names its range, how many decimal places it
keeps and its unit, so every refusal can say what to type ("请输入 0 至 36 之间的数字（%）").
Full-width digits and punctuation, which a Chinese input method may produce, read as their
ASCII forms. Text is checked before `Decimal()` sees it: over-long text, anything but ASCII
digits with an optional sign, point and short exponent (no NaN, Infinity or "1_000"), and a
value outside the range or with more decimal places than the quantity keeps are all refused.
So nothing downstream ever meets a number it cannot compute with, store or show.

Pure: no Flask. Messages are Chinese templates; `NumberError.render` takes the translator.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

MAX_TEXT = 40  # no number the portal keeps needs more characters than this
MAX_EXPONENT_DIGITS = 3  # 1e-999 is already far outside every range

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?(\d+))?", re.ASCII)
_WHOLE = re.compile(r"[+-]?\d+", re.ASCII)


def N_(message: str) -> str:  # noqa: N802 - the conventional name Babel extracts by default
    """Mark a message template for translation where it is shown."""
    return message


DECIMAL_MESSAGE = N_("请输入 %(low)s 至 %(high)s 之间的数字（%(unit)s），最多 %(places)s 位小数")
WHOLE_MESSAGE = N_("请输入 %(low)s 至 %(high)s 之间的整数（%(unit)s）")
PLAIN_MESSAGE = N_("请输入 %(low)s 至 %(high)s 之间的数字，最多 %(places)s 位小数")


@dataclass(frozen=True)
class Quantity:
    """A kind of number the portal reads: its range, decimal places and unit."""

    name: str
    low: Decimal
    high: Decimal
    places: int = 0  # decimal places kept; 0 with whole=True for integers
    unit: str = ""  # Chinese unit, translated where shown
    whole: bool = False

    def narrow(
        self, low: Decimal | int | None = None, high: Decimal | int | None = None
    ) -> Quantity:
        """The same quantity over a smaller range, for a field with a business limit."""
        return replace(
            self,
            low=self.low if low is None else Decimal(low),
            high=self.high if high is None else Decimal(high),
        )

    def contains(self, value: Decimal | int) -> bool:
        """Whether a finite value lies in the range with no more places than kept."""
        if isinstance(value, Decimal) and not value.is_finite():
            return False
        return self.low <= value <= self.high and decimal_places(Decimal(value)) <= self.places

    def error(self, side: str = "places") -> NumberError:
        """The refusal of a value outside this quantity, naming its range and unit.

        `side` says which way it missed: "below", "above", or "places" (too many decimals).
        """
        template = PLAIN_MESSAGE if not self.unit else DECIMAL_MESSAGE
        if self.whole:
            template = WHOLE_MESSAGE
        return NumberError(
            template,
            problem=side,
            low=plain(self.low),
            high=plain(self.high),
            unit=self.unit,
            places=self.places,
        )


class NumberError(ValueError):
    """A number that cannot be read into its quantity; the message says what to type."""

    def __init__(self, template: str, *, problem: str, **values: object) -> None:
        """Keep the template and values so the message can be shown in the page's language."""
        self.template = template
        # "syntax": not a number at all; "below", "above": outside the range; "places": too
        # many decimal places.
        self.problem = problem
        self.values = values
        super().__init__(self.render(lambda text: text))

    def render(self, translate: Callable[[str], str]) -> str:
        """The message in the language `translate` gives (identity: Chinese)."""
        values = dict(self.values)
        if values.get("unit"):
            values["unit"] = translate(str(values["unit"]))
        return translate(self.template) % values


def _quantity(name: str, low: str, high: str, places: int, unit: str) -> Quantity:
    return Quantity(name, Decimal(low), Decimal(high), places, unit)


def _whole(name: str, low: int, high: int, unit: str) -> Quantity:
    return Quantity(name, Decimal(low), Decimal(high), 0, unit, whole=True)


# Money is NUMERIC(16, 2) in yuan: up to 99,999,999,999,999.99. Amounts in 万元 keep six places,
# which is exact to the fen once multiplied by 10,000.
MONEY_YUAN = _quantity("money_yuan", "0", "99999999999999.99", 2, N_("元"))
AMOUNT_WAN = _quantity("amount_wan", "0", "9999999999", 6, N_("万元"))
# Rates are NUMERIC(7, 4) in percent a year; no loan, fee or LPR is above 100%.
RATE_PERCENT = _quantity("rate_percent", "0", "100", 4, "%")
SHARE_PERCENT = _quantity("share_percent", "0", "100", 2, "%")
MONTHS = _whole("months", 1, 600, N_("个月"))
YEARS = _whole("years", 0, 200, N_("年"))
EMPLOYEES = _whole("employees", 0, 10_000_000, N_("人"))
WORKING_DAYS = _whole("working_days", 1, 365, N_("个工作日"))
DAYS = _whole("days", 0, 99_999, N_("天"))
# A year of the working-day calendar: the packaged notices start in 2004.
CALENDAR_YEAR = _whole("calendar_year", 2000, 2100, N_("年"))
# A record id typed into a search box: PostgreSQL's INTEGER.
RECORD_ID = _whole("record_id", 1, 2_147_483_647, N_("号"))
# Constants in rules and formulas: ten times the largest amount of money, to the 10⁻⁸.
RULE_CONSTANT = _quantity("rule_constant", "-1000000000000000", "1000000000000000", 8, "")
# What arithmetic on constants and facts may reach before a formula is judged out of range.
RULE_RESULT_LIMIT = Decimal("1e15")


def decimal_places(value: Decimal) -> int:
    """How many decimal places a finite value needs (trailing zeros do not count)."""
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        return 0
    significant = len(digits)
    while significant > 1 and digits[significant - 1] == 0:
        significant -= 1
        exponent += 1
    if significant == 1 and digits[0] == 0:
        return 0
    return max(0, -exponent)


def plain(value: Decimal | int) -> str:
    """A bound as a person writes it: 0.01, 36, 10000000 (no exponent, no trailing zeros)."""
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse_number(text: object, quantity: Quantity) -> Decimal:
    """Read a number typed by a person into the quantity, or raise NumberError saying why."""
    # NFKC turns a full-width "１２３．５" into "123.5" (linear in the text, like the match).
    cleaned = unicodedata.normalize("NFKC", str(text)).strip().replace(",", "")
    pattern = _WHOLE if quantity.whole else _NUMBER
    found = pattern.fullmatch(cleaned)
    if found is None:
        raise _syntax()
    negative = cleaned.startswith("-")
    if len(cleaned) > MAX_TEXT:
        raise quantity.error(_side(negative, shrinks=False))
    exponent = found.group(1) if not quantity.whole else None
    if exponent is not None and len(exponent.lstrip("0")) > MAX_EXPONENT_DIGITS:
        shrinks = found.group(0)[found.start(1) - 1] == "-"
        raise quantity.error(_side(negative, shrinks))
    value = Decimal(cleaned)
    if value == 0:
        value = Decimal(0)  # "-0", "0e5" and "0.000" are all plain zero
    return check_value(value, quantity)


def parse_whole(text: object, quantity: Quantity) -> int:
    """Read a whole number typed by a person into the quantity, or raise NumberError."""
    return int(parse_number(text, quantity))


def check_value(value: Decimal | int, quantity: Quantity) -> Decimal:
    """A number that is already a Decimal or int (a spreadsheet cell), checked against the range."""
    if isinstance(value, bool):
        raise _syntax()
    number = Decimal(value)
    if not number.is_finite():
        raise _syntax()
    if number < quantity.low:
        raise quantity.error("below")
    if number > quantity.high:
        raise quantity.error("above")
    if decimal_places(number) > quantity.places:
        raise quantity.error("places")
    return Decimal(0) if number == 0 else number


def within(value: Decimal | int, limit: Decimal = RULE_RESULT_LIMIT) -> bool:
    """Whether a computed value is finite and no larger in size than the limit."""
    if isinstance(value, Decimal) and not value.is_finite():
        return False
    return -limit <= value <= limit


def _side(negative: bool, shrinks: bool) -> str:
    """Which way a number too long to read misses the range: its size, or its decimals."""
    if shrinks:
        return "places"
    return "below" if negative else "above"


def _syntax() -> NumberError:
    return NumberError(N_("请输入数字"), problem="syntax")
