"""Single-use, short-lived links sent by e-mail.

The link carries 32 random bytes; the table keeps their SHA-256, so a copy of the database opens
nothing. Redeeming is one conditional UPDATE (unused and unexpired → used), so a link clicked
twice, or by two tabs at once, works once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select, update

from portal.accounts.models import AccountToken, User
from portal.db import utcnow
from portal.extensions import db

PASSWORD_RESET = "password_reset"  # noqa: S105  (a purpose, not a secret)
EMAIL_CONFIRMATION = "email_confirmation"
INVITATION = "invitation"  # an institution or platform admin invited the user (portal/team/)
LIFETIMES = {
    PASSWORD_RESET: dt.timedelta(minutes=30),
    EMAIL_CONFIRMATION: dt.timedelta(days=3),
    INVITATION: dt.timedelta(days=7),
}


def issue(user: User, purpose: str) -> str:
    """A new link token for the user's current address (the caller commits)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_hash(token),
            email=user.email,
            created_at=now,
            expires_at=now + LIFETIMES[purpose],
        )
    )
    return token


def peek(token: str, purpose: str) -> User | None:
    """The user a live token belongs to, without using it (to show the form it opens)."""
    row = _live(token, purpose)
    return db.session.get(User, row.user_id) if row is not None else None


def redeem(token: str, purpose: str) -> User | None:
    """Use the token: its user, or None if it is unknown, used, expired or for an old address."""
    row = _live(token, purpose)
    if row is None:
        return None
    used = db.session.execute(
        update(AccountToken)
        .where(AccountToken.id == row.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    return db.session.get(User, row.user_id) if used == 1 else None


def retire(user: User, purpose: str) -> None:
    """Void the user's other live tokens for this purpose (a password was just changed)."""
    db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def _live(token: str, purpose: str) -> AccountToken | None:
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == _hash(token),
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > utcnow(),
        )
    )
    if row is None:
        return None
    user = db.session.get(User, row.user_id)
    if user is None or not user.is_active or user.email != row.email:
        return None
    return row


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
