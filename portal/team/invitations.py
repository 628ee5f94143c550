"""Invitations: an admin names a new colleague, who gets a link by e-mail and sets a password.

The account is made with the invitation, in the same transaction, with a password hash no
password matches, so nobody signs in to it before its owner opens the link (single-use, valid
for 7 days). Accepting sets the password, confirms the address (the link reached it) and records
when they joined; the second factor is enrolled at the first sign-in, as for every staff account
(`_after_password` in portal/accounts/routes.py). An invitation not yet accepted may be sent
again: a new link, and the old one no longer opens.

Whether a user is still invited is kept on the user (`invited_at`, `joined_at`), not read from
the links: links are used up, voided when resent and may one day be purged, and accounts made
before invitations existed (or at the command line) never had one. The links only say whether
the latest invitation can still be opened (`live_until`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.accounts import tokens
from portal.accounts.models import AccountToken, User
from portal.accounts.passwords import hash_password, unusable_password_hash
from portal.accounts.services import EmailTaken, email_exists, normalise_email
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.db import utcnow
from portal.enums import FirmRole, Role
from portal.extensions import db
from portal.mail import outbox
from portal.notifications.service import path_for

LIFETIME_DAYS = tokens.LIFETIMES[tokens.INVITATION].days


@dataclass(frozen=True)
class Invitee:
    """Who is invited, as whom and for whom (the tenant columns the role needs; a firm's user
    also its firm role)."""

    full_name: str
    email: str
    phone: str | None
    role: Role
    institution_id: int | None = None
    agency_id: int | None = None
    firm_id: int | None = None
    firm_role: FirmRole | None = None


class NotPending(Exception):
    """The user accepted the invitation already, or is disabled: there is nothing to resend."""


class InvalidInvitationLink(Exception):
    """The link is unknown, used, expired, replaced by a newer one, or its account is disabled."""


def invite(actor: User, invitee: Invitee) -> User:
    """Make the invited account and e-mail its link, in one transaction; EmailTaken if the
    address has an account already."""
    if email_exists(invitee.email):
        raise EmailTaken
    user = User(
        email=normalise_email(invitee.email),
        password_hash=unusable_password_hash(),
        full_name=invitee.full_name.strip(),
        phone=(invitee.phone or "").strip() or None,
        role=invitee.role,
        institution_id=invitee.institution_id,
        agency_id=invitee.agency_id,
        firm_id=invitee.firm_id,
        firm_role=invitee.firm_role,
        invited_at=utcnow(),
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # the same address invited by another admin a moment ago
        raise EmailTaken from None
    _send_link(actor, user)
    audit.record(
        AuditAction.TEAM_INVITE, actor=actor, obj=user, firm_id=user.firm_id, role=str(user.role)
    )
    db.session.commit()
    return user


def resend(actor: User, user: User) -> None:
    """Send a new link to an invitee who has not accepted yet; the earlier link stops working."""
    if not user.invitation_pending or not user.is_active:
        raise NotPending
    tokens.retire(user, tokens.INVITATION)
    _send_link(actor, user)
    audit.record(AuditAction.TEAM_INVITATION_RESEND, actor=actor, obj=user)
    db.session.commit()


def _send_link(actor: User, user: User) -> None:
    token = tokens.issue(user, tokens.INVITATION)
    outbox.send_to(
        user,
        "invitation",
        _l("邀请您加入产融通"),
        "mail/invitation.txt",
        url=outbox.absolute(path_for("team.accept_invitation", token=token)),
        days=LIFETIME_DAYS,
        inviter=actor,
        organisation=_organisation(user),
    )


def _organisation(user: User) -> str | None:
    """The firm, institution or agency the invitee will work for (None for platform staff)."""
    if user.firm is not None:
        return user.firm.name
    if user.institution is not None:
        return user.institution.name
    return user.agency.name if user.agency is not None else None


def user_for(token: str) -> User | None:
    """The invitee a live link belongs to, to show the page that accepts it."""
    user = tokens.peek(token, tokens.INVITATION)
    return user if user is not None and user.invitation_pending else None


def accept(token: str, password: str) -> User:
    """Accept through the link: set the first password, confirm the address, mark joined."""
    user = tokens.redeem(token, tokens.INVITATION)
    if user is None or not user.invitation_pending:
        db.session.rollback()
        raise InvalidInvitationLink
    now = utcnow()
    user.password_hash = hash_password(password)
    user.joined_at = now
    user.email_verified_at = user.email_verified_at or now  # the link was opened from it
    user.rotate_session_token()
    tokens.retire(user, tokens.INVITATION)
    audit.record(AuditAction.TEAM_INVITATION_ACCEPT, actor=user, obj=user)
    db.session.commit()
    return user


def live_until(users: list[User]) -> dict[int, dt.datetime]:
    """For each pending invitee among `users`, until when their latest link opens (if it does)."""
    pending = [user.id for user in users if user.invitation_pending]
    if not pending:
        return {}
    rows = db.session.execute(
        select(AccountToken.user_id, func.max(AccountToken.expires_at))
        .where(
            AccountToken.user_id.in_(pending),
            AccountToken.purpose == tokens.INVITATION,
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > utcnow(),
        )
        .group_by(AccountToken.user_id)
    )
    return {user_id: expires_at for user_id, expires_at in rows}
