"""Password hashing, in one place so the method can change without touching callers."""

from __future__ import annotations

import secrets
from functools import cache
from pathlib import Path

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

# Length is the only composition rule (NIST SP 800-63B, ASVS V6.2): any character, spaces too.
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
# An invited account's hash starts with this, which no hashing method's name does.
UNUSABLE_PREFIX = "!"

# Verifying against this keeps a login for an unknown email as slow as one for a known email.
_DUMMY_HASH: dict[str, str] = {}


def hash_password(password: str) -> str:
    """Hash with the configured method (scrypt in production)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def unusable_password_hash() -> str:
    """A hash no password matches: an invited account's, until its owner sets one.

    The "!" prefix is no method werkzeug knows; the random rest keeps two such hashes unequal.
    """
    return UNUSABLE_PREFIX + secrets.token_hex(16)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no usable hash, spend the same time and answer no."""
    if password_hash is None or password_hash.startswith(UNUSABLE_PREFIX):
        method = current_app.config["PASSWORD_HASH_METHOD"]
        if method not in _DUMMY_HASH:
            _DUMMY_HASH[method] = hash_password("not-a-real-password")
        check_password_hash(_DUMMY_HASH[method], password)
        return False
    return check_password_hash(password_hash, password)


@cache
def _common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def is_common_password(password: str) -> bool:
    """Whether the password is on the shipped list of common passwords (case ignored)."""
    return password.strip().lower() in _common_passwords()
