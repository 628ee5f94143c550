"""A firm's team as its owners run it: colleagues, invitations, disabling and enabling, and
who owns the firm's account.

Colleagues are read only through the scoping layer: a firm's user sees its own firm's users,
so another firm's user is a 404 whatever id is typed. The firm always keeps at least one
active owner who has joined: the checks lock the firm's row first (PostgreSQL), so two owners
stepping down at the same moment cannot both succeed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case, func, select

from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.authz import get_or_404, scoped
from portal.enums import FirmRole, Role
from portal.extensions import db
from portal.firms.models import Firm
from portal.team import invitations


class FirmTeamRefused(Exception):
    """The team action is not allowed on this colleague; the view says why."""


class OwnAccount(FirmTeamRefused):
    """Owners do not disable themselves: another owner does."""


class LastOwner(FirmTeamRefused):
    """The change would leave the firm without an active owner."""


class NotJoined(FirmTeamRefused):
    """Ownership goes only to an active colleague who has accepted their invitation."""


def team_statement(actor: User) -> Select[tuple[User]]:
    """The actor's colleagues (the scoping layer decides who): owners first, then by name."""
    owners_first = case((User.firm_role == FirmRole.OWNER, 0), else_=1)
    return scoped(select(User), User, actor).order_by(owners_first, User.full_name, User.id)


def colleague_or_404(actor: User, user_id: int) -> User:
    return get_or_404(User, user_id, actor)


def invite(actor: User, data: dict[str, Any]) -> User:
    """Invite a colleague into the actor's firm as owner or member (EmailTaken when the
    address has an account)."""
    invitee = invitations.Invitee(
        full_name=data["full_name"],
        email=data["email"],
        phone=data.get("phone"),
        role=Role.SME,
        firm_id=actor.firm_id,
        firm_role=FirmRole(data["role"]),
    )
    return invitations.invite(actor, invitee)


def set_active(actor: User, user: User, active: bool) -> None:
    """Disable or enable a colleague: never oneself, never the last active owner."""
    if user.id == actor.id:
        raise OwnAccount
    if not active and user.firm_role == FirmRole.OWNER:
        _keep_an_owner(user)
    accounts.set_active(actor, user, active)


def set_role(actor: User, user: User, role: FirmRole) -> None:
    """Make a colleague (or oneself) an owner or a member; the firm keeps an active owner."""
    if user.firm_role == role:
        return
    if role == FirmRole.MEMBER:
        _keep_an_owner(user)
    before, user.firm_role = user.firm_role, role
    audit.record(AuditAction.FIRM_ROLE_CHANGE, **_role_change(actor, user, before))
    db.session.commit()


def transfer(actor: User, user: User) -> None:
    """Pass ownership on: the colleague becomes an owner and the actor a member, together."""
    if user.id == actor.id:
        raise OwnAccount
    if not user.is_active or user.invitation_pending:
        raise NotJoined
    _lock_firm(actor.firm_id)
    before, user.firm_role = user.firm_role, FirmRole.OWNER
    actor.firm_role = FirmRole.MEMBER
    audit.record(AuditAction.FIRM_OWNERSHIP_TRANSFER, **_role_change(actor, user, before))
    db.session.commit()


def _role_change(actor: User, user: User, before: FirmRole | None) -> dict[str, Any]:
    """The audit entry's fields: who changed whose role, in which firm, from what to what."""
    return {
        "actor": actor,
        "obj": user,
        "firm_id": user.firm_id,
        "before": str(before) if before else None,
        "after": str(user.firm_role),
    }


def _keep_an_owner(leaving: User) -> None:
    """LastOwner unless another active owner who has joined remains."""
    _lock_firm(leaving.firm_id)
    remaining = db.session.scalar(
        select(func.count(User.id)).where(
            User.firm_id == leaving.firm_id,
            User.firm_role == FirmRole.OWNER,
            User.is_active.is_(True),
            ~User.invitation_pending,
            User.id != leaving.id,
        )
    )
    if not remaining:
        db.session.rollback()
        raise LastOwner


def _lock_firm(firm_id: int | None) -> None:
    db.session.scalar(select(Firm.id).where(Firm.id == firm_id).with_for_update())
