"""A firm's financing need."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, Rate, utcnow
from portal.enums import GuaranteeType, NeedStatus, db_enum
from portal.firms.models import Firm


class FinancingNeed(Base):
    __tablename__ = "financing_needs"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("term_months BETWEEN 1 AND 360", name="term_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    amount: Mapped[Decimal]
    term_months: Mapped[int]
    purpose: Mapped[str] = mapped_column(Text)
    guarantee_type: Mapped[GuaranteeType] = mapped_column(db_enum(GuaranteeType, "guarantee_type"))
    max_rate: Mapped[Decimal | None] = mapped_column(Rate)
    # Consent to share the firm's profile with the banks the need is routed to.
    consent_at: Mapped[dt.datetime]
    consent_scope: Mapped[str] = mapped_column(String(120))
    status: Mapped[NeedStatus] = mapped_column(
        db_enum(NeedStatus, "need_status"), default=NeedStatus.OPEN, index=True
    )
    # Set from the form; a resubmitted form carries the same key and creates nothing new.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    withdrawn_at: Mapped[dt.datetime | None]
    # The products the need did not qualify for, with the reasons as shown at match time:
    # [{"product_id", "rule_version_id", "reasons": [{"explanation", "hint"}], "hint"}]. One
    # value per need rather than a MatchResult row per product: writing hundreds of rows was
    # most of what a submission cost, and only the firm's need page reads them.
    unmatched: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    firm: Mapped[Firm] = relationship()
