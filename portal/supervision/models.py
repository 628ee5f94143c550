"""Supervision records: monthly loan status, the monthly report archive and the LPR table."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, Rate, utcnow
from portal.enums import FiveTierClass, ReportEdition, db_enum

RollupMoney = Numeric(20, 2)  # sums of many balances, yuan


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


class MonthlyReport(Base):
    """One edition of a monthly supervision report (PDF), archived as issued.

    Editions of a month and scope are numbered 1, 2, … and never replaced: a provisional
    edition (made before the reporting deadline) says so on every page, the final edition is
    made after the deadline, and a later report or correction to the month makes a revised one.
    """

    __tablename__ = "monthly_reports"
    __table_args__ = (
        UniqueConstraint("period", "scope", "version", name="uq_monthly_reports_period_scope_v"),
        Index("ix_monthly_reports_period_scope", "period", "scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[dt.date]
    # "province", "region:350100" or "bank:12"
    scope: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(default=1)
    edition: Mapped[ReportEdition] = mapped_column(
        db_enum(ReportEdition, "report_edition"), default=ReportEdition.FINAL
    )
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    generated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The month's key figures as printed ({name: text}) and the reporting coverage behind them
    # ({"due", "reported", "banks": [[id, name, due, reported], …]}): what a later edition is
    # compared with, and what the archive shows.
    figures: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    coverage: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    # What changed from the edition before ([{"figure", "before", "after"}, …]).
    changes: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # When this edition's figures were last compared with the data (a revision check).
    checked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MonthMark(Base):
    """A change to a month's loans, leads or status reports, written in the same transaction.

    Append-only, so that concurrent writers never wait on one another: the rollup refresh
    rebuilds the months that have unrolled marks and then flags the marks it read, and the
    monthly report job looks for marks newer than an edition's last check
    (`portal.supervision.freshness`).
    """

    __tablename__ = "month_marks"
    __table_args__ = (
        Index("ix_month_marks_unrolled", "rolled_up", "period"),
        Index("ix_month_marks_period_marked_at", "period", "marked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[dt.date]  # the first day of the month
    marked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    rolled_up: Mapped[bool] = mapped_column(default=False)


class LprRate(Base):
    """Loan Prime Rate as published on the 20th of each month."""

    __tablename__ = "lpr_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    effective_on: Mapped[dt.date] = mapped_column(unique=True)
    one_year: Mapped[Decimal] = mapped_column(Rate)
    over_five_years: Mapped[Decimal] = mapped_column(Rate)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


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


class SystemSetting(Base):
    """A platform setting an administrator may change (e.g. the NPL alert threshold)."""

    __tablename__ = "system_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# --- dashboard rollups (portal.supervision.rollups) ------------------------------------------
# Copies of the loan, lead and report rows the dashboard reads, with the firm's region, industry
# division and size class carried along, so that no figure joins the 254,000 firms. Rebuilt from
# the live tables by `portal.supervision.rollups`; never edited by hand.


class DashboardLoanFact(Base):
    """One disbursed loan, with the cut columns of its firm (volume, rates, inclusive lending,
    claim-to-disbursement days), as `portal.supervision.definitions` defines them."""

    __tablename__ = "dashboard_loan_facts"
    __table_args__ = (Index("ix_dashboard_loan_facts_disbursed_on", "disbursed_on"),)

    loan_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    disbursed_on: Mapped[dt.date]
    institution_id: Mapped[int]
    product_id: Mapped[int | None]
    firm_id: Mapped[int]
    region_code: Mapped[str] = mapped_column(String(6))
    industry_division: Mapped[str] = mapped_column(String(2))
    size_class: Mapped[str] = mapped_column(String(10))
    amount: Mapped[Decimal]
    rate: Mapped[Decimal] = mapped_column(Rate)
    subsidy_rate: Mapped[Decimal] = mapped_column(Rate)
    guarantee_fee_rate: Mapped[Decimal] = mapped_column(Rate)
    fee_subsidy_rate: Mapped[Decimal] = mapped_column(Rate)
    # 普惠型小微 as of the disbursement day: depends on the firm's other loans at the bank, so
    # it is worked out when the row is written (definitions.inclusive).
    inclusive: Mapped[bool]
    # Days from the lead's creation (Shanghai day) to disbursement; None without a lead.
    claim_days: Mapped[float | None] = mapped_column(Float)


class DashboardLeadFact(Base):
    """One lead sent to a bank, with its durations worked out (medians cannot be summed)."""

    __tablename__ = "dashboard_lead_facts"
    __table_args__ = (Index("ix_dashboard_lead_facts_created_at", "created_at"),)

    lead_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    created_at: Mapped[dt.datetime]
    institution_id: Mapped[int]
    product_id: Mapped[int | None]
    need_id: Mapped[int]
    region_code: Mapped[str] = mapped_column(String(6))
    industry_division: Mapped[str] = mapped_column(String(2))
    size_class: Mapped[str] = mapped_column(String(10))
    approved: Mapped[bool]
    decided: Mapped[bool]
    sla_breached: Mapped[bool]
    # Computed by the same SQL expressions as the live figures, so the medians are the same.
    response_hours: Mapped[float | None] = mapped_column(Float)
    need_day: Mapped[dt.date]  # the need's submission day in Asia/Shanghai
    approved_day: Mapped[dt.date | None]  # the approval day in Asia/Shanghai, if approved


class DashboardReportCell(Base):
    """Monthly status reports added up per month, bank, product and firm cut (the NPL ratio)."""

    __tablename__ = "dashboard_report_cells"
    __table_args__ = (Index("ix_dashboard_report_cells_period", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[dt.date]
    institution_id: Mapped[int]
    product_id: Mapped[int | None]
    region_code: Mapped[str] = mapped_column(String(6))
    industry_division: Mapped[str] = mapped_column(String(2))
    size_class: Mapped[str] = mapped_column(String(10))
    reports: Mapped[int]
    balance: Mapped[Decimal] = mapped_column(RollupMoney)
    npl_balance: Mapped[Decimal] = mapped_column(RollupMoney)
    contradicting: Mapped[int]


class DashboardReportMonth(Base):
    """The same sums without product and industry: the NPL of the usual cuts in few rows."""

    __tablename__ = "dashboard_report_months"
    __table_args__ = (Index("ix_dashboard_report_months_period", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[dt.date]
    institution_id: Mapped[int]
    region_code: Mapped[str] = mapped_column(String(6))
    size_class: Mapped[str] = mapped_column(String(10))
    reports: Mapped[int]
    balance: Mapped[Decimal] = mapped_column(RollupMoney)
    npl_balance: Mapped[Decimal] = mapped_column(RollupMoney)
    contradicting: Mapped[int]
