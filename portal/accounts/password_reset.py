"""Forgotten passwords: a reset link by e-mail, single-use and valid for 30 minutes.

Asking for a link answers the same whether or not the address has an account, so the form
cannot be used to find out who is registered. Requests are counted like sign-in attempts (per
address, and per account), and a reset ends every session of the account.
"""

from __future__ import annotations

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts import throttle, tokens
from portal.accounts.models import User
from portal.accounts.passwords import hash_password
from portal.accounts.services import normalise_email
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.db import utcnow
from portal.extensions import db
from portal.mail import outbox
from portal.notifications.service import path_for

REQUESTS_PER_ADDRESS = throttle.Limit("reset-addr", 10)
REQUESTS_PER_ACCOUNT = throttle.Limit("reset-acct", 3)


class InvalidResetLink(Exception):
    """The link is unknown, used, expired, or for an address the account no longer has."""


def request_reset(email: str, address: str | None) -> None:
    """E-mail a reset link if an active account has this address; nothing tells which.

    Raises throttle.Throttled when this address has asked too often (that says nothing about
    any account). An account asked for too often just gets no more links this window.
    """
    throttle.count(REQUESTS_PER_ADDRESS, address or "unknown")
    email = normalise_email(email)[:254]
    # An invitee sets a first password through the invitation (portal/team/invitations.py),
    # which also records that they joined; a lost invitation is sent again by their admin.
    user = db.session.scalar(
        select(User).where(
            User.email == email,
            User.is_active.is_(True),
            ~User.invitation_pending,
            User.api_client.is_(False),
        )
    )
    if user is None or not throttle.allowed(REQUESTS_PER_ACCOUNT, throttle.account_key(email)):
        return
    _send_link(user)
    audit.record(AuditAction.AUTH_PASSWORD_RESET_REQUESTED, actor=None, obj=user)
    db.session.commit()


def send_for_user(actor: User, user: User) -> None:
    """An administrator sends the account's owner a reset link (the owner sets the password;
    the administrator never learns it)."""
    if not user.is_active or user.invitation_pending:
        raise InvalidResetLink
    _send_link(user)
    audit.record(AuditAction.USER_PASSWORD_RESET_SENT, actor=actor, obj=user)
    db.session.commit()


def _send_link(user: User) -> None:
    token = tokens.issue(user, tokens.PASSWORD_RESET)
    minutes = int(tokens.LIFETIMES[tokens.PASSWORD_RESET].total_seconds() // 60)
    url = outbox.absolute(path_for("account_email.reset_password", token=token))
    outbox.send_to(
        user, "password_reset", _l("重置密码"), "mail/password_reset.txt", url=url, minutes=minutes
    )


def user_for(token: str) -> User | None:
    """The account a reset link opens, if it is still good (to show the form)."""
    return tokens.peek(token, tokens.PASSWORD_RESET)


def reset_password(token: str, password: str) -> User:
    """Set a new password through a reset link: the link is used up, every session ends, and
    the owner is told by e-mail."""
    user = tokens.redeem(token, tokens.PASSWORD_RESET)
    if user is None:
        db.session.rollback()
        raise InvalidResetLink
    user.password_hash = hash_password(password)
    user.rotate_session_token()
    tokens.retire(user, tokens.PASSWORD_RESET)
    url = outbox.absolute(path_for("account_email.forgot_password"))
    subject = _l("您的密码已修改")
    outbox.send_to(
        user, "password_changed", subject, "mail/password_changed.txt", url=url, time=_now_text()
    )
    audit.record(AuditAction.AUTH_PASSWORD_RESET, actor=user, obj=user)
    db.session.commit()
    return user


def _now_text() -> str:
    return format_datetime(utcnow(), "yyyy-MM-dd HH:mm")  # in Asia/Shanghai, as Babel is set
