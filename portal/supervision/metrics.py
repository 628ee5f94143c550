"""Supervision figures, computed exactly as DESIGN.md defines them.

Every figure can be cut by month range, region, industry, size class, bank and product. Sums and
counts are SQL aggregates; medians are taken in Python over one column of durations. Every query
reads through `db.reporting` (the read replica when REPORTING_DATABASE_URL is set).

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
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Date, Float, Select, case, cast, extract, func, or_, select, tuple_

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


def firm_conditions(filters: Filters) -> list[Any]:
    conditions = []
    if filters.region_code:
        conditions.append(Firm.region_code == filters.region_code)
    if filters.industry_division:
        conditions.append(func.substr(Firm.industry_code, 1, 2) == filters.industry_division)
    if filters.size_class:
        conditions.append(Firm.size_class == filters.size_class)
    return conditions


def _firms_in(filters: Filters) -> Select[Any] | None:
    """The ids of the firms a cut keeps, as a subquery for a semi-join on SQLite, else None.

    SQLite joins row by row, so `firm_id IN (SELECT …)` lets it read only the period's rows;
    PostgreSQL plans hash joins and is faster joining the firms (None: join them).
    """
    conditions = firm_conditions(filters)
    if not conditions or _postgres():
        return None
    return select(Firm.id).where(*conditions)


def loans_in(filters: Filters, *, with_firm: bool = False) -> Select[Any]:
    """Loans disbursed in the period that match the filters (a base for aggregates).

    `with_firm` joins the firms, for callers that read firm columns.
    """
    statement = (
        select(Loan)
        .select_from(Loan)
        .where(Loan.disbursed_on >= filters.start, Loan.disbursed_on < filters.period_end)
    )
    conditions, firms = firm_conditions(filters), _firms_in(filters)
    if with_firm or (conditions and firms is None):
        statement = statement.join(Firm, Firm.id == Loan.firm_id).where(*conditions)
    elif firms is not None:
        statement = statement.where(Loan.firm_id.in_(firms))
    if filters.institution_id:
        statement = statement.where(Loan.institution_id == filters.institution_id)
    if filters.product_id:
        statement = statement.where(Loan.product_id == filters.product_id)
    return statement


def leads_in(filters: Filters, *, with_need: bool = False) -> Select[Any]:
    """Leads created in the period for needs of firms matching the filters.

    `with_need` joins the needs, for callers that read need columns.
    """
    start = dt.datetime.combine(filters.start, dt.time(), tzinfo=SHANGHAI)
    end = dt.datetime.combine(filters.period_end, dt.time(), tzinfo=SHANGHAI)
    statement = (
        select(Lead)
        .select_from(Lead)
        .where(Lead.created_at >= start, Lead.created_at < end, Lead.institution_id.is_not(None))
    )
    conditions, firms = firm_conditions(filters), _firms_in(filters)
    if firms is not None:
        needs = select(FinancingNeed.id).where(FinancingNeed.firm_id.in_(firms))
        statement = statement.where(Lead.need_id.in_(needs))
    if with_need or (conditions and firms is None):
        statement = statement.join(FinancingNeed, FinancingNeed.id == Lead.need_id)
    if conditions and firms is None:
        statement = statement.join(Firm, Firm.id == FinancingNeed.firm_id).where(*conditions)
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
        .where(*firm_conditions(filters))
    )
    if filters.institution_id:
        statement = statement.where(Loan.institution_id == filters.institution_id)
    if filters.product_id:
        statement = statement.where(Loan.product_id == filters.product_id)
    return statement


def _reported(filters: Filters) -> Select[Any]:
    """Like reports_in, for aggregates over report columns only: the reports carry their bank,
    so loans (and firms) are read only for a firm or product cut."""
    statement = (
        select(LoanStatusReport)
        .select_from(LoanStatusReport)
        .where(LoanStatusReport.period >= filters.start, LoanStatusReport.period <= filters.end)
    )
    conditions, firms = firm_conditions(filters), _firms_in(filters)
    if firms is not None:
        loans = select(Loan.id).where(Loan.firm_id.in_(firms))
        if filters.product_id:
            loans = loans.where(Loan.product_id == filters.product_id)
        statement = statement.where(LoanStatusReport.loan_id.in_(loans))
    elif conditions or filters.product_id:
        statement = statement.join(Loan, Loan.id == LoanStatusReport.loan_id)
        if conditions:
            statement = statement.join(Firm, Firm.id == Loan.firm_id).where(*conditions)
        if filters.product_id:
            statement = statement.where(Loan.product_id == filters.product_id)
    if filters.institution_id:
        statement = statement.where(LoanStatusReport.institution_id == filters.institution_id)
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
    responses = response_medians(filters)
    summary = summary_figures(filters, responses)
    summary.npl_ratio = next((m.npl_ratio for m in reversed(months) if m.reported_balance), None)
    return Figures(
        filters=filters,
        summary=summary,
        months=months,
        banks=bank_figures(filters, responses),
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
    for y, m, count, amount, rate_sum, adjusted_sum in db.reporting.execute(volume):
        row = rows[dt.date(int(y), int(m), 1)]
        row.loans, row.amount = count, Decimal(amount or 0)
        row.average = _per(row.amount, count, TWO)
        row.weighted_rate = _per(Decimal(rate_sum or 0), row.amount, FOUR)
        row.adjusted_rate = _per(Decimal(adjusted_sum or 0), row.amount, FOUR)
    npl = (
        _reported(filters)
        .with_only_columns(
            LoanStatusReport.period, func.sum(_NPL), func.sum(LoanStatusReport.balance)
        )
        .group_by(LoanStatusReport.period)
    )
    for period, bad, total in db.reporting.execute(npl):
        row = rows[period]
        row.npl_balance, row.reported_balance = Decimal(bad or 0), Decimal(total or 0)
    _attach_lpr(rows)
    return list(rows.values())


def _attach_lpr(rows: dict[dt.date, MonthFigures]) -> None:
    rates = db.reporting.execute(
        select(LprRate.effective_on, LprRate.one_year).order_by(LprRate.effective_on)
    ).all()
    for month, row in rows.items():
        in_force = [rate for effective, rate in rates if effective < next_month(month)]
        row.lpr = in_force[-1] if in_force else None


def _per(total: Decimal, count: Decimal | int, places: Decimal) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(places, rounding=ROUND_HALF_UP)


def summary_figures(
    filters: Filters, responses: dict[int | None, Decimal] | None = None
) -> Summary:
    summary = Summary()
    count, amount, rate_sum, adjusted_sum = db.reporting.execute(
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
    _lead_figures(filters, summary, responses)
    _need_figures(filters, summary)
    return summary


def _inclusive(filters: Filters) -> tuple[int, Decimal]:
    """Loans to small and micro firms whose credit from that bank is at most 1,000 万元."""
    # Each qualifying firm–bank pair brings all its loans: add up the pairs' counts and sums.
    pairs = (
        loans_in(filters, with_firm=True)
        .with_only_columns(
            func.count(Loan.id).label("loans"), func.sum(Loan.amount).label("credit")
        )
        .where(Firm.size_class.in_(INCLUSIVE_SIZES))
        .group_by(Loan.firm_id, Loan.institution_id)
        .having(func.sum(Loan.amount) <= INCLUSIVE_CREDIT_CEILING)
        .subquery()
    )
    count, amount = db.reporting.execute(
        select(func.coalesce(func.sum(pairs.c.loans), 0), func.sum(pairs.c.credit))
    ).one()
    return int(count), Decimal(amount or 0)


def _lead_figures(
    filters: Filters, summary: Summary, responses: dict[int | None, Decimal] | None
) -> None:
    approved, decided, breaches = db.reporting.execute(
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
    if responses is None:
        responses = response_medians(filters)
    summary.median_response_hours = responses.get(None)
    claims = leads_in(filters).join(Loan, Loan.lead_id == Lead.id)
    days = _days_between(Lead.created_at, Loan.disbursed_on)
    if _postgres():
        median = db.reporting.scalar(
            claims.with_only_columns(func.percentile_cont(0.5).within_group(days))
        )
    else:
        values = db.reporting.scalars(claims.with_only_columns(days)).all()
        median = statistics.median(round(value) for value in values) if values else None
    summary.median_claim_to_disbursement_days = None if median is None else _whole(median)


def response_medians(filters: Filters) -> dict[int | None, Decimal]:
    """Median hours from a lead's creation to the bank's first response: per bank, and over
    all banks under the key None. The summary and the bank ranking share one query.

    PostgreSQL takes the medians itself (percentile_cont, which averages the middle pair as
    statistics.median does); SQLite has no percentile function, so it subtracts the timestamps
    and hands back one float per lead, and Python takes the medians.
    """
    hours = _hours_between(Lead.created_at, Lead.first_response_at)
    answered = leads_in(filters).where(Lead.first_response_at.is_not(None))
    if _postgres():
        rows = db.reporting.execute(
            answered.with_only_columns(
                Lead.institution_id, func.percentile_cont(0.5).within_group(hours)
            ).group_by(func.grouping_sets(tuple_(Lead.institution_id), tuple_()))
        )
        return {bank: _tenth(value) for bank, value in rows if value is not None}
    per_bank: dict[int | None, list[float]] = defaultdict(list)
    for bank, value in db.reporting.execute(
        answered.with_only_columns(Lead.institution_id, cast(hours, Float))
    ):
        per_bank[bank].append(value)
        per_bank[None].append(value)
    return {bank: _tenth(statistics.median(values)) for bank, values in per_bank.items()}


def _whole(days: float) -> Decimal:
    """6 rather than 6.0 when the median is a whole number of days (as statistics gives)."""
    return Decimal(int(days)) if float(days).is_integer() else Decimal(str(float(days)))


def _tenth(hours: float) -> Decimal:
    return Decimal(str(round(float(hours), 1)))


def _postgres() -> bool:
    return db.reporting.get_bind().dialect.name == "postgresql"


def _hours_between(start: Any, end: Any) -> Any:
    """Hours from one UTC timestamp column to another, computed by the database."""
    if _postgres():
        return extract("epoch", end - start) / 3600
    return (func.julianday(end) - func.julianday(start)) * 24


def _local_date(moment: Any) -> Any:
    """The Asia/Shanghai calendar day of a UTC timestamp column (China keeps UTC+8 all year)."""
    if _postgres():
        return cast(func.timezone("Asia/Shanghai", moment), Date)
    return func.date(moment, "+8 hours")


def _days_between(moment: Any, day: Any) -> Any:
    """Whole days from a timestamp's Shanghai calendar day to a date."""
    if _postgres():
        return day - _local_date(moment)
    return func.julianday(day) - func.julianday(_local_date(moment))


def _need_figures(filters: Filters, summary: Summary) -> None:
    """Needs with credit approved, and how many of them the same day they were submitted."""
    first_approval = (
        leads_in(filters, with_need=True)
        .with_only_columns(
            FinancingNeed.created_at.label("submitted"),
            func.min(Lead.decided_at).label("approved"),
        )
        .where(_APPROVED)
        .group_by(FinancingNeed.id, FinancingNeed.created_at)
        .subquery()
    )
    same_day = _local_date(first_approval.c.submitted) == _local_date(first_approval.c.approved)
    summary.credited_needs, summary.same_day_needs = db.reporting.execute(
        select(func.count(), func.count(case((same_day, 1))))
    ).one()


def bank_figures(
    filters: Filters, responses: dict[int | None, Decimal] | None = None
) -> list[BankFigures]:
    """Per-bank figures and the ranking (volume, then speed, approval rate and NPL ratio)."""
    names = dict(
        db.reporting.execute(select(FinancialInstitution.id, FinancialInstitution.short_name)).all()
    )
    banks: dict[int, BankFigures] = {}

    def bank(institution_id: int) -> BankFigures:
        if institution_id not in banks:
            banks[institution_id] = BankFigures(institution_id, names.get(institution_id, ""))
        return banks[institution_id]

    for institution_id, count, amount in db.reporting.execute(
        loans_in(filters)
        .with_only_columns(Loan.institution_id, func.count(Loan.id), func.sum(Loan.amount))
        .group_by(Loan.institution_id)
    ):
        row = bank(institution_id)
        row.loans, row.amount = count, Decimal(amount or 0)
    for institution_id, approved, decided, breaches in db.reporting.execute(
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
    if responses is None:
        responses = response_medians(filters)
    for institution_id, hours in responses.items():
        if institution_id is not None:
            bank(institution_id).median_response_hours = hours
    for institution_id, bad, total in db.reporting.execute(
        _reported(filters)
        .where(LoanStatusReport.period == filters.end)
        .with_only_columns(
            LoanStatusReport.institution_id,
            func.sum(_NPL),
            func.sum(LoanStatusReport.balance),
        )
        .group_by(LoanStatusReport.institution_id)
    ):
        row = bank(institution_id)
        row.npl_balance, row.reported_balance = Decimal(bad or 0), Decimal(total or 0)
    return rank_banks(banks.values())


def rank_banks(banks: Iterable[BankFigures]) -> list[BankFigures]:
    """The banks in ranking order (volume, then speed, approval rate and NPL), ranks set."""
    ranked = sorted(
        banks,
        key=lambda b: (
            -b.amount,
            b.median_response_hours if b.median_response_hours is not None else Decimal(10**6),
            -(b.approval_rate or 0),
            b.npl_ratio or 0,
            b.institution_id,  # ties in a stable order, whichever query found the bank first
        ),
    )
    for position, row in enumerate(ranked, start=1):
        row.rank = position
    return ranked


def grouped(filters: Filters, column: Any) -> list[GroupRow]:
    """Loan count and amount per value of a firm column (region, industry division)."""
    rows = db.reporting.execute(
        loans_in(filters, with_firm=True)
        .with_only_columns(column, func.count(Loan.id), func.sum(Loan.amount))
        .group_by(column)
        .order_by(func.sum(Loan.amount).desc())
    ).all()
    return [GroupRow(str(key), count, Decimal(amount or 0)) for key, count, amount in rows]
