"""The national code standards the exchange's records must satisfy.

Re-implemented here rather than imported from the portal: the exchange is a separate system, and a
government registry issues codes by the standard, not by the portal's code.
"""

from __future__ import annotations

import datetime as dt

# Unified social credit code (GB 32100-2015): I, O, S, V and Z are left out of the alphabet.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUES = {char: value for value, char in enumerate(CREDIT_CODE_ALPHABET)}
_CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_ORGANISATION_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# Resident identity number (GB 11643-1999): weight i is 2**(17-i) mod 11; the check character is
# read from this string at the weighted sum mod 11.
_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_CHECK = "10X98765432"


def _organisation_value(char: str) -> int:
    """The GB 11714 value of a digit or an upper-case Latin letter."""
    return int(char) if char.isdigit() else ord(char) - 55


def organisation_check_char(body8: str) -> str:
    """The GB 11714 check character of an 8-character organisation code body."""
    total = sum(
        _organisation_value(char) * weight
        for char, weight in zip(body8, _ORGANISATION_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def credit_check_char(first17: str) -> str:
    """The GB 32100 check character (position 18) of the first 17 characters."""
    total = sum(
        _CREDIT_VALUES[char] * weight for char, weight in zip(first17, _CREDIT_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def make_credit_code(dept: str, kind: str, region_code: str, body8: str) -> str:
    """A valid credit code from registration department, organisation type, region and body."""
    if len(dept) != 1 or len(kind) != 1 or len(region_code) != 6 or len(body8) != 8:
        raise ValueError("统一社会信用代码的组成部分长度不对")
    first17 = dept + kind + region_code + body8 + organisation_check_char(body8)
    return first17 + credit_check_char(first17)


def is_valid_credit_code(code: str) -> bool:
    """Whether an 18-character code passes both of its checks."""
    if len(code) != 18 or any(char not in _CREDIT_VALUES for char in code):
        return False
    return code[16] == organisation_check_char(code[8:16]) and code[17] == credit_check_char(
        code[:17]
    )


def base31(value: int, width: int) -> str:
    """`value` written in the credit code alphabet, zero-padded to `width` characters."""
    digits = []
    for _ in range(width):
        value, digit = divmod(value, 31)
        digits.append(CREDIT_CODE_ALPHABET[digit])
    return "".join(reversed(digits))


def id_check_char(first17: str) -> str:
    """The GB 11643 check character of a resident ID number's first 17 digits."""
    total = sum(int(char) * weight for char, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def make_id_number(area_code: str, born_on: dt.date, sequence: int) -> str:
    """An 18-digit resident ID number: area, date of birth, 3-digit sequence and check."""
    first17 = f"{area_code}{born_on:%Y%m%d}{sequence:03d}"
    return first17 + id_check_char(first17)


def is_valid_id_number(number: str) -> bool:
    """Whether an 18-character ID number has digits where digits belong and a valid check."""
    if len(number) != 18 or not (number[:17].isascii() and number[:17].isdigit()):
        return False
    return number[17] == id_check_char(number[:17])
