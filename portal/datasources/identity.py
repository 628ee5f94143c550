"""Who the registrant is to the firm: the pure rules (no Flask, no session).

- A resident ID number (GB 11643-1999): 17 digits (area, date of birth, sequence) and a check
  character from weights 2^(17-i) mod 11.
- The ID number is never stored: only a salted, peppered scrypt hash of it, so a copy of the
  database does not give the legal representatives' ID numbers, nor lets anyone test guesses
  without the application's secret key.
- The registration authority in a credit code (positions 3–8, GB/T 2260) must agree with the
  registry's region of the firm.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

ID_NUMBER_LENGTH = 18
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
ID_NUMBER_REASONS = ("length", "character", "birth_date", "check_character")

# scrypt at n=2^14, r=8, p=1 takes about 50 ms and 16 MiB: cheap once per registration, costly
# per guess. The stored form names its parameters, so they can be raised later.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_SALT_BYTES = 16
HASH_SCHEME = "scrypt"


class IdNumberError(ValueError):
    """What is wrong with a resident ID number: `reason` is one of ID_NUMBER_REASONS."""

    def __init__(self, reason: str, *, length: int = 0, expected: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.length = length
        self.expected = expected


def normalise_id_number(raw: str) -> str:
    """Spaces removed and a lower-case x check character made upper-case."""
    return "".join(raw.split()).upper()


def id_check_char(first17: str) -> str:
    """The GB 11643 check character of an ID number's first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_id_number(raw: str, today: dt.date | None = None) -> str:
    """The normalised ID number, or IdNumberError saying what is wrong with it."""
    number = normalise_id_number(raw)
    if len(number) != ID_NUMBER_LENGTH:
        raise IdNumberError("length", length=len(number))
    first17, last = number[:17], number[17]
    if not (first17.isascii() and first17.isdigit()) or not (last.isdigit() or last == "X"):
        raise IdNumberError("character")
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError("birth_date") from None
    if born.year < 1900 or (today is not None and born > today):
        raise IdNumberError("birth_date")
    expected = id_check_char(first17)
    if last != expected:
        raise IdNumberError("check_character", expected=expected)
    return number


def hash_id_number(id_number: str, pepper: str, *, salt: bytes | None = None) -> str:
    """`scrypt$n$r$p$<salt hex>$<hash hex>` of the ID number keyed with the pepper."""
    salt = salt if salt is not None else secrets.token_bytes(_SALT_BYTES)
    digest = _derive(id_number, pepper, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    return f"{HASH_SCHEME}${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def id_number_matches(stored: str | None, id_number: str, pepper: str) -> bool:
    """Whether `id_number` is the one `stored` was made from (with the same pepper)."""
    try:
        scheme, n, r, p, salt, digest = (stored or "").split("$")
        if scheme != HASH_SCHEME:
            return False
        found = _derive(id_number, pepper, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(found.hex(), digest)


def _derive(id_number: str, pepper: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    keyed = hmac.new(pepper.encode(), normalise_id_number(id_number).encode(), "sha256").digest()
    return hashlib.scrypt(keyed, salt=salt, n=n, r=r, p=p, dklen=32)


@dataclass(frozen=True)
class RegionCheck:
    """The credit code's registration authority against the registry's region."""

    authority: str  # positions 3–8 of the code
    registry: str  # the registry's region code
    agrees: bool


def registration_authority(credit_code: str) -> str:
    """Positions 3–8 of a credit code: the GB/T 2260 code of the authority that issued it."""
    return credit_code[2:8]


def check_region(credit_code: str, registry_region: str) -> RegionCheck:
    """Whether the authority that issued the code lies where the registry places the firm.

    A provincial authority (350000) issues codes for firms anywhere in its province; a city's or
    a district's (350100, 350102) only for firms of that city.
    """
    authority = registration_authority(credit_code)
    agrees = authority[:2] == registry_region[:2]
    if agrees and authority[2:4] != "00":
        agrees = authority[:4] == registry_region[:4]
    return RegionCheck(authority, registry_region, agrees)


def prefecture_of(region_code: str) -> str:
    """The prefecture (地级市) code of a GB/T 2260 code: 350102 → 350100."""
    return region_code[:4] + "00"
