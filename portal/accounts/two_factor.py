"""Two-factor sign-in: time-based one-time passwords (RFC 6238) and recovery codes.

Staff roles that see many firms' data (bank, government, regulator, admin) must use it; firms
may not yet. A code is accepted once: the last accepted time step is stored, so a code seen
over someone's shoulder cannot be replayed within its 30 seconds. Codes are spent by
conditional UPDATEs whose row count decides, never by reading and then writing, so of several
requests sending one code at the same moment exactly one is accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
import qrcode
from flask import current_app
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from portal.accounts.models import RecoveryCode, User
from portal.db import utcnow
from portal.enums import INSTITUTION_ROLES, Role
from portal.extensions import db

ISSUER = "产融通"
RECOVERY_CODE_COUNT = 10
# One step either side absorbs a phone clock that is up to 30 seconds off.
VALID_WINDOW = 1
_STEP = 30

REQUIRED_ROLES = INSTITUTION_ROLES | {Role.GOV_STAFF, Role.REGULATOR, Role.ADMIN}


def required_for(user: User) -> bool:
    return current_app.config["TWO_FACTOR_REQUIRED"] and user.role in REQUIRED_ROLES


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    secret = user.totp_secret or ""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg_path(data: str) -> tuple[int, str]:
    """The QR code of `data` as (size, SVG path): drawn by the template, no image library."""
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    matrix = code.get_matrix()
    path = "".join(
        f"M{x} {y}h1v1h-1z" for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark
    )
    return len(matrix), path


def _matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step whose code equals `code`, within the allowed clock drift."""
    totp = pyotp.TOTP(secret)
    current = int(now // _STEP)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.at(step * _STEP), code):
            return step
    return None


def verify_code(user: User, code: str) -> bool:
    """Accept a current, not yet used code and remember its step (the caller commits)."""
    code = "".join(code.split())
    if user.totp_secret is None or not code.isdigit() or len(code) != 6:
        return False
    step = _matching_step(user.totp_secret, code, time.time())
    return step is not None and _claim_step(user, step)


def _claim_step(user: User, step: int) -> bool:
    """Record `step` as the last one used, unless it or a later step already was.

    PostgreSQL makes a concurrent UPDATE of the row wait for the first one's commit and then
    re-checks the condition; SQLite runs writers one at a time. Either way one request wins.
    """
    claimed = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return False
    set_committed_value(user, "totp_last_step", step)
    return True


def _hash_recovery_code(code: str) -> str:
    # Recovery codes carry 50 random bits, so a keyed fast hash is enough; no one can brute
    # force them offline without the secret key, and online attempts are throttled.
    normalised = "".join(code.lower().split()).replace("-", "")
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


def issue_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with fresh ones; returns them to be shown once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = [
        "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=_hash_recovery_code(code)) for code in codes
    )
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one unused recovery code, atomically (only one request can); the caller commits."""
    spent = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash_recovery_code(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return spent.rowcount > 0


def unused_recovery_codes(user: User) -> int:
    return db.session.scalar(
        select(func.count()).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )
