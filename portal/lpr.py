"""The Loan Prime Rate table: the rate in force on a day.

A row entered by mistake is withdrawn (with a reason), not deleted: the audit log and the
table keep what was once believed. Every reader of the rate goes through `in_force`, so a
withdrawn row is out of the catalogue's prices, the subsidy caps and the supervision figures
at once.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ColumnElement, Select, String, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, Rate, utcnow
from portal.extensions import db


class LprRate(Base):
    """Loan Prime Rate as published on the 20th of each month."""

    __tablename__ = "lpr_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    effective_on: Mapped[dt.date] = mapped_column(unique=True)
    one_year: Mapped[Decimal] = mapped_column(Rate)
    over_five_years: Mapped[Decimal] = mapped_column(Rate)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    withdrawn_at: Mapped[dt.datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(String(200))


def in_force() -> ColumnElement[bool]:
    """Rows that count: every row not withdrawn."""
    return LprRate.withdrawn_at.is_(None)


def one_year_on(on: dt.date) -> Select[tuple[Decimal]]:
    """The 1-year rate in force on a day, as a statement (a scalar, or a subquery of a larger
    query such as the catalogue's fingerprint)."""
    return (
        select(LprRate.one_year)
        .where(in_force(), LprRate.effective_on <= on)
        .order_by(LprRate.effective_on.desc())
        .limit(1)
    )


def latest_lpr(on: dt.date | None = None) -> LprRate | None:
    """The LPR in force on a date (default: the newest published)."""
    statement = select(LprRate).where(in_force()).order_by(LprRate.effective_on.desc()).limit(1)
    if on is not None:
        statement = statement.where(LprRate.effective_on <= on)
    return db.session.scalar(statement)


def one_year_schedule(session: object = None) -> list[tuple[dt.date, Decimal]]:
    """Every 1-year rate in force with the day it took effect, oldest first."""
    reader = session or db.session
    rows = reader.execute(  # type: ignore[attr-defined]
        select(LprRate.effective_on, LprRate.one_year)
        .where(in_force())
        .order_by(LprRate.effective_on)
    )
    return [(effective, Decimal(rate)) for effective, rate in rows]
