"""A firm owner's request to close the firm's account, and platform staff's decision on it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.db import Base, utcnow
from portal.enums import FirmClosureStatus, db_enum
from portal.firms.models import Firm

REASON_MAX = 500
NOTE_MAX = 500


class FirmClosureRequest(Base):
    """Asked by an owner; closed or refused by platform staff, or withdrawn by an owner. A firm
    has at most one request open at a time (portal/firm_team/closure.py checks under a lock)."""

    __tablename__ = "firm_closure_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(String(REASON_MAX))
    status: Mapped[FirmClosureStatus] = mapped_column(
        db_enum(FirmClosureStatus, "firm_closure_status"),
        default=FirmClosureStatus.REQUESTED,
        index=True,
    )
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Who closed, refused or withdrew it, and when; the note says why it was refused.
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    note: Mapped[str | None] = mapped_column(String(NOTE_MAX))

    firm: Mapped[Firm] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    def __repr__(self) -> str:
        return f"<FirmClosureRequest {self.id} firm={self.firm_id} {self.status}>"
