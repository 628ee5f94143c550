"""Monthly loan status reports and the files banks upload them in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow
from portal.enums import FiveTierClass, db_enum


class LoanStatusReport(Base):
    """A bank's report of one loan for one month; re-reporting a month replaces the row."""

    __tablename__ = "loan_status_reports"
    __table_args__ = (
        UniqueConstraint("loan_id", "period", name="uq_loan_status_reports_loan_period"),
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        CheckConstraint("days_overdue >= 0", name="days_overdue_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("financial_institutions.id"), index=True)
    period: Mapped[dt.date] = mapped_column(index=True)  # first day of the reported month
    balance: Mapped[Decimal]
    days_overdue: Mapped[int] = mapped_column(default=0)
    five_tier_class: Mapped[FiveTierClass] = mapped_column(db_enum(FiveTierClass, "five_tier"))
    # The class contradicts the overdue days (over 90 days yet 正常, ...): kept, and alerted.
    contradicts_overdue_rules: Mapped[bool] = mapped_column(default=False)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LoanReportUpload(Base):
    """One monthly status file a bank uploaded: applied whole, or refused whole with its errors."""

    __tablename__ = "loan_report_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("financial_institutions.id"), index=True)
    period: Mapped[dt.date]
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(default=0)
    applied: Mapped[bool] = mapped_column(default=False)
    warning_count: Mapped[int] = mapped_column(default=0)
    # Row-and-column errors (refused files) or warnings (accepted files), as shown to the bank.
    problems: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
