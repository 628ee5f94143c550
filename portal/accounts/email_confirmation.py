"""Confirming an e-mail address: notifications go by e-mail only to an address its owner opened
a link at, so a mistyped address at registration never receives a firm's lead or loan news."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.accounts import throttle, tokens
from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.db import utcnow
from portal.extensions import db
from portal.mail import outbox
from portal.notifications.service import path_for

RESENDS_PER_ACCOUNT = throttle.Limit("confirm-resend", 3)


class InvalidConfirmationLink(Exception):
    """Unknown, used, expired, or sent to an address the account no longer has."""


def send_link(user: User) -> None:
    """E-mail a confirmation link to the user's address (the caller commits)."""
    token = tokens.issue(user, tokens.EMAIL_CONFIRMATION)
    url = outbox.absolute(path_for("account_email.confirm", token=token))
    days = tokens.LIFETIMES[tokens.EMAIL_CONFIRMATION].days
    outbox.send_to(
        user,
        "email_confirmation",
        _l("请确认您的邮箱"),
        "mail/email_confirmation.txt",
        url=url,
        days=days,
    )


def resend(user: User) -> None:
    """Send a fresh link at the user's request; Throttled after three in a window."""
    if user.email_verified_at is not None:
        return
    throttle.count(RESENDS_PER_ACCOUNT, str(user.id))
    send_link(user)
    audit.record(AuditAction.EMAIL_CONFIRMATION_SENT, actor=user, obj=user)
    db.session.commit()


def link_is_live(token: str) -> bool:
    """Whether a confirmation link can still be used (to show its page or say it is stale)."""
    return tokens.peek(token, tokens.EMAIL_CONFIRMATION) is not None


def confirm(token: str) -> User:
    """Mark the address confirmed through its link (single-use)."""
    user = tokens.redeem(token, tokens.EMAIL_CONFIRMATION)
    if user is None:
        db.session.rollback()
        raise InvalidConfirmationLink
    user.email_verified_at = user.email_verified_at or utcnow()
    audit.record(AuditAction.EMAIL_CONFIRMED, actor=user, obj=user, email=user.email)
    db.session.commit()
    return user


def save_preferences(user: User, wanted: list[str]) -> None:
    """Which categories of notification also come by e-mail; the rest stay in the portal."""
    before = sorted(user.email_off or [])
    user.email_off = sorted(set(outbox.CATEGORIES) - set(wanted))
    audit.record(
        AuditAction.EMAIL_PREFERENCES_SAVE,
        actor=user,
        obj=user,
        before=before,
        after=user.email_off,
    )
    db.session.commit()
