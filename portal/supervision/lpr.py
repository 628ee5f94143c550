"""Reading the LPR table."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal.extensions import db
from portal.supervision.models import LprRate


def latest_lpr(on: dt.date | None = None) -> LprRate | None:
    """The LPR in force on a date (default: the newest published)."""
    statement = select(LprRate).order_by(LprRate.effective_on.desc()).limit(1)
    if on is not None:
        statement = statement.where(LprRate.effective_on <= on)
    return db.session.scalar(statement)
