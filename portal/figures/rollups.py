"""Dashboard rollups: the supervision figures read from narrow copies of the live rows.

The live figures (`live.figures`) join 254,000 firms and add up 449,000 monthly reports per
view at province scale. The dashboard reads instead:

- `dashboard_loan_facts` and `dashboard_lead_facts`: one row per loan and per lead, carrying the
  firm's region, industry division and size class, and each lead's durations already worked
  out. Medians, the inclusive-lending flags and the same-day count cannot be added up from
  monthly totals, so they are taken over these rows, with the same SQL expressions as the live
  figures (`portal.figures.definitions`): the answers are the same numbers.
- `dashboard_report_cells`: reports added up per month × bank × product × region × industry ×
  size class, and `dashboard_report_months` without product and industry (a few hundred rows a
  month), for the NPL ratios and the contradiction alerts.

Freshness: every write to a loan, lead or status report marks its month in the same
transaction (`portal.figures.freshness`). The scheduler rebuilds exactly the marked months
every minute (`refresh_dirty`), whatever their age; `flask --app wsgi supervision
rebuild-rollups` and the province seed rebuild everything. The dashboard states when the
rollups were last refreshed, and reads the live tables instead for a cut with a month that has
waited longer than `STALE_AFTER` (the refresh job is not running) or before the first build,
which the refresh job's first run makes.
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
    select,
    tuple_,
    type_coerce,
    union,
    update,
)
from sqlalchemy.orm import aliased

from portal.dates import SHANGHAI, next_month
from portal.db import utcnow
from portal.extensions import db
from portal.figures import live
from portal.figures.definitions import (
    APPROVED,
    DECIDED,
    NPL_BALANCE,
    adjusted_cost,
    attach_lpr,
    claim_days,
    hours_between,
    inclusive,
    local_date,
    lpr_schedule,
    median,
    postgres,
    tenth,
    weighted_lpr,
    whole,
)
from portal.figures.live import (
    BankFigures,
    Figures,
    Filters,
    GroupRow,
    MonthFigures,
    Summary,
)
from portal.figures.models import (
    DashboardLeadFact,
    DashboardLoanFact,
    DashboardReportCell,
    DashboardReportMonth,
    MonthMark,
)
from portal.firms.models import Firm
from portal.institutions.models import FinancialInstitution
from portal.leads.models import Lead, Loan
from portal.needs.models import FinancingNeed
from portal.reporting.models import LoanStatusReport
from portal.settings import SystemSetting

LoanF, LeadF, Cell, MonthCell = (
    DashboardLoanFact,
    DashboardLeadFact,
    DashboardReportCell,
    DashboardReportMonth,
)
# When the rollups were last refreshed (the marked months) and last rebuilt whole, as ISO UTC.
REFRESHED_KEY = "dashboard_rollups_refreshed_at"
REBUILT_KEY = "dashboard_rollups_rebuilt_at"
# How often the scheduler refreshes the marked months (portal.scheduler.JOBS).
REFRESH_EVERY = dt.timedelta(minutes=1)
# A month marked longer ago than this is read live: the refresh job has stopped or fallen behind.
STALE_AFTER = dt.timedelta(minutes=15)
# Rolled-up marks are kept a while for the monthly reports' revision check, then dropped.
KEEP_MARKS = dt.timedelta(days=3)
_FLAG_CHUNK = 500


# --- building the rollups --------------------------------------------------------------------


def rebuild() -> int:
    """Rebuild every rollup from the live tables, in one transaction; the rows written."""
    marks = _unrolled_mark_ids()
    written = _refresh(None, None)
    _flag_rolled_up(marks)
    _stamp(REBUILT_KEY)
    db.session.commit()
    return written


def refresh_dirty(now: dt.datetime | None = None) -> int:
    """Rebuild the months marked since they were last rolled up; the rows written.

    The marks read first are the ones flagged afterwards: a change committed while the months
    are being rebuilt keeps its mark and is taken in by the next run. The first run (a new
    database, or one whose rollup tables a migration emptied) rebuilds everything.
    """
    if db.session.get(SystemSetting, REBUILT_KEY) is None:
        return rebuild()
    marks = db.session.execute(
        select(MonthMark.id, MonthMark.period).where(MonthMark.rolled_up.is_(False))
    ).all()
    written = 0
    for month in sorted({period for _id, period in marks}):
        written += _refresh(month, month)
    _flag_rolled_up([mark_id for mark_id, _period in marks])
    db.session.execute(
        delete(MonthMark).where(
            MonthMark.rolled_up.is_(True), MonthMark.marked_at < (now or utcnow()) - KEEP_MARKS
        )
    )
    _stamp(REFRESHED_KEY)
    db.session.commit()
    return written


def _unrolled_mark_ids() -> list[int]:
    return list(db.session.scalars(select(MonthMark.id).where(MonthMark.rolled_up.is_(False))))


def _flag_rolled_up(mark_ids: list[int]) -> None:
    for start in range(0, len(mark_ids), _FLAG_CHUNK):
        chunk = mark_ids[start : start + _FLAG_CHUNK]
        db.session.execute(update(MonthMark).where(MonthMark.id.in_(chunk)).values(rolled_up=True))


def stale_months(filters: Filters, now: dt.datetime | None = None) -> list[dt.date]:
    """The cut's months marked longer than STALE_AFTER ago and not rolled up since."""
    oldest = func.min(MonthMark.marked_at)
    return list(
        db.reporting.scalars(
            select(MonthMark.period)
            .where(
                MonthMark.rolled_up.is_(False),
                MonthMark.period >= filters.start,
                MonthMark.period <= filters.end,
            )
            .group_by(MonthMark.period)
            .having(oldest < (now or utcnow()) - STALE_AFTER)
            .order_by(MonthMark.period)
        )
    )


def _refresh(first: dt.date | None, last: dt.date | None) -> int:
    """Replace the rollup rows of the months first..last (both None: all months)."""
    written = _refresh_loans(first, last) + _refresh_leads(first, last)
    written += _refresh_reports(first, last)
    _stamp(REFRESHED_KEY)
    return written


def _refresh_loans(first: dt.date | None, last: dt.date | None) -> int:
    rows = (
        select(
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
            Loan.guarantee_fee_rate,
            Loan.fee_subsidy_rate,
            inclusive(Firm.size_class, Loan),
            claim_days(),
        )
        .join(Firm, Firm.id == Loan.firm_id)
        .outerjoin(Lead, Lead.id == Loan.lead_id)
    )
    old = delete(LoanF)
    if first is not None and last is not None:
        end = next_month(last)
        rows = rows.where(Loan.disbursed_on >= first, Loan.disbursed_on < end)
        old = old.where(LoanF.disbursed_on >= first, LoanF.disbursed_on < end)
        _reflag_later_loans(first, end)
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
        "guarantee_fee_rate",
        "fee_subsidy_rate",
        "inclusive",
        "claim_days",
    ]
    db.session.execute(old)
    db.session.execute(insert(LoanF).from_select(columns, rows))
    return _written(LoanF, old)


def _reflag_later_loans(start: dt.date, end: dt.date) -> None:
    """Work out again the 普惠 flag of the loans after the months being refreshed whose firm
    has a loan from the same bank in those months (now, or in the rows being replaced): a loan
    added, changed or removed there changes the firm's credit at the bank later on."""
    refreshed = aliased(LoanF, name="refreshed_fact")  # not the UPDATE's own row
    touched = union(
        *(
            select(table.firm_id, table.institution_id).where(
                table.disbursed_on >= start, table.disbursed_on < end
            )
            for table in (Loan, refreshed)
        )
    )
    db.session.execute(
        update(LoanF)
        .where(
            LoanF.disbursed_on >= end,
            tuple_(LoanF.firm_id, LoanF.institution_id).in_(touched),
        )
        .values(inclusive=inclusive(LoanF.size_class, LoanF))
        .execution_options(synchronize_session=False)
    )


def _refresh_leads(first: dt.date | None, last: dt.date | None) -> int:
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
            APPROVED,
            DECIDED,
            Lead.sla_breached,
            hours_between(Lead.created_at, Lead.first_response_at),
            local_date(FinancingNeed.created_at),
            case((APPROVED, local_date(Lead.decided_at))),
        )
        .join(FinancingNeed, FinancingNeed.id == Lead.need_id)
        .join(Firm, Firm.id == FinancingNeed.firm_id)
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
            func.sum(NPL_BALANCE),
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


def freshness(filters: Filters) -> tuple[list[dt.date], bool]:
    """The cut's stale months, and whether the dashboard computes it live: the rollups were
    never built, or a month was left stale."""
    stale = stale_months(filters)
    return stale, rebuilt_at() is None or bool(stale)


def reads_live(filters: Filters) -> bool:
    return freshness(filters)[1]


def dashboard_figures(filters: Filters) -> Figures:
    """The dashboard's figures: from the rollups, or live when `reads_live` says so."""
    if reads_live(filters):
        return live.figures(filters)
    return figures(filters)


def dashboard_bank_figures(filters: Filters) -> list[BankFigures]:
    """Per-bank figures and ranking, from the same source as `dashboard_figures`."""
    if reads_live(filters):
        return live.bank_figures(filters)
    return bank_figures(filters)


def figures(filters: Filters) -> Figures:
    """Every figure of `live.figures`, read from the rollups (the same numbers).

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
    groups, lent = _loan_figures(filters, months, summary, bank)
    summary.lpr = weighted_lpr(lent, lpr_schedule())
    summary.median_claim_to_disbursement_days = _claim_median(filters)
    _lead_figures(filters, summary, bank)
    summary.credited_needs, summary.same_day_needs = _same_day(filters)
    _report_figures(filters, months, bank)
    attach_lpr(months, lent)
    rows = list(months.values())
    summary.npl_ratio = next((m.npl_ratio for m in reversed(rows) if m.reported_balance), None)
    return Figures(
        filters=filters,
        summary=summary,
        months=rows,
        banks=live.rank_banks(banks.values()),
        by_region=groups["region"],
        by_industry=groups["industry"],
        by_size=groups["size"],
        by_product=groups["product"],
    )


def bank_figures(filters: Filters) -> list[BankFigures]:
    """Per-bank figures and the ranking, as `live.bank_figures` gives them."""
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
    if postgres():
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
) -> tuple[dict[str, list[GroupRow]], dict[dt.date, Decimal]]:
    """Volume and rates per month and in all, inclusive lending in all, volume per bank,
    region, industry division, size class and product; and the amount lent per day (for the
    weighted LPR)."""
    keys = {
        "year": extract("year", LoanF.disbursed_on),
        "month": extract("month", LoanF.disbursed_on),
        "day": LoanF.disbursed_on,
        "bank": LoanF.institution_id,
        "region": LoanF.region_code,
        "industry": LoanF.industry_division,
        "size": LoanF.size_class,
        "product": LoanF.product_id,
    }
    cuts = (("region",), ("industry",), ("size",), ("product",))
    sets = (("year", "month"), ("day",), ("bank",), *cuts, ())
    counted = LoanF.inclusive.is_(True)
    measures = (
        func.count(LoanF.loan_id),
        func.sum(LoanF.amount),
        func.sum(LoanF.amount * LoanF.rate),
        func.sum(LoanF.amount * adjusted_cost(LoanF)),
        func.count(case((counted, 1))),
        func.sum(case((counted, LoanF.amount))),
    )
    found = _grouping_sets(_loans(filters), keys, sets, measures)
    for (y, m), volume in found[("year", "month")]:
        live.set_volume(months[dt.date(int(y), int(m), 1)], *volume[:4])
    for _key, volume in found[()]:
        live.set_volume(summary, *volume[:4])
        summary.inclusive_loans, summary.inclusive_amount = volume[4], Decimal(volume[5] or 0)
    for (institution_id,), (count, amount, *_rest) in found[("bank",)]:
        row = bank(institution_id)
        row.loans, row.amount = count, Decimal(amount or 0)
    lent = {day: Decimal(amount or 0) for (day,), (_n, amount, *_rest) in found[("day",)]}
    return {cut: _groups(found[(cut,)]) for (cut,) in cuts}, lent


def _groups(rows: list[tuple[tuple[Any, ...], tuple[Any, ...]]]) -> list[GroupRow]:
    """Groups by amount, largest first (the live figures' order)."""
    groups = [live.group_row(key, n, amount) for (key,), (n, amount, *_) in rows]
    return sorted(groups, key=lambda g: (-g.amount, g.key))


def _claim_median(filters: Filters) -> Decimal | None:
    """Median claim-to-disbursement days over the loans disbursed in the period."""
    days = median(_loans(filters), LoanF.claim_days, days=True)
    return None if days is None else whole(days)


def _lead_figures(filters: Filters, summary: Summary, bank: Any) -> None:
    """Approved, decided and breached leads per bank and in all; the response-time medians.

    PostgreSQL takes the medians in the same pass (percentile_cont skips the leads without a
    response); SQLite returns the durations and Python takes the medians.
    """
    on_postgres = postgres()
    measures: tuple[Any, ...] = (
        func.count(case((LeadF.approved.is_(True), 1))),
        func.count(case((LeadF.decided.is_(True), 1))),
        func.count(case((LeadF.sla_breached.is_(True), 1))),
    )
    if on_postgres:
        # Typed as the live expression is, so that SQLAlchemy hands back the same values
        # (a Numeric rounds percentile_cont's float to ten places before the hours are rounded).
        hours = hours_between(Lead.created_at, Lead.first_response_at).type
        measures += (
            type_coerce(func.percentile_cont(0.5).within_group(LeadF.response_hours), hours),
        )
    found = _grouping_sets(
        _leads(filters), {"bank": LeadF.institution_id}, (("bank",), ()), measures
    )
    for (institution_id,), (approved, decided, breaches, *medians) in found[("bank",)]:
        row = bank(institution_id)
        row.approved_leads, row.decided_leads, row.sla_breaches = approved, decided, breaches
        if medians and medians[0] is not None:
            row.median_response_hours = tenth(medians[0])
    for _key, (approved, decided, breaches, *medians) in found[()]:
        summary.approved_leads, summary.decided_leads = approved, decided
        summary.sla_breaches = breaches
        if medians and medians[0] is not None:
            summary.median_response_hours = tenth(medians[0])
    if not on_postgres:
        _python_medians(filters, summary, bank)


def _python_medians(filters: Filters, summary: Summary, bank: Any) -> None:
    """SQLite: the medians of the response hours, taken in Python."""
    per_bank: dict[int, list[float]] = defaultdict(list)
    every: list[float] = []
    answered = _leads(filters).where(LeadF.response_hours.is_not(None))
    for institution_id, value in db.reporting.execute(
        answered.with_only_columns(LeadF.institution_id, LeadF.response_hours)
    ):
        per_bank[institution_id].append(value)
        every.append(value)
    for institution_id, values in per_bank.items():
        bank(institution_id).median_response_hours = tenth(statistics.median(values))
    if every:
        summary.median_response_hours = tenth(statistics.median(every))


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
