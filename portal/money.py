"""Amounts of money as people read them: 343.10 万元 in Chinese, CN¥3,431,000 in English.

Chinese readers count money in 万元; English readers do not, so English pages show the yuan
amount through Babel's currency formatting instead of a translated unit ("10k yuan").
Works without an app context (jobs, rule explanations), where it writes Chinese.
"""

from __future__ import annotations

from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_UP, Context, Decimal

from babel import Locale
from babel.numbers import format_currency, format_decimal, get_currency_symbol
from flask import has_app_context
from flask_babel import get_locale

TEN_THOUSAND = Decimal(10000)
DASH = "—"
CHINESE = Locale.parse("zh_Hans_CN")
CURRENCY = "CNY"
# Arithmetic that can neither overflow nor raise: a result it cannot hold comes back as NaN.
_SAFE = Context(prec=60, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[], rounding=ROUND_HALF_UP)
_PLAIN_DIGITS = 20  # beyond this many digits a number is shown in scientific notation

Amount = Decimal | int | float


def current_locale() -> Locale:
    """The language money is written in: the request's, or Chinese outside an app."""
    locale = get_locale() if has_app_context() else None
    return locale or CHINESE


def in_wan(locale: Locale) -> bool:
    """Whether readers of this language count money in 万元 (Chinese does)."""
    return locale.language == "zh"


def to_wan(amount: Amount | None, places: int = 2) -> str:
    """Yuan as a number of 万元 with thousands separators: 3431000 → '343.10'."""
    if amount is None:
        return DASH
    wan = _SAFE.divide(Decimal(amount), TEN_THOUSAND)
    return _decimal(wan, places, current_locale())


def money(amount: Amount | None, places: int | None = 2) -> str:
    """An amount in yuan with its unit: '343.10 万元' in Chinese, 'CN¥3,431,000' in English.

    `places` are the 万元 decimals, None for exactly (to the fen: 300 万元, 300.0001 万元).
    English shows whole yuan, and fen only when the amount has some and places ≥ 2 (or None).
    """
    if amount is None:
        return DASH
    amount = Decimal(amount)
    locale = current_locale()
    if in_wan(locale):
        return f"{to_wan(amount, _exact_places(amount) if places is None else places)} 万元"
    wan_places = 2 if places is None else places
    return _yuan(amount, _yuan_places(amount, wan_places), locale, symbol=True)


def money_range(low: Amount | None, high: Amount | None) -> str:
    """A range of amounts: '50–100 万元' in Chinese, 'CN¥500,000–1,000,000' in English.

    Whole 万元 ends show no decimals; equal ends read as one amount, and so does a range with
    one end missing ('—' when both are).
    """
    if low is None or high is None:
        return money(high if low is None else low)
    low, high = Decimal(low), Decimal(high)
    locale = current_locale()
    if in_wan(locale):
        if low == high:
            return money(low, _wan_places(low))
        return f"{to_wan(low, _wan_places(low))}–{to_wan(high, _wan_places(high))} 万元"
    first = _yuan(low, _yuan_places(low, 2), locale, symbol=True)
    if low == high:
        return first
    return f"{first}–{_yuan(high, _yuan_places(high, 2), locale, symbol=False)}"


def percent(value: Amount | None) -> str:
    """A rate stored in percent, to two places: 3.4500 → '3.45%'."""
    if value is None:
        return DASH
    return f"{_decimal(Decimal(value), 2, current_locale())}%"


def _exact_places(amount: Decimal) -> int:
    """The 万元 decimals an amount in yuan needs: 3,000,000 → 0, 3,000,001.5 → 5 (at most 6)."""
    if not amount.is_finite():
        return 0
    exponent = _SAFE.normalize(_SAFE.divide(amount, TEN_THOUSAND)).as_tuple().exponent
    return min(max(-exponent, 0), 6) if isinstance(exponent, int) else 0


def _wan_places(amount: Decimal) -> int:
    whole = amount.is_finite() and _SAFE.remainder(amount, TEN_THOUSAND).is_zero()
    return 0 if whole else 2


def _yuan_places(amount: Decimal, wan_places: int) -> int:
    has_fen = amount.is_finite() and amount != amount.to_integral_value()
    return 2 if has_fen and wan_places >= 2 else 0


def _decimal(value: Decimal, places: int, locale: Locale) -> str:
    """A number rounded to `places` decimals with the locale's separators, never raising."""
    rounded = _SAFE.quantize(value, Decimal(1).scaleb(-places)) if value.is_finite() else value
    if not rounded.is_finite() or rounded.adjusted() >= _PLAIN_DIGITS:
        return _plain(value)
    pattern = f"#,##0.{'0' * places}" if places else "#,##0"
    return format_decimal(rounded, format=pattern, locale=locale, decimal_quantization=True)


def _yuan(amount: Decimal, places: int, locale: Locale, *, symbol: bool) -> str:
    """Yuan through Babel's currency format (CN¥3,431,000), or the bare number after a dash."""
    text = _decimal(amount, places, locale)
    if not symbol:
        return text
    if not amount.is_finite() or amount.adjusted() >= _PLAIN_DIGITS:  # beyond Babel's precision
        return f"{get_currency_symbol(CURRENCY, locale)}{text}"
    pattern = f"¤#,##0.{'0' * places}" if places else "¤#,##0"
    rounded = _SAFE.quantize(amount, Decimal(1).scaleb(-places))  # half up, as in Chinese
    return format_currency(rounded, CURRENCY, format=pattern, currency_digits=False, locale=locale)


def _plain(value: Decimal) -> str:
    """A number too large (or not finite) to round: as it is, without trailing zeros."""
    if not value.is_finite():
        return str(value)
    normal = _SAFE.normalize(value)
    if abs(normal.adjusted()) > _PLAIN_DIGITS:
        return str(normal)
    return format(normal, "f")
