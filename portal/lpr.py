"""The Loan Prime Rate table: the rate in force on a day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
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


def latest_lpr(on: dt.date | None = None) -> LprRate | None:
    """The LPR in force on a date (default: the newest published)."""
    statement = select(LprRate).order_by(LprRate.effective_on.desc()).limit(1)
    if on is not None:
        statement = statement.where(LprRate.effective_on <= on)
    return db.session.scalar(statement)
