"""Admin services: the LPR table and user listing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Select, or_, select

from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.extensions import db
from portal.lpr import LprRate


def save_lpr(
    actor: User, effective_on: Any, one_year: Decimal, over_five_years: Decimal
) -> LprRate:
    """Add the month's LPR, or correct it if that date is already in the table."""
    rate = db.session.scalar(select(LprRate).where(LprRate.effective_on == effective_on))
    if rate is None:
        rate = LprRate(effective_on=effective_on)
        db.session.add(rate)
    before = (rate.one_year, rate.over_five_years)
    rate.one_year, rate.over_five_years = one_year, over_five_years
    db.session.flush()
    audit.record(
        AuditAction.LPR_SAVE,
        actor=actor,
        obj=rate,
        effective_on=effective_on,
        before=str(before),
        one_year=one_year,
        over_five_years=over_five_years,
    )
    db.session.commit()
    return rate


def user_query(text: str | None, role: str | None) -> Select[tuple[User]]:
    """All users (admins see everything), filtered by a search text and a role."""
    statement = select(User).order_by(User.created_at.desc(), User.id.desc())
    if text:
        pattern = f"%{text.strip().lower()}%"
        statement = statement.where(or_(User.email.like(pattern), User.full_name.like(pattern)))
    if role:
        statement = statement.where(User.role == role)
    return statement
