"""Dashboard rollups: the supervision figures read from narrow copies of the live rows.

The live figures (`metrics.figures`) join 254,000 firms and add up 449,000 monthly reports per
view at province scale. The dashboard reads instead:

- `dashboard_loan_facts` and `dashboard_lead_facts`: one row per loan and per lead, carrying the
  firm's region, industry division and size class, and each lead's durations already worked
  out. Medians, the inclusive-lending pairs and the same-day count cannot be added up from
  monthly totals, so they are taken over these rows, with the same SQL expressions as the live
  figures: the answers are the same numbers.
- `dashboard_report_cells`: reports added up per month × bank × product × region × industry ×
  size class, and `dashboard_report_months` without product and industry (a few hundred rows a
  month), for the NPL ratios and the contradiction alerts.

Freshness: the scheduler refreshes the current and previous month every few minutes
(`refresh_recent`) and rebuilds everything once a day (`rebuild_daily`), as does
`flask --app wsgi supervision rebuild-rollups` and the province seed. A change to an older month
(a late report, an old lead decided, a firm's profile edited) reaches the dashboard at the next
full rebuild. The dashboard shows when the rollups were last refreshed; until they are first
built it computes every figure live.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Select,
    case,
    delete,
    extract,
    func,
    insert,
    or_,
    select,
    tuple_,
    type_coerce,
)

from portal.dates import SHANGHAI
from portal.db import utcnow
from portal.enums import LeadStatus
from portal.extensions import db
from portal.firms.models import Firm
from portal.institutions.models import FinancialInstitution
from portal.leads.models import Lead, Loan
from portal.matching.models import FinancingNeed
from portal.supervision import metrics
from portal.supervision.metrics import (
    FOUR,
    INCLUSIVE_CREDIT_CEILING,
    INCLUSIVE_SIZES,
    TWO,
    BankFigures,
    Figures,
    Filters,
    GroupRow,
    MonthFigures,
    Summary,
    next_month,
)
from portal.supervision.models import (
    DashboardLeadFact,
    DashboardLoanFact,
    DashboardReportCell,
    DashboardReportMonth,
    LoanStatusReport,
    SystemSetting,
)

LoanF, LeadF, Cell, MonthCell = (
    DashboardLoanFact,
    DashboardLeadFact,
    DashboardReportCell,
    DashboardReportMonth,
)
# When the rollups were last refreshed (any months) and last rebuilt whole, as ISO UTC times.
REFRESHED_KEY = "dashboard_rollups_refreshed_at"
REBUILT_KEY = "dashboard_rollups_rebuilt_at"
# How often the scheduler refreshes the current and previous month (portal.scheduler.JOBS).
REFRESH_EVERY = dt.timedelta(minutes=5)


# --- building the rollups --------------------------------------------------------------------


def rebuild() -> int:
    """Rebuild every rollup from the live tables, in one transaction; the rows written."""
    written = _refresh(None, None)
    _stamp(REBUILT_KEY)
    db.session.commit()
    return written


def refresh_recent(today: dt.date) -> int:
    """Rebuild the previous and the current month (Shanghai calendar); the rows written.

    Does nothing before the first full rebuild: until then the dashboard reads the live tables.
    """
    if db.session.get(SystemSetting, REBUILT_KEY) is None:
        return 0
    this_month = today.replace(day=1)
    previous = (this_month - dt.timedelta(days=1)).replace(day=1)
    written = _refresh(previous, this_month)
    db.session.commit()
    return written


def rebuild_daily(today: dt.date) -> int:
    """Rebuild everything when the last full rebuild was before today (Shanghai); else nothing."""
    rebuilt = _stamp_value(REBUILT_KEY)
    if rebuilt is not None and rebuilt.astimezone(SHANGHAI).date() >= today:
        return 0
    return rebuild()


def _refresh(first: dt.date | None, last: dt.date | None) -> int:
    """Replace the rollup rows of the months first..last (both None: all months)."""
    written = _refresh_loans(first, last) + _refresh_leads(first, last)
    written += _refresh_reports(first, last)
    _stamp(REFRESHED_KEY)
    return written


def _refresh_loans(first: dt.date | None, last: dt.date | None) -> int:
    rows = select(
        Loan.id,
        Loan.disbursed_on,
        Loan.institution_id,
        Loan.product_id,
        Loan.firm_id,
        Firm.region_code,
        func.substr(Firm.industry_code, 1, 2),
        Firm.size_class,
        Loan.amount,
        Loan.rate,
        Loan.subsidy_rate,
    ).join(Firm, Firm.id == Loan.firm_id)
    old = delete(LoanF)
    if first is not None and last is not None:
        rows = rows.where(Loan.disbursed_on >= first, Loan.disbursed_on < next_month(last))
        old = old.where(LoanF.disbursed_on >= first, LoanF.disbursed_on < next_month(last))
    columns = [
        "loan_id",
        "disbursed_on",
        "institution_id",
        "product_id",
        "firm_id",
        "region_code",
        "industry_division",
        "size_class",
        "amount",
        "rate",
        "subsidy_rate",
    ]
    db.session.execute(old)
    db.session.execute(insert(LoanF).from_select(columns, rows))
    return _written(LoanF, old)


def _refresh_leads(first: dt.date | None, last: dt.date | None) -> int:
    approved = Lead.approved_amount.is_not(None)
    rows = (
        select(
            Lead.id,
            Lead.created_at,
            Lead.institution_id,
            Lead.product_id,
            Lead.need_id,
            Firm.region_code,
            func.substr(Firm.industry_code, 1, 2),
            Firm.size_class,
            approved,
            or_(approved, Lead.status == LeadStatus.DECLINED),
            Lead.sla_breached,
            metrics._hours_between(Lead.created_at, Lead.first_response_at),
            metrics._days_between(Lead.created_at, Loan.disbursed_on),
            metrics._local_date(FinancingNeed.created_at),
            case((approved, metrics._local_date(Lead.decided_at))),
        )
        .join(FinancingNeed, FinancingNeed.id == Lead.need_id)
        .join(Firm, Firm.id == FinancingNeed.firm_id)
        .outerjoin(Loan, Loan.lead_id == Lead.id)
        .where(Lead.institution_id.is_not(None))
    )
    old = delete(LeadF)
    if first is not None and last is not None:
        start, end = _moment(first), _moment(next_month(last))
        rows = rows.where(Lead.created_at >= start, Lead.created_at < end)
        old = old.where(LeadF.created_at >= start, LeadF.created_at < end)
    columns = [
        "lead_id",
        "created_at",
        "institution_id",
        "product_id",
        "need_id",
        "region_code",
        "industry_division",
        "size_class",
        "approved",
        "decided",
        "sla_breached",
        "response_hours",
        "claim_days",
        "need_day",
        "approved_day",
    ]
    db.session.execute(old)
    db.session.execute(insert(LeadF).from_select(columns, rows))
    return _written(LeadF, old)


def _refresh_reports(first: dt.date | None, last: dt.date | None) -> int:
    report = LoanStatusReport
    keys = (
        report.period,
        report.institution_id,
        Loan.product_id,
        Firm.region_code,
        func.substr(Firm.industry_code, 1, 2),
        Firm.size_class,
    )
    rows = (
        select(
            *keys,
            func.count(report.id),
            func.sum(report.balance),
            func.sum(metrics._NPL),
            func.count(case((report.contradicts_overdue_rules.is_(True), 1))),
        )
        .join(Loan, Loan.id == report.loan_id)
        .join(Firm, Firm.id == Loan.firm_id)
        .group_by(*keys)
    )
    old_cells, old_months = delete(Cell), delete(MonthCell)
    if first is not None and last is not None:
        rows = rows.where(report.period >= first, report.period <= last)
        old_cells = old_cells.where(Cell.period >= first, Cell.period <= last)
        old_months = old_months.where(MonthCell.period >= first, MonthCell.period <= last)
    sums = ["reports", "balance", "npl_balance", "contradicting"]
    db.session.execute(old_cells)
    db.session.execute(old_months)
    db.session.execute(
        insert(Cell).from_select(
            ["period", "institution_id", "product_id", "region_code", "industry_division"]
            + ["size_class", *sums],
            rows,
        )
    )
    month_keys = (Cell.period, Cell.institution_id, Cell.region_code, Cell.size_class)
    months = select(
        *month_keys,
        func.sum(Cell.reports),
        func.sum(Cell.balance),
        func.sum(Cell.npl_balance),
        func.sum(Cell.contradicting),
    ).group_by(*month_keys)
    if first is not None and last is not None:
        months = months.where(Cell.period >= first, Cell.period <= last)
    db.session.execute(
        insert(MonthCell).from_select(
            ["period", "institution_id", "region_code", "size_class", *sums], months
        )
    )
    return _written(Cell, old_cells) + _written(MonthCell, old_months)


def _written(table: Any, replaced: Any) -> int:
    """The rows now in the months just replaced (the DELETE's conditions): psycopg reports no
    row count for INSERT … SELECT."""
    statement = select(func.count()).select_from(table)
    if replaced.whereclause is not None:
        statement = statement.where(replaced.whereclause)
    return db.session.scalar(statement) or 0


def _moment(month: dt.date) -> dt.datetime:
    """Midnight of a month's first day in Asia/Shanghai: where the live figures cut leads."""
    return dt.datetime.combine(month, dt.time(), tzinfo=SHANGHAI)


def _stamp(key: str) -> None:
    row = db.session.get(SystemSetting, key)
    value = utcnow().isoformat()
    if row is None:
        db.session.add(SystemSetting(key=key, value=value))
    else:
        row.value = value
    db.session.flush()


def _stamp_value(key: str) -> dt.datetime | None:
    row = db.reporting.get(SystemSetting, key)
    return None if row is None else dt.datetime.fromisoformat(row.value)


def refreshed_at() -> dt.datetime | None:
    """When the rollups were last refreshed, or None when they were never built."""
    if _stamp_value(REBUILT_KEY) is None:
        return None
    return _stamp_value(REFRESHED_KEY)


def rebuilt_at() -> dt.datetime | None:
    """When the rollups were last rebuilt whole (older months are as fresh as this)."""
    return _stamp_value(REBUILT_KEY)


# --- the figures from the rollups ----------------------------------------------------------


def dashboard_figures(filters: Filters) -> Figures:
    """The dashboard's figures: from the rollups once built, else from the live tables."""
    if rebuilt_at() is None:
        return metrics.figures(filters)
    return figures(filters)


def dashboard_bank_figures(filters: Filters) -> list[BankFigures]:
    """Per-bank figures and ranking, from the same source as `dashboard_figures`."""
    if rebuilt_at() is None:
        return metrics.bank_figures(filters)
    return bank_figures(filters)


def figures(filters: Filters) -> Figures:
    """Every figure of `metrics.figures`, read from the rollups (the same numbers).

    Each table is read once: on PostgreSQL one statement computes all the groupings a table
    serves (GROUPING SETS), on SQLite one statement per grouping.
    """
    names = dict(
        db.reporting.execute(select(FinancialInstitution.id, FinancialInstitution.short_name)).all()
    )
    banks: dict[int, BankFigures] = {}

    def bank(institution_id: int) -> BankFigures:
        if institution_id not in banks:
            banks[institution_id] = BankFigures(institution_id, names.get(institution_id, ""))
        return banks[institution_id]

    months = {m: MonthFigures(m) for m in filters.months()}
    summary = Summary()
    by_region, by_industry = _loan_figures(filters, months, summary, bank)
    summary.inclusive_loans, summary.inclusive_amount = _inclusive(filters)
    _lead_figures(filters, summary, bank)
    summary.credited_needs, summary.same_day_needs = _same_day(filters)
    _report_figures(filters, months, bank)
    metrics._attach_lpr(months)
    rows = list(months.values())
    summary.npl_ratio = next((m.npl_ratio for m in reversed(rows) if m.reported_balance), None)
    return Figures(
        filters=filters,
        summary=summary,
        months=rows,
        banks=metrics.rank_banks(banks.values()),
        by_region=by_region,
        by_industry=by_industry,
    )


def bank_figures(filters: Filters) -> list[BankFigures]:
    """Per-bank figures and the ranking, as `metrics.bank_figures` gives them."""
    return figures(filters).banks


def _cut(table: Any, filters: Filters) -> list[Any]:
    """The filters as conditions on a rollup table's own columns."""
    conditions = []
    for name in ("region_code", "industry_division", "size_class", "institution_id", "product_id"):
        value = getattr(filters, name)
        if value:
            conditions.append(getattr(table, name) == value)
    return conditions


def _loans(filters: Filters) -> Select[Any]:
    return (
        select(LoanF)
        .where(LoanF.disbursed_on >= filters.start, LoanF.disbursed_on < filters.period_end)
        .where(*_cut(LoanF, filters))
    )


def _leads(filters: Filters) -> Select[Any]:
    return (
        select(LeadF)
        .where(
            LeadF.created_at >= _moment(filters.start),
            LeadF.created_at < _moment(filters.period_end),
        )
        .where(*_cut(LeadF, filters))
    )


def _reports(filters: Filters) -> tuple[Any, Select[Any]]:
    """The report table that holds the cut (the small one unless product or industry is cut)."""
    table = Cell if filters.product_id or filters.industry_division else MonthCell
    statement = (
        select(table)
        .where(table.period >= filters.start, table.period <= filters.end)
        .where(*_cut(table, filters))
    )
    return table, statement


Groupings = dict[tuple[str, ...], list[tuple[tuple[Any, ...], tuple[Any, ...]]]]


def _grouping_sets(
    statement: Select[Any],
    keys: dict[str, Any],
    sets: tuple[tuple[str, ...], ...],
    measures: tuple[Any, ...],
) -> Groupings:
    """The measures per value of each set of keys: {set: [(key values, measures), ...]}.

    PostgreSQL computes every set in one pass (GROUPING SETS; GROUPING() tells the rows apart);
    SQLite has no grouping sets, so it runs one statement per set.
    """
    names = list(keys)
    result: Groupings = {group: [] for group in sets}
    if metrics._postgres():
        columns = [keys[name] for name in names]
        bits = {
            sum(1 << (len(names) - 1 - i) for i, name in enumerate(names) if name not in group): (
                group
            )
            for group in sets
        }
        grouped_by = func.grouping_sets(*(tuple_(*(keys[k] for k in group)) for group in sets))
        rows = db.reporting.execute(
            statement.with_only_columns(*columns, func.grouping(*columns), *measures).group_by(
                grouped_by
            )
        )
        for row in rows:
            group = bits[row[len(names)]]
            values = tuple(row[names.index(k)] for k in group)
            result[group].append((values, tuple(row[len(names) + 1 :])))
        return result
    for group in sets:
        columns = [keys[k] for k in group]
        for row in db.reporting.execute(
            statement.with_only_columns(*columns, *measures).group_by(*columns)
        ):
            result[group].append((tuple(row[: len(group)]), tuple(row[len(group) :])))
    return result


def _loan_figures(
    filters: Filters, months: dict[dt.date, MonthFigures], summary: Summary, bank: Any
) -> tuple[list[GroupRow], list[GroupRow]]:
    """Volume and rates per month and in all, volume per bank, region and industry division."""
    keys = {
        "year": extract("year", LoanF.disbursed_on),
        "month": extract("month", LoanF.disbursed_on),
        "bank": LoanF.institution_id,
        "region": LoanF.region_code,
        "industry": LoanF.industry_division,
    }
    sets = (("year", "month"), ("bank",), ("region",), ("industry",), ())
    measures = (
        func.count(LoanF.loan_id),
        func.sum(LoanF.amount),
        func.sum(LoanF.amount * LoanF.rate),
        func.sum(LoanF.amount * (LoanF.rate - LoanF.subsidy_rate)),
    )
    found = _grouping_sets(_loans(filters), keys, sets, measures)
    for (y, m), (count, amount, rate_sum, adjusted_sum) in found[("year", "month")]:
        _volume(months[dt.date(int(y), int(m), 1)], count, amount, rate_sum, adjusted_sum)
    for _key, (count, amount, rate_sum, adjusted_sum) in found[()]:
        _volume(summary, count, amount, rate_sum, adjusted_sum)
    for (institution_id,), (count, amount, _rated, _adjusted) in found[("bank",)]:
        row = bank(institution_id)
        row.loans, row.amount = count, Decimal(amount or 0)
    return _groups(found[("region",)]), _groups(found[("industry",)])


def _volume(row: Any, count: int, amount: Any, rate_sum: Any, adjusted_sum: Any) -> None:
    row.loans, row.amount = count, Decimal(amount or 0)
    row.average = metrics._per(row.amount, count, TWO)
    row.weighted_rate = metrics._per(Decimal(rate_sum or 0), row.amount, FOUR)
    row.adjusted_rate = metrics._per(Decimal(adjusted_sum or 0), row.amount, FOUR)


def _groups(rows: list[tuple[tuple[Any, ...], tuple[Any, ...]]]) -> list[GroupRow]:
    """Groups by amount, largest first (the live figures' order)."""
    groups = [GroupRow(str(key), n, Decimal(amount or 0)) for (key,), (n, amount, *_) in rows]
    return sorted(groups, key=lambda g: (-g.amount, g.key))


def _inclusive(filters: Filters) -> tuple[int, Decimal]:
    """Loans to small and micro firms whose credit from that bank is at most 1,000 万元."""
    pairs = (
        _loans(filters)
        .with_only_columns(
            func.count(LoanF.loan_id).label("loans"), func.sum(LoanF.amount).label("credit")
        )
        .where(LoanF.size_class.in_(INCLUSIVE_SIZES))
        .group_by(LoanF.firm_id, LoanF.institution_id)
        .having(func.sum(LoanF.amount) <= INCLUSIVE_CREDIT_CEILING)
        .subquery()
    )
    count, amount = db.reporting.execute(
        select(func.coalesce(func.sum(pairs.c.loans), 0), func.sum(pairs.c.credit))
    ).one()
    return int(count), Decimal(amount or 0)


def _lead_figures(filters: Filters, summary: Summary, bank: Any) -> None:
    """Approved, decided and breached leads per bank and in all; the response and claim medians.

    PostgreSQL takes the medians in the same pass (percentile_cont skips the leads without a
    response or a loan); SQLite returns the durations and Python takes the medians.
    """
    postgres = metrics._postgres()
    measures: tuple[Any, ...] = (
        func.count(case((LeadF.approved.is_(True), 1))),
        func.count(case((LeadF.decided.is_(True), 1))),
        func.count(case((LeadF.sla_breached.is_(True), 1))),
    )
    if postgres:
        # Typed as the live expressions are, so that SQLAlchemy hands back the same values
        # (a Numeric rounds percentile_cont's float to ten places before the hours are rounded).
        hours = metrics._hours_between(Lead.created_at, Lead.first_response_at).type
        days = metrics._days_between(Lead.created_at, Loan.disbursed_on).type
        measures += (
            type_coerce(func.percentile_cont(0.5).within_group(LeadF.response_hours), hours),
            type_coerce(func.percentile_cont(0.5).within_group(LeadF.claim_days), days),
        )
    found = _grouping_sets(
        _leads(filters), {"bank": LeadF.institution_id}, (("bank",), ()), measures
    )
    for (institution_id,), (approved, decided, breaches, *medians) in found[("bank",)]:
        row = bank(institution_id)
        row.approved_leads, row.decided_leads, row.sla_breaches = approved, decided, breaches
        if medians and medians[0] is not None:
            row.median_response_hours = metrics._tenth(medians[0])
    for _key, (approved, decided, breaches, *medians) in found[()]:
        summary.approved_leads, summary.decided_leads = approved, decided
        summary.sla_breaches = breaches
        if medians:
            hours, days = medians
            summary.median_response_hours = None if hours is None else metrics._tenth(hours)
            summary.median_claim_to_disbursement_days = (
                None if days is None else metrics._whole(days)
            )
    if not postgres:
        _python_medians(filters, summary, bank)


def _python_medians(filters: Filters, summary: Summary, bank: Any) -> None:
    """SQLite: the medians of the response hours and claim days, taken in Python."""
    per_bank: dict[int, list[float]] = defaultdict(list)
    every: list[float] = []
    answered = _leads(filters).where(LeadF.response_hours.is_not(None))
    for institution_id, value in db.reporting.execute(
        answered.with_only_columns(LeadF.institution_id, LeadF.response_hours)
    ):
        per_bank[institution_id].append(value)
        every.append(value)
    for institution_id, values in per_bank.items():
        bank(institution_id).median_response_hours = metrics._tenth(statistics.median(values))
    if every:
        summary.median_response_hours = metrics._tenth(statistics.median(every))
    claims = _leads(filters).where(LeadF.claim_days.is_not(None))
    days = db.reporting.scalars(claims.with_only_columns(LeadF.claim_days)).all()
    if days:
        median = statistics.median(round(value) for value in days)
        summary.median_claim_to_disbursement_days = metrics._whole(median)


def _same_day(filters: Filters) -> tuple[int, int]:
    """Needs with credit approved, and those approved on the day they were submitted.

    The Shanghai day of the earliest approval is the earliest of the approvals' days, so the
    per-lead days stored in the rollup give the live figure's answer.
    """
    needs = (
        _leads(filters)
        .with_only_columns(
            func.min(LeadF.need_day).label("submitted"),
            func.min(LeadF.approved_day).label("approved"),
        )
        .where(LeadF.approved.is_(True))
        .group_by(LeadF.need_id)
        .subquery()
    )
    same = needs.c.submitted == needs.c.approved
    credited, same_day = db.reporting.execute(
        select(func.count(), func.count(case((same, 1))))
    ).one()
    return credited, same_day


def _report_figures(filters: Filters, months: dict[dt.date, MonthFigures], bank: Any) -> None:
    """NPL and reported balances per month, and per bank in the range's last month."""
    table, reports = _reports(filters)
    keys = {"period": table.period, "bank": table.institution_id}
    measures = (func.sum(table.npl_balance), func.sum(table.balance))
    found = _grouping_sets(reports, keys, (("period",), ("period", "bank")), measures)
    for (period,), (bad, total) in found[("period",)]:
        row = months[period]
        row.npl_balance, row.reported_balance = Decimal(bad or 0), Decimal(total or 0)
    for (period, institution_id), (bad, total) in found[("period", "bank")]:
        if period == filters.end:
            row = bank(institution_id)
            row.npl_balance, row.reported_balance = Decimal(bad or 0), Decimal(total or 0)


def contradictions(filters: Filters) -> list[tuple[int, str, int]]:
    """Per bank: reports in the period whose class contradicts the overdue days (id, name, n)."""
    table, reports = _reports(filters)
    count = func.sum(table.contradicting)
    return [
        (bank_id, name, int(n))
        for bank_id, name, n in db.reporting.execute(
            reports.join(FinancialInstitution, FinancialInstitution.id == table.institution_id)
            .with_only_columns(table.institution_id, FinancialInstitution.short_name, count)
            .group_by(table.institution_id, FinancialInstitution.short_name)
            .having(count > 0)
            .order_by(count.desc(), FinancialInstitution.short_name)
        )
    ]
