"""Supervision figures, computed exactly as DESIGN.md defines them.

Every figure can be cut by month range, region, industry, size class, bank and product. Sums and
counts are SQL aggregates; medians are taken in Python over one column of durations.

Definitions (DESIGN.md, "Supervision figures"):
- loan volume: count and sum of disbursed amounts in the period; average per deal (笔均);
- weighted average rate: Σ(amount × rate) / Σ amount; subsidy-adjusted: rate minus the subsidy's
  rate points; each also as a spread over the month's 1-year LPR;
- NPL ratio of a month: Σ balance classed 次级/可疑/损失 ÷ Σ balance of all reported loans;
- inclusive small/micro lending (普惠型小微): loans to small or micro firms whose total credit from
  that bank is at most 10,000,000 yuan (the firm's loans from that bank disbursed in the period,
  added up); share by count and by amount;
- approval rate: approved ÷ decided leads; median hours to first response; SLA breaches;
- same-day credit rate: of the needs that got credit approved, the share approved on the calendar
  day (Asia/Shanghai) the need was submitted;
- claim-to-disbursement days: median days from a lead's creation to its loan's disbursement.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Select, and_, case, extract, func, or_, select

from portal.dates import SHANGHAI
from portal.enums import NON_PERFORMING, LeadStatus
from portal.extensions import db
from portal.firms.models import Firm
from portal.firms.standards import SizeClass
from portal.institutions.models import FinancialInstitution
from portal.leads.models import Lead, Loan
from portal.matching.models import FinancingNeed
from portal.supervision.models import LoanStatusReport, LprRate

INCLUSIVE_CREDIT_CEILING = Decimal("10000000")  # 1,000 万元, inclusive
INCLUSIVE_SIZES = (SizeClass.SMALL, SizeClass.MICRO)
FOUR = Decimal("0.0001")
TWO = Decimal("0.01")


@dataclass(frozen=True)
class Filters:
    """A cut of the data. Months are first days; both ends are included."""

    start: dt.date
    end: dt.date
    region_code: str | None = None
    industry_division: str | None = None
    size_class: str | None = None
    institution_id: int | None = None
    product_id: int | None = None

    @property
    def period_end(self) -> dt.date:
        """The day after the last month of the range."""
        return next_month(self.end)

    def months(self) -> list[dt.date]:
        months, month = [], self.start
        while month <= self.end:
            months.append(month)
            month = next_month(month)
        return months


def next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


@dataclass
class MonthFigures:
    month: dt.date
    loans: int = 0
    amount: Decimal = Decimal(0)
    average: Decimal | None = None
    weighted_rate: Decimal | None = None
    adjusted_rate: Decimal | None = None
    lpr: Decimal | None = None
    npl_balance: Decimal = Decimal(0)
    reported_balance: Decimal = Decimal(0)

    @property
    def npl_ratio(self) -> Decimal | None:
        return ratio(self.npl_balance, self.reported_balance)

    @property
    def spread(self) -> Decimal | None:
        if self.weighted_rate is None or self.lpr is None:
            return None
        return self.weighted_rate - self.lpr


@dataclass
class Summary:
    loans: int = 0
    amount: Decimal = Decimal(0)
    average: Decimal | None = None
    weighted_rate: Decimal | None = None
    adjusted_rate: Decimal | None = None
    inclusive_loans: int = 0
    inclusive_amount: Decimal = Decimal(0)
    approved_leads: int = 0
    decided_leads: int = 0
    median_response_hours: Decimal | None = None
    sla_breaches: int = 0
    credited_needs: int = 0
    same_day_needs: int = 0
    median_claim_to_disbursement_days: Decimal | None = None
    npl_ratio: Decimal | None = None  # of the last month with reports

    @property
    def inclusive_share_count(self) -> Decimal | None:
        return ratio(Decimal(self.inclusive_loans), Decimal(self.loans))

    @property
    def inclusive_share_amount(self) -> Decimal | None:
        return ratio(self.inclusive_amount, self.amount)

    @property
    def approval_rate(self) -> Decimal | None:
        return ratio(Decimal(self.approved_leads), Decimal(self.decided_leads))

    @property
    def same_day_rate(self) -> Decimal | None:
        return ratio(Decimal(self.same_day_needs), Decimal(self.credited_needs))


@dataclass
class BankFigures:
    institution_id: int
    name: str
    loans: int = 0
    amount: Decimal = Decimal(0)
    approved_leads: int = 0
    decided_leads: int = 0
    median_response_hours: Decimal | None = None
    sla_breaches: int = 0
    npl_balance: Decimal = Decimal(0)
    reported_balance: Decimal = Decimal(0)
    rank: int = 0

    @property
    def approval_rate(self) -> Decimal | None:
        return ratio(Decimal(self.approved_leads), Decimal(self.decided_leads))

    @property
    def npl_ratio(self) -> Decimal | None:
        return ratio(self.npl_balance, self.reported_balance)


@dataclass
class GroupRow:
    key: str
    loans: int
    amount: Decimal


@dataclass
class Figures:
    filters: Filters
    summary: Summary
    months: list[MonthFigures]
    banks: list[BankFigures]
    by_region: list[GroupRow] = field(default_factory=list)
    by_industry: list[GroupRow] = field(default_factory=list)


def ratio(part: Decimal, whole: Decimal) -> Decimal | None:
    """part ÷ whole to four places, or None when there is nothing to divide by."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(FOUR, rounding=ROUND_HALF_UP)


# --- filters as SQL --------------------------------------------------------------------------


def _firm_conditions(filters: Filters) -> list[Any]:
    conditions = []
    if filters.region_code:
        conditions.append(Firm.region_code == filters.region_code)
    if filters.industry_division:
        conditions.append(func.substr(Firm.industry_code, 1, 2) == filters.industry_division)
    if filters.size_class:
        conditions.append(Firm.size_class == filters.size_class)
    return conditions


def loans_in(filters: Filters) -> Select[Any]:
    """Loans disbursed in the period that match the filters (a base for aggregates)."""
    statement = (
        select(Loan)
        .join(Firm, Firm.id == Loan.firm_id)
        .where(Loan.disbursed_on >= filters.start, Loan.disbursed_on < filters.period_end)
        .where(*_firm_conditions(filters))
    )
    if filters.institution_id:
        statement = statement.where(Loan.institution_id == filters.institution_id)
    if filters.product_id:
        statement = statement.where(Loan.product_id == filters.product_id)
    return statement


def leads_in(filters: Filters) -> Select[Any]:
    """Leads created in the period for needs of firms matching the filters."""
    start = dt.datetime.combine(filters.start, dt.time(), tzinfo=SHANGHAI)
    end = dt.datetime.combine(filters.period_end, dt.time(), tzinfo=SHANGHAI)
    statement = (
        select(Lead)
        .join(FinancingNeed, FinancingNeed.id == Lead.need_id)
        .join(Firm, Firm.id == FinancingNeed.firm_id)
        .where(Lead.created_at >= start, Lead.created_at < end, Lead.institution_id.is_not(None))
        .where(*_firm_conditions(filters))
    )
    if filters.institution_id:
        statement = statement.where(Lead.institution_id == filters.institution_id)
    if filters.product_id:
        statement = statement.where(Lead.product_id == filters.product_id)
    return statement


def reports_in(filters: Filters) -> Select[Any]:
    """Monthly status reports in the period for loans matching the filters (any disbursal date)."""
    statement = (
        select(LoanStatusReport)
        .join(Loan, Loan.id == LoanStatusReport.loan_id)
        .join(Firm, Firm.id == Loan.firm_id)
        .where(LoanStatusReport.period >= filters.start, LoanStatusReport.period <= filters.end)
        .where(*_firm_conditions(filters))
    )
    if filters.institution_id:
        statement = statement.where(Loan.institution_id == filters.institution_id)
    if filters.product_id:
        statement = statement.where(Loan.product_id == filters.product_id)
    return statement


# --- the figures -----------------------------------------------------------------------------

_NPL = case(
    (LoanStatusReport.five_tier_class.in_(tuple(NON_PERFORMING)), LoanStatusReport.balance), else_=0
)
_APPROVED = Lead.approved_amount.is_not(None)
_DECIDED = or_(_APPROVED, Lead.status == LeadStatus.DECLINED)


def figures(filters: Filters) -> Figures:
    """Every figure of the dashboard and the monthly report for one cut of the data."""
    months = month_figures(filters)
    summary = summary_figures(filters)
    summary.npl_ratio = next((m.npl_ratio for m in reversed(months) if m.reported_balance), None)
    return Figures(
        filters=filters,
        summary=summary,
        months=months,
        banks=bank_figures(filters),
        by_region=grouped(filters, Firm.region_code),
        by_industry=grouped(filters, func.substr(Firm.industry_code, 1, 2)),
    )


def month_figures(filters: Filters) -> list[MonthFigures]:
    rows = {m: MonthFigures(m) for m in filters.months()}
    year, month = extract("year", Loan.disbursed_on), extract("month", Loan.disbursed_on)
    volume = (
        loans_in(filters)
        .with_only_columns(
            year,
            month,
            func.count(Loan.id),
            func.sum(Loan.amount),
            func.sum(Loan.amount * Loan.rate),
            func.sum(Loan.amount * (Loan.rate - Loan.subsidy_rate)),
        )
        .group_by(year, month)
    )
    for y, m, count, amount, rate_sum, adjusted_sum in db.session.execute(volume):
        row = rows[dt.date(int(y), int(m), 1)]
        row.loans, row.amount = count, Decimal(amount or 0)
        row.average = _per(row.amount, count, TWO)
        row.weighted_rate = _per(Decimal(rate_sum or 0), row.amount, FOUR)
        row.adjusted_rate = _per(Decimal(adjusted_sum or 0), row.amount, FOUR)
    npl = (
        reports_in(filters)
        .with_only_columns(
            LoanStatusReport.period, func.sum(_NPL), func.sum(LoanStatusReport.balance)
        )
        .group_by(LoanStatusReport.period)
    )
    for period, bad, total in db.session.execute(npl):
        row = rows[period]
        row.npl_balance, row.reported_balance = Decimal(bad or 0), Decimal(total or 0)
    _attach_lpr(rows)
    return list(rows.values())


def _attach_lpr(rows: dict[dt.date, MonthFigures]) -> None:
    rates = db.session.execute(
        select(LprRate.effective_on, LprRate.one_year).order_by(LprRate.effective_on)
    ).all()
    for month, row in rows.items():
        in_force = [rate for effective, rate in rates if effective < next_month(month)]
        row.lpr = in_force[-1] if in_force else None


def _per(total: Decimal, count: Decimal | int, places: Decimal) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(places, rounding=ROUND_HALF_UP)


def summary_figures(filters: Filters) -> Summary:
    summary = Summary()
    count, amount, rate_sum, adjusted_sum = db.session.execute(
        loans_in(filters).with_only_columns(
            func.count(Loan.id),
            func.sum(Loan.amount),
            func.sum(Loan.amount * Loan.rate),
            func.sum(Loan.amount * (Loan.rate - Loan.subsidy_rate)),
        )
    ).one()
    summary.loans, summary.amount = count, Decimal(amount or 0)
    summary.average = _per(summary.amount, count, TWO)
    summary.weighted_rate = _per(Decimal(rate_sum or 0), summary.amount, FOUR)
    summary.adjusted_rate = _per(Decimal(adjusted_sum or 0), summary.amount, FOUR)
    summary.inclusive_loans, summary.inclusive_amount = _inclusive(filters)
    _lead_figures(filters, summary)
    _need_figures(filters, summary)
    return summary


def _inclusive(filters: Filters) -> tuple[int, Decimal]:
    """Loans to small and micro firms whose credit from that bank is at most 1,000 万元."""
    pairs = (
        loans_in(filters)
        .with_only_columns(Loan.firm_id, Loan.institution_id, func.sum(Loan.amount).label("credit"))
        .where(Firm.size_class.in_(INCLUSIVE_SIZES))
        .group_by(Loan.firm_id, Loan.institution_id)
        .having(func.sum(Loan.amount) <= INCLUSIVE_CREDIT_CEILING)
        .subquery()
    )
    count, amount = db.session.execute(
        loans_in(filters)
        .with_only_columns(func.count(Loan.id), func.sum(Loan.amount))
        .join(
            pairs,
            and_(pairs.c.firm_id == Loan.firm_id, pairs.c.institution_id == Loan.institution_id),
        )
    ).one()
    return count, Decimal(amount or 0)


def _lead_figures(filters: Filters, summary: Summary) -> None:
    approved, decided, breaches = db.session.execute(
        leads_in(filters).with_only_columns(
            func.count(case((_APPROVED, 1))),
            func.count(case((_DECIDED, 1))),
            func.count(case((Lead.sla_breached.is_(True), 1))),
        )
    ).one()
    summary.approved_leads, summary.decided_leads, summary.sla_breaches = (
        approved,
        decided,
        breaches,
    )
    summary.median_response_hours = _median_hours(
        db.session.execute(
            leads_in(filters)
            .with_only_columns(Lead.created_at, Lead.first_response_at)
            .where(Lead.first_response_at.is_not(None))
        ).all()
    )
    summary.median_claim_to_disbursement_days = _median_days(
        db.session.execute(
            leads_in(filters)
            .with_only_columns(Lead.created_at, Loan.disbursed_on)
            .join(Loan, Loan.lead_id == Lead.id)
        ).all()
    )


def _need_figures(filters: Filters, summary: Summary) -> None:
    """Needs with credit approved, and how many of them the same day they were submitted."""
    rows = db.session.execute(
        leads_in(filters)
        .with_only_columns(FinancingNeed.id, FinancingNeed.created_at, func.min(Lead.decided_at))
        .where(_APPROVED)
        .group_by(FinancingNeed.id, FinancingNeed.created_at)
    ).all()
    summary.credited_needs = len(rows)
    summary.same_day_needs = sum(
        1 for _id, submitted, approved in rows if _local_day(submitted) == _local_day(approved)
    )


def _local_day(moment: dt.datetime) -> dt.date:
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(SHANGHAI).date()


def _median_hours(pairs: list[tuple[dt.datetime, dt.datetime]]) -> Decimal | None:
    hours = [(_aware(b) - _aware(a)).total_seconds() / 3600 for a, b in pairs]
    return Decimal(str(round(statistics.median(hours), 1))) if hours else None


def _median_days(pairs: list[tuple[dt.datetime, dt.date]]) -> Decimal | None:
    days = [(disbursed - _local_day(created)).days for created, disbursed in pairs]
    return Decimal(str(statistics.median(days))) if days else None


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def bank_figures(filters: Filters) -> list[BankFigures]:
    """Per-bank figures and the ranking (volume, then speed, approval rate and NPL ratio)."""
    names = dict(
        db.session.execute(select(FinancialInstitution.id, FinancialInstitution.short_name)).all()
    )
    banks: dict[int, BankFigures] = {}

    def bank(institution_id: int) -> BankFigures:
        if institution_id not in banks:
            banks[institution_id] = BankFigures(institution_id, names.get(institution_id, ""))
        return banks[institution_id]

    for institution_id, count, amount in db.session.execute(
        loans_in(filters)
        .with_only_columns(Loan.institution_id, func.count(Loan.id), func.sum(Loan.amount))
        .group_by(Loan.institution_id)
    ):
        row = bank(institution_id)
        row.loans, row.amount = count, Decimal(amount or 0)
    for institution_id, approved, decided, breaches in db.session.execute(
        leads_in(filters)
        .with_only_columns(
            Lead.institution_id,
            func.count(case((_APPROVED, 1))),
            func.count(case((_DECIDED, 1))),
            func.count(case((Lead.sla_breached.is_(True), 1))),
        )
        .group_by(Lead.institution_id)
    ):
        row = bank(institution_id)
        row.approved_leads, row.decided_leads, row.sla_breaches = approved, decided, breaches
    responses: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for institution_id, created, responded in db.session.execute(
        leads_in(filters)
        .with_only_columns(Lead.institution_id, Lead.created_at, Lead.first_response_at)
        .where(Lead.first_response_at.is_not(None))
    ):
        responses[institution_id].append((created, responded))
    for institution_id, pairs in responses.items():
        bank(institution_id).median_response_hours = _median_hours(pairs)
    for institution_id, bad, total in db.session.execute(
        reports_in(filters)
        .where(LoanStatusReport.period == filters.end)
        .with_only_columns(Loan.institution_id, func.sum(_NPL), func.sum(LoanStatusReport.balance))
        .group_by(Loan.institution_id)
    ):
        row = bank(institution_id)
        row.npl_balance, row.reported_balance = Decimal(bad or 0), Decimal(total or 0)
    ranked = sorted(
        banks.values(),
        key=lambda b: (
            -b.amount,
            b.median_response_hours if b.median_response_hours is not None else Decimal(10**6),
            -(b.approval_rate or 0),
            b.npl_ratio or 0,
        ),
    )
    for position, row in enumerate(ranked, start=1):
        row.rank = position
    return ranked


def grouped(filters: Filters, column: Any) -> list[GroupRow]:
    """Loan count and amount per value of a firm column (region, industry division)."""
    rows = db.session.execute(
        loans_in(filters)
        .with_only_columns(column, func.count(Loan.id), func.sum(Loan.amount))
        .group_by(column)
        .order_by(func.sum(Loan.amount).desc())
    ).all()
    return [GroupRow(str(key), count, Decimal(amount or 0)) for key, count, amount in rows]
