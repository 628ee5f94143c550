"""Sending notifications: in the portal, and by e-mail for what matters. They join the caller's
transaction, so a notification (and its e-mail) exists exactly when its event does."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from flask_babel.speaklater import LazyString
from sqlalchemy import func, select, update

from portal import messages
from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.db import utcnow
from portal.enums import INSTITUTION_ROLES, OnboardingStatus
from portal.extensions import db
from portal.institutions.models import FinancialInstitution
from portal.mail import outbox
from portal.notifications.models import Notification


def path_for(endpoint: str, **values: object) -> str:
    """A site path for a link, also outside a request (the scheduler has none)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def notify(
    user_ids: Iterable[int],
    kind: str,
    title: str | LazyString,
    body: str | LazyString = "",
    link: str | None = None,
    dedupe_key: str | None = None,
) -> int:
    """Queue a notification for each user, and its e-mail for those who want one; with a dedupe
    key, one that was sent is not resent.

    Pass `_l(...)` texts: each reader sees them in their own language (portal/messages.py).
    """
    ids = sorted(set(user_ids))
    if dedupe_key and _already_sent(dedupe_key):
        return 0
    title_message, body_message = messages.store(title), messages.store(body) if body else None
    chinese = current_app.config["BABEL_DEFAULT_LOCALE"]
    title_text = messages.render(title_message, chinese)[:160]
    body_text = messages.render(body_message, chinese)
    for user_id in ids:
        key = f"{dedupe_key}:{user_id}" if dedupe_key else None
        db.session.add(
            Notification(
                user_id=user_id,
                kind=kind,
                title=title_text,
                body=body_text,
                title_message=title_message,
                body_message=body_message,
                link=link,
                dedupe_key=key,
            )
        )
    outbox.queue_notification(ids, kind, title_message, body_message, link, dedupe_key)
    return len(ids)


def _already_sent(dedupe_key: str) -> bool:
    pattern = f"{dedupe_key}:%"
    return (
        db.session.scalar(
            select(Notification.id).where(Notification.dedupe_key.like(pattern)).limit(1)
        )
        is not None
    )


def bank_user_ids(institution_id: int) -> list[int]:
    """Active officers and admins of an approved institution (a bank, or a guarantor): who
    hears about its leads and guarantee requests.

    An institution that is not approved (or is suspended) holds no powers, so it hears nothing
    about leads, loans or reports until it is approved again.
    """
    return list(
        db.session.scalars(
            select(User.id)
            .join(FinancialInstitution, FinancialInstitution.id == User.institution_id)
            .where(
                User.institution_id == institution_id,
                User.role.in_(INSTITUTION_ROLES),
                User.is_active.is_(True),
                User.api_client.is_(False),  # a client hears through webhooks, not the inbox
                FinancialInstitution.onboarding_status == OnboardingStatus.APPROVED,
            )
        )
    )


def firm_user_ids(firm_id: int) -> list[int]:
    """Active users of a firm."""
    return list(
        db.session.scalars(select(User.id).where(User.firm_id == firm_id, User.is_active.is_(True)))
    )


def unread_count(user: User) -> int:
    """The user's unread notifications among those the scoping layer lets them read."""
    from portal.authz.scoping import scope_clause  # the scoping layer imports our models

    return db.session.scalar(
        select(func.count(Notification.id)).where(
            scope_clause(Notification, user),
            Notification.user_id == user.id,
            Notification.read_at.is_(None),
        )
    )


def mark_all_read(user_id: int) -> None:
    """Mark every unread notification of the user read, audited."""
    marked = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    ).rowcount
    audit.record(
        AuditAction.NOTIFICATIONS_READ_ALL, actor=db.session.get(User, user_id), count=marked
    )
    db.session.commit()
