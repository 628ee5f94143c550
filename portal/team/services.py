"""An institution's team as its admins run it: who works there, inviting colleagues, disabling
and enabling them, resetting a lost second factor.

Users are read only through the scoping layer: an approved institution's admin sees its own
users, so another institution's user is a 404 whatever id is typed; a government user sees
their agency's colleagues.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case, func, select

from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.authz import get_or_404, scoped
from portal.enums import INSTITUTION_ADMIN_ROLES, Role
from portal.extensions import db
from portal.institutions.models import FinancialInstitution, is_guarantor
from portal.team import invitations


class TeamRefused(Exception):
    """The team action is not allowed on this user; the view says why."""


class OwnAccount(TeamRefused):
    """Admins do not disable or reset themselves: another admin (or the platform) does."""


class LastAdmin(TeamRefused):
    """Disabling this admin would leave the institution with no active admin."""


class NoSecondFactor(TeamRefused):
    """The user has no authenticator bound: there is nothing to reset."""


def roles_for(institution: FinancialInstitution) -> tuple[Role, Role]:
    """The roles an institution's admin may give: an officer and an admin of its own kind."""
    if is_guarantor(institution):
        return (Role.GUARANTOR_OFFICER, Role.GUARANTOR_ADMIN)
    return (Role.BANK_OFFICER, Role.BANK_ADMIN)


def team_statement(actor: User) -> Select[tuple[User]]:
    """The actor's colleagues (the scoping layer decides who): admins first, then by name."""
    admins_first = case((User.role.in_(INSTITUTION_ADMIN_ROLES), 0), else_=1)
    return scoped(select(User), User, actor).order_by(admins_first, User.full_name, User.id)


def member_or_404(actor: User, user_id: int) -> User:
    return get_or_404(User, user_id, actor)


def invite(actor: User, data: dict[str, Any]) -> User:
    """Invite a colleague into the actor's own institution, in a role of its kind.

    EmailTaken when the address has an account; ValueError for a role the institution may not
    give (the form offers only the right ones, so only a forged post gets here)."""
    institution = actor.institution
    role = Role(data["role"])
    if institution is None or role not in roles_for(institution):
        raise ValueError(role)
    invitee = invitations.Invitee(
        full_name=data["full_name"],
        email=data["email"],
        phone=data.get("phone"),
        role=role,
        institution_id=institution.id,
    )
    return invitations.invite(actor, invitee)


def invite_staff(actor: User, data: dict[str, Any]) -> User:
    """A platform admin invites a staff account of any staff role, with the institution or
    agency the role needs (LookupError when it is missing or of the wrong kind)."""
    role = Role(data["role"])
    invitee = invitations.Invitee(
        full_name=data["full_name"],
        email=data["email"],
        phone=data.get("phone"),
        role=role,
        **accounts.staff_tenancy(role, data),
    )
    return invitations.invite(actor, invitee)


def set_active(actor: User, user: User, active: bool) -> None:
    """Disable or enable a colleague: never oneself, never the last active admin."""
    if user.id == actor.id:
        raise OwnAccount
    if not active and user.role in INSTITUTION_ADMIN_ROLES:
        _keep_an_admin(user)
    accounts.set_active(actor, user, active)


def _keep_an_admin(leaving: User) -> None:
    """LastAdmin unless another active admin who has joined remains.

    Two admins disabling each other at the same moment would both see the other one still
    active: the institution's row is locked first (PostgreSQL), so the second waits for the
    first to commit and then counts again.
    """
    db.session.scalar(
        select(FinancialInstitution.id)
        .where(FinancialInstitution.id == leaving.institution_id)
        .with_for_update()
    )
    remaining = db.session.scalar(
        select(func.count(User.id)).where(
            User.institution_id == leaving.institution_id,
            User.role.in_(INSTITUTION_ADMIN_ROLES),
            User.is_active.is_(True),
            ~User.invitation_pending,
            User.id != leaving.id,
        )
    )
    if not remaining:
        db.session.rollback()
        raise LastAdmin


def reset_two_factor(actor: User, user: User) -> None:
    """Clear a colleague's lost authenticator; they enrol again at their next sign-in."""
    if user.id == actor.id:
        raise OwnAccount
    if not user.has_two_factor:
        raise NoSecondFactor
    accounts.reset_two_factor(actor, user)
