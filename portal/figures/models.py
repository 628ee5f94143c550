"""The months a change touched, and the dashboard's rollups of loans, leads and reports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Float, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, Rate, utcnow

RollupMoney = Numeric(20, 2)  # sums of many balances, yuan


class MonthMark(Base):
    """A change to a month's loans, leads or status reports, written in the same transaction.

    Append-only, so that concurrent writers never wait on one another: the rollup refresh
    rebuilds the months that have unrolled marks and then flags the marks it read, and the
    monthly report job looks for marks newer than an edition's last check
    (`portal.figures.freshness`).
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


# --- dashboard rollups (portal.figures.rollups) ------------------------------------------
# Copies of the loan, lead and report rows the dashboard reads, with the firm's region, industry
# division and size class carried along, so that no figure joins the 254,000 firms. Rebuilt from
# the live tables by `portal.figures.rollups`; never edited by hand.


class DashboardLoanFact(Base):
    """One disbursed loan, with the cut columns of its firm (volume, rates, inclusive lending,
    claim-to-disbursement days), as `portal.figures.definitions` defines them."""

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
