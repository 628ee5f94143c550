"""Supervision figures computed live from the loans, leads and monthly reports.

Every figure can be cut by month range, region, industry, size class, bank and product. Sums and
counts are SQL aggregates; medians are taken by PostgreSQL, or in Python over one column of
durations on SQLite. Every query reads through `db.reporting` (the read replica when
REPORTING_DATABASE_URL is set).

The definitions (DESIGN.md, "Supervision figures", made exact) live in
`portal.figures.definitions`, which the dashboard rollups (`portal.figures.rollups`) build
on too; in short:
- loan volume: count and sum of the amounts disbursed in the period; average per deal (笔均);
- weighted average rate: Σ(amount × rate) ÷ Σ amount; subsidy-adjusted cost: rate − interest
  subsidy points + guarantee fee − fee subsidy, amount-weighted alike;
- LPR: each loan at the 1-year LPR in force on its disbursement day, amount-weighted; the spread
  is the weighted rate minus it;
- NPL ratio of a month: Σ balance classed 次级/可疑/损失 ÷ Σ balance of all reported loans;
- inclusive small/micro lending (普惠型小微): loans to small or micro firms whose total credit at
  that bank on the disbursement day (the principal of all its loans from that bank outstanding
  that day, any product, inside the period or not) is at most 10,000,000 yuan; shares by count
  and by amount;
- approval rate: approved ÷ decided leads; median hours to first response; SLA breaches;
- same-day credit rate: of the needs that got credit approved, the share approved on the calendar
  day (Asia/Shanghai) the need was submitted;
- claim-to-disbursement days: over the loans disbursed in the period that came from a lead, the
  median days from the lead's creation (Shanghai day) to disbursement.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Float, Select, case, cast, extract, func, select, tuple_

from portal.dates import SHANGHAI, next_month
from portal.extensions import db
from portal.figures.definitions import (
    APPROVED,
    DECIDED,
    FOUR,
    NPL_BALANCE,
    TWO,
    adjusted_cost,
    attach_lpr,
    claim_days,
    hours_between,
    inclusive,
    local_date,
    lpr_schedule,
    median,
    per,
    postgres,
    tenth,
    weighted_lpr,
    whole,
)
from portal.firms.models import Firm
from portal.institutions.models import FinancialInstitution
from portal.leads.models import Lead, Loan
from portal.needs.models import FinancingNeed
from portal.reporting.models import LoanStatusReport


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


@dataclass
class MonthFigures:
    month: dt.date
    loans: int = 0
    amount: Decimal = Decimal(0)
    average: Decimal | None = None
    weighted_rate: Decimal | None = None
    adjusted_rate: Decimal | None = None
    # The amount-weighted LPR of the month's loans (without loans: in force at month end).
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
    lpr: Decimal | None = None  # the amount-weighted LPR of the period's loans
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
    by_size: list[GroupRow] = field(default_factory=list)
    by_product: list[GroupRow] = field(default_factory=list)  # key "" for loans of no product


def ratio(part: Decimal, whole: Decimal) -> Decimal | None:
    """part ÷ whole to four places, or None when there is nothing to divide by."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(FOUR, rounding=ROUND_HALF_UP)


# --- filters as SQL --------------------------------------------------------------------------


def firm_conditions(filters: Filters) -> list[Any]:
    """The region, industry and size class of a cut, as conditions on Firm."""
    conditions = []
    if filters.region_code:
        conditions.append(Firm.region_code == filters.region_code)
    if filters.industry_division:
        conditions.append(func.substr(Firm.industry_code, 1, 2) == filters.industry_division)
    if filters.size_class:
        conditions.append(Firm.size_class == filters.size_class)
    return conditions


def loan_conditions(filters: Filters) -> list[Any]:
    """The bank and product of a cut, as conditions on Loan."""
    conditions = []
    if filters.institution_id:
        conditions.append(Loan.institution_id == filters.institution_id)
    if filters.product_id:
        conditions.append(Loan.product_id == filters.product_id)
    return conditions


def cut_loans(statement: Select[Any], filters: Filters) -> Select[Any]:
    """A statement that reads Loan, kept to the cut's firms, bank and product (the firms are
    joined only when the cut names one of their columns)."""
    conditions = firm_conditions(filters)
    if conditions:
        statement = statement.join(Firm, Firm.id == Loan.firm_id).where(*conditions)
    return statement.where(*loan_conditions(filters))


def _firms_in(filters: Filters) -> Select[Any] | None:
    """The ids of the firms a cut keeps, as a subquery for a semi-join on SQLite, else None.

    SQLite joins row by row, so `firm_id IN (SELECT …)` lets it read only the period's rows;
    PostgreSQL plans hash joins and is faster joining the firms (None: join them).
    """
    conditions = firm_conditions(filters)
    if not conditions or postgres():
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
    return statement.where(*loan_conditions(filters))


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
    return statement.where(*loan_conditions(filters))


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


def figures(filters: Filters) -> Figures:
    """Every figure of the dashboard and the monthly report for one cut of the data."""
    lent = lent_by_day(filters)
    months = month_figures(filters, lent)
    responses = response_medians(filters)
    summary = summary_figures(filters, responses, lent)
    summary.npl_ratio = next((m.npl_ratio for m in reversed(months) if m.reported_balance), None)
    return Figures(
        filters=filters,
        summary=summary,
        months=months,
        banks=bank_figures(filters, responses),
        by_region=grouped(filters, Firm.region_code),
        by_industry=grouped(filters, func.substr(Firm.industry_code, 1, 2)),
        by_size=grouped(filters, Firm.size_class),
        by_product=grouped(filters, Loan.product_id),
    )


def lent_by_day(filters: Filters) -> dict[dt.date, Decimal]:
    """The amount disbursed on each day of the period: what the weighted LPR reads."""
    return {
        day: Decimal(amount or 0)
        for day, amount in db.reporting.execute(
            loans_in(filters)
            .with_only_columns(Loan.disbursed_on, func.sum(Loan.amount))
            .group_by(Loan.disbursed_on)
        )
    }


def _volume_measures() -> tuple[Any, ...]:
    return (
        func.count(Loan.id),
        func.sum(Loan.amount),
        func.sum(Loan.amount * Loan.rate),
        func.sum(Loan.amount * adjusted_cost(Loan)),
    )


def month_figures(
    filters: Filters, lent: dict[dt.date, Decimal] | None = None
) -> list[MonthFigures]:
    """Volume, rates, LPR and NPL per month (`lent`: `lent_by_day`, when already read)."""
    rows = {m: MonthFigures(m) for m in filters.months()}
    year, month = extract("year", Loan.disbursed_on), extract("month", Loan.disbursed_on)
    volume = (
        loans_in(filters).with_only_columns(year, month, *_volume_measures()).group_by(year, month)
    )
    for y, m, count, amount, rate_sum, adjusted_sum in db.reporting.execute(volume):
        set_volume(rows[dt.date(int(y), int(m), 1)], count, amount, rate_sum, adjusted_sum)
    npl = (
        _reported(filters)
        .with_only_columns(
            LoanStatusReport.period, func.sum(NPL_BALANCE), func.sum(LoanStatusReport.balance)
        )
        .group_by(LoanStatusReport.period)
    )
    for period, bad, total in db.reporting.execute(npl):
        row = rows[period]
        row.npl_balance, row.reported_balance = Decimal(bad or 0), Decimal(total or 0)
    attach_lpr(rows, lent_by_day(filters) if lent is None else lent)
    return list(rows.values())


def set_volume(row: Any, count: int, amount: Any, rate_sum: Any, adjusted_sum: Any) -> None:
    """A month's or the summary's volume, average, weighted rate and adjusted cost."""
    row.loans, row.amount = count, Decimal(amount or 0)
    row.average = per(row.amount, count, TWO)
    row.weighted_rate = per(Decimal(rate_sum or 0), row.amount, FOUR)
    row.adjusted_rate = per(Decimal(adjusted_sum or 0), row.amount, FOUR)


def summary_figures(
    filters: Filters,
    responses: dict[int | None, Decimal] | None = None,
    lent: dict[dt.date, Decimal] | None = None,
) -> Summary:
    summary = Summary()
    totals = db.reporting.execute(loans_in(filters).with_only_columns(*_volume_measures())).one()
    set_volume(summary, *totals)
    summary.lpr = weighted_lpr(lent_by_day(filters) if lent is None else lent, lpr_schedule())
    summary.inclusive_loans, summary.inclusive_amount = _inclusive(filters)
    summary.median_claim_to_disbursement_days = _claim_median(filters)
    _lead_figures(filters, summary, responses)
    _need_figures(filters, summary)
    return summary


def _inclusive(filters: Filters) -> tuple[int, Decimal]:
    """The period's 普惠型小微 loans: count and amount (definitions.inclusive)."""
    count, amount = db.reporting.execute(
        loans_in(filters, with_firm=True)
        .with_only_columns(func.count(Loan.id), func.sum(Loan.amount))
        .where(inclusive(Firm.size_class, Loan))
    ).one()
    return int(count), Decimal(amount or 0)


def _claim_median(filters: Filters) -> Decimal | None:
    """Median days from lead to disbursement over the loans disbursed in the period."""
    claims = loans_in(filters).join(Lead, Lead.id == Loan.lead_id)
    days = median(claims, claim_days(), days=True)
    return None if days is None else whole(days)


def _lead_figures(
    filters: Filters, summary: Summary, responses: dict[int | None, Decimal] | None
) -> None:
    approved, decided, breaches = db.reporting.execute(
        leads_in(filters).with_only_columns(
            func.count(case((APPROVED, 1))),
            func.count(case((DECIDED, 1))),
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


def response_medians(filters: Filters) -> dict[int | None, Decimal]:
    """Median hours from a lead's creation to the bank's first response: per bank, and over
    all banks under the key None. The summary and the bank ranking share one query.

    PostgreSQL takes the medians itself (percentile_cont, which averages the middle pair as
    statistics.median does); SQLite has no percentile function, so it subtracts the timestamps
    and hands back one float per lead, and Python takes the medians.
    """
    hours = hours_between(Lead.created_at, Lead.first_response_at)
    answered = leads_in(filters).where(Lead.first_response_at.is_not(None))
    if postgres():
        rows = db.reporting.execute(
            answered.with_only_columns(
                Lead.institution_id, func.percentile_cont(0.5).within_group(hours)
            ).group_by(func.grouping_sets(tuple_(Lead.institution_id), tuple_()))
        )
        return {bank: tenth(value) for bank, value in rows if value is not None}
    per_bank: dict[int | None, list[float]] = defaultdict(list)
    for bank, value in db.reporting.execute(
        answered.with_only_columns(Lead.institution_id, cast(hours, Float))
    ):
        per_bank[bank].append(value)
        per_bank[None].append(value)
    return {bank: tenth(statistics.median(values)) for bank, values in per_bank.items()}


def _need_figures(filters: Filters, summary: Summary) -> None:
    """Needs with credit approved, and how many of them the same day they were submitted."""
    first_approval = (
        leads_in(filters, with_need=True)
        .with_only_columns(
            FinancingNeed.created_at.label("submitted"),
            func.min(Lead.decided_at).label("approved"),
        )
        .where(APPROVED)
        .group_by(FinancingNeed.id, FinancingNeed.created_at)
        .subquery()
    )
    same_day = local_date(first_approval.c.submitted) == local_date(first_approval.c.approved)
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
            func.count(case((APPROVED, 1))),
            func.count(case((DECIDED, 1))),
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
            func.sum(NPL_BALANCE),
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
    """Loan count and amount per value of a column (region, industry division, size class,
    product), largest amount first."""
    rows = db.reporting.execute(
        loans_in(filters, with_firm=True)
        .with_only_columns(column, func.count(Loan.id), func.sum(Loan.amount))
        .group_by(column)
        .order_by(func.sum(Loan.amount).desc())
    ).all()
    return [group_row(key, count, amount) for key, count, amount in rows]


def group_row(key: Any, count: int, amount: Any) -> GroupRow:
    """One group; a missing key (a loan of no product) is the empty string."""
    return GroupRow("" if key is None else str(key), count, Decimal(amount or 0))
