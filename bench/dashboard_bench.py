"""Time the regulator's dashboard figures on the province database against hand-written SQL.

Run from the project root against a database filled by `flask --app wsgi demo seed --scale
province` (see docs/benchmarks.md, "Province scale"), whose rollups the seed has built. Months
marked since the rollups were last refreshed (or every month, when they were never built) are
rolled up first, as the scheduler's refresh job would (`rollups.refresh_dirty`):

    .venv/bin/python -m bench.dashboard_bench --database-url sqlite:////tmp/province.sqlite3
    .venv/bin/python -m bench.dashboard_bench \\
        --database-url postgresql://postgres@127.0.0.1:5432/province --runs 5

Any seeded database will do for a quick check (`flask --app wsgi demo seed` alone gives 40
loans). For the last 12 months with loans (`--months`), first for the whole province and then
cut by region and size class (泉州, small firms), it times:

- portal.figures.rollups.figures(): everything the dashboard shows, read from the rollups
  (what the dashboard page computes);
- portal.figures.live.figures(): the same figures from the live tables (the monthly
  report, and the dashboard while a month is stale or before the first rollup build);
- the same figures from hand-written SQL over the live tables: one statement per figure group,
  with text() and bound parameters (volume, rates and LPR per month, NPL per month, inclusive
  lending, lead counts per bank, response and claim-to-disbursement medians, same-day credit,
  volume and NPL per bank, volume per region and per industry). Firms are read only when a
  figure or a filter needs them; a firm cut is a join on PostgreSQL and a semi-join
  (`firm_id IN (SELECT …)`) on SQLite. Medians are percentile_cont on PostgreSQL; SQLite has no
  percentile function, so it returns one number per lead (or loan) and Python takes the median;
- the two alerts the page adds that read the database (contradicting reports, missing reports).

The hand-written SQL follows the definitions of docs/supervision.md (统计口径) written out
afresh, not the expressions of portal/figures/definitions.py: the adjusted cost is rate −
interest subsidy + guarantee fee − fee subsidy; each loan takes the LPR in force on its
disbursement day (a range join on the LPR table), weighted by amount; a loan is 普惠型小微 when
its firm is small or micro and the firm's loans from that bank outstanding on the disbursement
day (disbursed on or before it, maturing after it, any product or period) come to at most
10,000,000 yuan (a self-join); claim-to-disbursement days are over the period's loans that came
from a lead, whenever the lead was created.

Each is run once to warm the caches and then --runs times (min, median and max reported). The
rollup figures are checked equal to the live figures, and both against the hand-written SQL
(summary, every month, banks, regions and industries); the ratio to the hand-written SQL and the
target (median at most 300 ms) are printed. `--profile` adds a pyinstrument profile of one
rollup run (bench/requirements.txt).
"""

# The statements below are assembled from fixed fragments (which joins, which conditions);
# every value reaches the database as a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Date, bindparam, func, select, text

from portal import create_app
from portal.config import normalise_database_url
from portal.dates import SHANGHAI
from portal.db import UTCDateTime
from portal.extensions import db
from portal.figures import alerts, live, rollups
from portal.figures.live import Filters, figures
from portal.figures.models import MonthMark
from portal.leads.models import Loan

TARGET_MS = 300.0
CUTS = (
    ("whole province", {}),
    ("泉州 + small firms", {"region_code": "350500", "size_class": "small"}),
)
FOUR, TWO = Decimal("0.0001"), Decimal("0.01")


# --- the hand-written SQL ---------------------------------------------------------------------

# Each 1-year LPR with the day the next one took effect (NULL: still in force), so that a loan
# finds the LPR in force on its disbursement day by a range join.
LPR_PERIODS = (
    "WITH lpr_periods AS (SELECT effective_on, one_year,"
    " lead(effective_on) OVER (ORDER BY effective_on) AS next_on FROM lpr_rates)"
)
LPR_IN_FORCE = (
    "LEFT JOIN lpr_periods p ON p.effective_on <= l.disbursed_on"
    " AND (p.next_on IS NULL OR l.disbursed_on < p.next_on)"
)
# Per loan: rate − interest subsidy points + guarantee fee − the fee's subsidy.
ADJUSTED_COST = "(l.rate - l.subsidy_rate + l.guarantee_fee_rate - l.fee_subsidy_rate)"


@dataclass
class SqlMonth:
    """A month's loans as the hand-written SQL adds them up."""

    loans: int
    amount: Decimal
    rated: Decimal  # Σ amount × rate
    adjusted: Decimal  # Σ amount × adjusted cost
    lpr_weighted: Decimal  # Σ amount × the LPR in force on the disbursement day
    without_lpr: int  # loans disbursed before the LPR table's first rate


@dataclass
class SqlFigures:
    """What the hand-written statements return, in the shape needed for the comparison."""

    months: dict[dt.date, SqlMonth] = field(default_factory=dict)
    npl: dict[dt.date, tuple[Decimal, Decimal]] = field(default_factory=dict)
    inclusive: tuple[int, Decimal] = (0, Decimal(0))
    leads: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    response_hours: dict[int | None, Decimal] = field(default_factory=dict)
    claim_days: Decimal | None = None
    same_day: tuple[int, int] = (0, 0)
    bank_volume: dict[int, tuple[int, Decimal]] = field(default_factory=dict)
    bank_npl: dict[int, tuple[Decimal, Decimal]] = field(default_factory=dict)
    by_region: list[tuple[str, int, Decimal]] = field(default_factory=list)
    by_industry: list[tuple[str, int, Decimal]] = field(default_factory=list)
    lpr: list[tuple[dt.date, Decimal]] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SqlCut:
    """A cut as FROM and WHERE fragments, one pair per table read."""

    loan_from: str  # `loans l`, joined to `firms f` where the cut needs it
    loan_where: str  # the period, the bank and product, and the firm cut
    firm_loan_where: str  # loan_where over `loans l JOIN firms f`, the firm cut as conditions
    leads: str
    lead_where: str
    reports: str
    report_where: str

    @property
    def loans(self) -> str:
        return f"{self.loan_from} WHERE {self.loan_where}"

    @property
    def with_firms(self) -> str:
        return f"loans l JOIN firms f ON f.id = l.firm_id WHERE {self.firm_loan_where}"


class HandSql:
    """One SQL string per figure group; dialect differences kept to a few expressions."""

    def __init__(self, dialect: str) -> None:
        self.pg = dialect == "postgresql"
        if self.pg:
            self.month = "to_char(l.disbursed_on, 'YYYY-MM')"
            self.local_day = "(({}) AT TIME ZONE 'Asia/Shanghai')::date"
            self.hours = "extract(epoch FROM ld.first_response_at - ld.created_at) / 3600"
            self.days = "(l.disbursed_on - (ld.created_at AT TIME ZONE 'Asia/Shanghai')::date)"
        else:
            self.month = "strftime('%Y-%m', l.disbursed_on)"
            self.local_day = "date({}, '+8 hours')"
            self.hours = "(julianday(ld.first_response_at) - julianday(ld.created_at)) * 24"
            self.days = "(julianday(l.disbursed_on) - julianday(date(ld.created_at, '+8 hours')))"

    def run(self, filters: Filters) -> SqlFigures:
        """Every figure group of the cut, one statement each."""
        cut, q, result = self.cut(filters), _Query(_params(filters)), SqlFigures()
        self._volume(q, cut, result)
        self._npl(q, cut, result)
        self._inclusive(q, cut, result)
        self._leads(q, cut, result)
        self._medians(q, cut, result)
        self._groups(q, cut, result)
        result.lpr = [
            (_as_date(day), _d(rate))
            for day, rate in q("SELECT effective_on, one_year FROM lpr_rates ORDER BY 1")
        ]
        result.names = dict(q("SELECT id, short_name FROM financial_institutions"))
        return result

    def cut(self, filters: Filters) -> SqlCut:
        """The cut's joins and conditions for the loans, the leads and the reports."""
        firm = _firm_conditions(filters)
        period = "l.disbursed_on >= :start AND l.disbursed_on < :end"
        period += _bank_conditions(filters, "l")
        lead_where = (
            "ld.created_at >= :lstart AND ld.created_at < :lend AND ld.institution_id IS NOT NULL"
            + _bank_conditions(filters, "ld")
        )
        report_where = " AND r.institution_id = :bank" if filters.institution_id else ""
        loan_from, loan_where = "loans l", period
        leads, reports = "leads ld", "loan_status_reports r"
        if firm and not self.pg:
            # SQLite joins row by row: a firm cut reads faster as a semi-join (… IN (SELECT …)).
            firm_ids = f"SELECT f.id FROM firms f WHERE 1 = 1{firm}"
            loan_where += f" AND l.firm_id IN ({firm_ids})"
            lead_where += (
                " AND ld.need_id IN"
                f" (SELECT n.id FROM financing_needs n WHERE n.firm_id IN ({firm_ids}))"
            )
            loan_ids = f"SELECT l.id FROM loans l WHERE l.firm_id IN ({firm_ids})"
            loan_ids += " AND l.product_id = :product" if filters.product_id else ""
            report_where += f" AND r.loan_id IN ({loan_ids})"
        elif firm:
            # PostgreSQL plans hash joins: join the firms.
            loan_from, loan_where = "loans l JOIN firms f ON f.id = l.firm_id", period + firm
            leads += " JOIN financing_needs n ON n.id = ld.need_id JOIN firms f ON f.id = n.firm_id"
            lead_where += firm
            reports += " JOIN loans l ON l.id = r.loan_id JOIN firms f ON f.id = l.firm_id"
            report_where += firm
            report_where += " AND l.product_id = :product" if filters.product_id else ""
        elif filters.product_id:
            reports += " JOIN loans l ON l.id = r.loan_id"
            report_where += " AND l.product_id = :product"
        return SqlCut(
            loan_from, loan_where, period + firm, leads, lead_where, reports, report_where
        )

    def _volume(self, q: _Query, cut: SqlCut, result: SqlFigures) -> None:
        """Volume, rate, adjusted cost and LPR sums per month; each loan at the LPR in force on
        its disbursement day."""
        for month, count, amount, rated, adjusted, lpr_weighted, without_lpr in q(
            f"{LPR_PERIODS} SELECT {self.month}, count(*), sum(l.amount),"
            f" sum(l.amount * l.rate), sum(l.amount * {ADJUSTED_COST}),"
            " sum(l.amount * p.one_year), count(*) - count(p.one_year)"
            f" FROM {cut.loan_from} {LPR_IN_FORCE} WHERE {cut.loan_where} GROUP BY 1"
        ):
            result.months[dt.date.fromisoformat(f"{month}-01")] = SqlMonth(
                count, _d(amount), _d(rated), _d(adjusted), _d(lpr_weighted), without_lpr
            )

    def _npl(self, q: _Query, cut: SqlCut, result: SqlFigures) -> None:
        """NPL and reported balances per month, and per bank in the range's last month."""
        npl = (
            "sum(CASE WHEN r.five_tier_class IN ('substandard', 'doubtful', 'loss')"
            " THEN r.balance ELSE 0 END), sum(r.balance)"
        )
        for period, bad, total in q(
            f"SELECT r.period, {npl} FROM {cut.reports}"
            f" WHERE r.period >= :start AND r.period <= :last{cut.report_where}"
            " GROUP BY r.period"
        ):
            result.npl[_as_date(period)] = (_d(bad), _d(total))
        for bank, bad, total in q(
            f"SELECT r.institution_id, {npl} FROM {cut.reports}"
            f" WHERE r.period = :last{cut.report_where} GROUP BY r.institution_id"
        ):
            result.bank_npl[bank] = (_d(bad), _d(total))

    def _inclusive(self, q: _Query, cut: SqlCut, result: SqlFigures) -> None:
        """普惠型小微: the period's loans to small and micro firms whose loans from the same bank
        outstanding on the disbursement day (any product, any period, this one included) come
        to at most 10,000,000 yuan. Rounded to the fen: SQLite adds amounts as floats."""
        count, amount = q(
            "SELECT count(*), sum(t.amount) FROM (SELECT l.id, l.amount"
            " FROM loans l JOIN firms f ON f.id = l.firm_id JOIN loans o"
            " ON o.firm_id = l.firm_id AND o.institution_id = l.institution_id"
            " AND o.disbursed_on <= l.disbursed_on AND o.maturity_on > l.disbursed_on"
            f" WHERE {cut.firm_loan_where} AND f.size_class IN ('small', 'micro')"
            " GROUP BY l.id, l.amount HAVING round(sum(o.amount), 2) <= 10000000) t"
        )[0]
        result.inclusive = (count, _d(amount))

    def _leads(self, q: _Query, cut: SqlCut, result: SqlFigures) -> None:
        """Approved, decided and late leads per bank; needs credited, and on their own day."""
        for bank, approved, decided, breaches in q(
            "SELECT ld.institution_id,"
            " count(CASE WHEN ld.approved_amount IS NOT NULL THEN 1 END),"
            " count(CASE WHEN ld.approved_amount IS NOT NULL OR ld.status = 'declined'"
            " THEN 1 END), count(CASE WHEN ld.sla_breached THEN 1 END)"
            f" FROM {cut.leads} WHERE {cut.lead_where} GROUP BY ld.institution_id"
        ):
            result.leads[bank] = (approved, decided, breaches)
        local_need = self.local_day.format("n.created_at")
        local_first = self.local_day.format("t.first_approved")
        credited, same = q(
            f"SELECT count(*), sum(CASE WHEN {local_need} = {local_first} THEN 1 ELSE 0 END)"
            " FROM (SELECT ld.need_id, min(ld.decided_at) AS first_approved"
            f" FROM {cut.leads} WHERE {cut.lead_where} AND ld.approved_amount IS NOT NULL"
            " GROUP BY ld.need_id) t JOIN financing_needs n ON n.id = t.need_id"
        )[0]
        result.same_day = (credited, int(same or 0))

    def _medians(self, q: _Query, cut: SqlCut, result: SqlFigures) -> None:
        """Hours to first response over the period's leads (per bank and in all); days from
        lead to disbursement over the period's loans that came from a lead."""
        responded = f" FROM {cut.leads} WHERE {cut.lead_where} AND ld.first_response_at IS NOT NULL"
        claims = f" FROM {cut.loan_from} JOIN leads ld ON ld.id = l.lead_id WHERE {cut.loan_where}"
        if self.pg:
            for bank, hours in q(
                f"SELECT ld.institution_id, percentile_cont(0.5) WITHIN GROUP"
                f" (ORDER BY {self.hours}){responded}"
                " GROUP BY GROUPING SETS ((ld.institution_id), ())"
            ):
                if hours is not None:  # the grand total over no answered lead
                    result.response_hours[bank] = _hours(hours)
            (days,) = q(f"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY {self.days}){claims}")[
                0
            ]
            result.claim_days = None if days is None else Decimal(str(float(days)))
            return
        per_bank: dict[int | None, list[float]] = defaultdict(list)
        for bank, hours in q(f"SELECT ld.institution_id, {self.hours}{responded}"):
            per_bank[bank].append(hours)
            per_bank[None].append(hours)
        for bank, values in per_bank.items():
            result.response_hours[bank] = _hours(statistics.median(values))
        days = [int(round(d)) for (d,) in q(f"SELECT {self.days}{claims}")]
        result.claim_days = Decimal(str(statistics.median(days))) if days else None

    def _groups(self, q: _Query, cut: SqlCut, result: SqlFigures) -> None:
        """Volume per bank, per region and per industry division (largest amount first)."""
        for bank, count, amount in q(
            f"SELECT l.institution_id, count(*), sum(l.amount) FROM {cut.loans}"
            " GROUP BY l.institution_id"
        ):
            result.bank_volume[bank] = (count, _d(amount))
        for column, target in (
            ("f.region_code", result.by_region),
            ("substr(f.industry_code, 1, 2)", result.by_industry),
        ):
            target.extend(
                (key, count, _d(amount))
                for key, count, amount in q(
                    f"SELECT {column}, count(*), sum(l.amount) FROM {cut.with_firms}"
                    " GROUP BY 1 ORDER BY 3 DESC, 1"
                )
            )


class _Query:
    """Execute a SQL string with the cut's parameters, typed as the ORM types them."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params

    def __call__(self, sql: str) -> list[Any]:
        statement = text(sql)
        binds = [
            bindparam(name, type_=_bind_type(value))
            for name, value in self.params.items()
            if f":{name}" in sql
        ]
        if binds:
            statement = statement.bindparams(*binds)
        used = {name: value for name, value in self.params.items() if f":{name}" in sql}
        return db.session.execute(statement, used).all()


def _bind_type(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return UTCDateTime()  # stored as naive UTC text on SQLite, timestamptz on PostgreSQL
    if isinstance(value, dt.date):
        return Date()
    return None


def _params(filters: Filters) -> dict[str, Any]:
    start = dt.datetime.combine(filters.start, dt.time(), tzinfo=SHANGHAI)
    end = dt.datetime.combine(filters.period_end, dt.time(), tzinfo=SHANGHAI)
    return {
        "start": filters.start,
        "end": filters.period_end,
        "last": filters.end,
        "lstart": start,
        "lend": end,
        "region": filters.region_code,
        "industry": filters.industry_division,
        "size": filters.size_class,
        "bank": filters.institution_id,
        "product": filters.product_id,
    }


def _firm_conditions(filters: Filters) -> str:
    sql = ""
    if filters.region_code:
        sql += " AND f.region_code = :region"
    if filters.industry_division:
        sql += " AND substr(f.industry_code, 1, 2) = :industry"
    if filters.size_class:
        sql += " AND f.size_class = :size"
    return sql


def _bank_conditions(filters: Filters, alias: str) -> str:
    sql = ""
    if filters.institution_id:
        sql += f" AND {alias}.institution_id = :bank"
    if filters.product_id:
        sql += f" AND {alias}.product_id = :product"
    return sql


def _d(value: Any) -> Decimal:
    """A sum as an exact decimal (SQLite hands back floats for NUMERIC sums)."""
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _as_date(value: Any) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _hours(value: Any) -> Decimal:
    return Decimal(str(round(float(value), 1)))


# --- comparing the two answers ----------------------------------------------------------------

Same = Callable[[str, Any, Any], None]


def compare(orm: live.Figures, sql: SqlFigures) -> list[str]:
    """Differences between figures() and the hand-written SQL; empty when they agree."""
    problems: list[str] = []

    def same(name: str, left: Any, right: Any) -> None:
        if left != right:
            problems.append(f"{name}: figures() {left} ≠ SQL {right}")

    _compare_summary(orm.summary, sql, same)
    _compare_months(orm.months, sql, same)
    same("banks", len(orm.banks), len(set(sql.bank_volume) | set(sql.leads) | set(sql.bank_npl)))
    same(
        "bank volume",
        {b.institution_id: (b.loans, b.amount) for b in orm.banks if b.loans},
        {bank: (n, amount.quantize(TWO)) for bank, (n, amount) in sql.bank_volume.items()},
    )
    same("regions", [(g.key, g.loans) for g in orm.by_region], [r[:2] for r in sql.by_region])
    same(
        "industries", [(g.key, g.loans) for g in orm.by_industry], [r[:2] for r in sql.by_industry]
    )
    return problems


def _compare_summary(s: live.Summary, sql: SqlFigures, same: Same) -> None:
    months = list(sql.months.values())
    amount = sum((m.amount for m in months), Decimal(0))
    same("loans", s.loans, sum(m.loans for m in months))
    same("amount", s.amount, amount.quantize(TWO))
    same("weighted rate", s.weighted_rate, _per(sum((m.rated for m in months), Decimal(0)), amount))
    adjusted = sum((m.adjusted for m in months), Decimal(0))
    same("adjusted cost", s.adjusted_rate, _per(adjusted, amount))
    same("weighted LPR", s.lpr, _weighted_lpr(months))
    same("inclusive loans", s.inclusive_loans, sql.inclusive[0])
    same("inclusive amount", s.inclusive_amount, sql.inclusive[1].quantize(TWO))
    same("approved leads", s.approved_leads, sum(v[0] for v in sql.leads.values()))
    same("decided leads", s.decided_leads, sum(v[1] for v in sql.leads.values()))
    same("SLA breaches", s.sla_breaches, sum(v[2] for v in sql.leads.values()))
    same("median response hours", s.median_response_hours, sql.response_hours.get(None))
    same("claim-to-disbursement days", s.median_claim_to_disbursement_days, sql.claim_days)
    same("credited needs", s.credited_needs, sql.same_day[0])
    same("same-day needs", s.same_day_needs, sql.same_day[1])
    reported = [(bad, total) for _month, (bad, total) in sorted(sql.npl.items()) if total]
    same("NPL (last month reported)", s.npl_ratio, live.ratio(*reported[-1]) if reported else None)


def _compare_months(months: list[live.MonthFigures], sql: SqlFigures, same: Same) -> None:
    for row in months:
        label = f"{row.month:%Y-%m}"
        found = sql.months.get(row.month)
        if found is None:
            same(f"{label} loans", row.loans, 0)
            last_day = shift(row.month, 1) - dt.timedelta(days=1)
            same(f"{label} LPR (month end)", row.lpr, _lpr_on(sql.lpr, last_day))
        else:
            same(f"{label} loans", row.loans, found.loans)
            same(f"{label} amount", row.amount, found.amount.quantize(TWO))
            same(f"{label} weighted rate", row.weighted_rate, _per(found.rated, found.amount))
            same(f"{label} adjusted cost", row.adjusted_rate, _per(found.adjusted, found.amount))
            same(f"{label} weighted LPR", row.lpr, _weighted_lpr([found]))
        bad, total = sql.npl.get(row.month, (Decimal(0), Decimal(0)))
        same(f"{label} NPL", row.npl_ratio, live.ratio(bad, total))


def _weighted_lpr(months: list[SqlMonth]) -> Decimal | None:
    """The amount-weighted LPR of the loans; None when one came before the first LPR."""
    if any(m.without_lpr for m in months):
        return None
    weighted = sum((m.lpr_weighted for m in months), Decimal(0))
    return _per(weighted, sum((m.amount for m in months), Decimal(0)))


def _lpr_on(schedule: list[tuple[dt.date, Decimal]], day: dt.date) -> Decimal | None:
    """The LPR in force on a day: the newest that took effect on or before it."""
    rates = [rate for effective, rate in schedule if effective <= day]
    return rates[-1] if rates else None


def _per(total: Decimal, whole: Decimal) -> Decimal | None:
    return (total / whole).quantize(FOUR, rounding=ROUND_HALF_UP) if whole else None


# --- timing -----------------------------------------------------------------------------------


def timed(function: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    """One warm-up call, then `runs` timed calls; milliseconds and the last result."""
    result = function()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
        db.session.rollback()  # end the read transaction, as a request would
    return times, result


def last_month_with_loans() -> dt.date:
    latest = db.session.scalar(select(func.max(Loan.disbursed_on)))
    if latest is None:
        raise SystemExit("no loans: seed the province first (flask demo seed --scale province)")
    return latest.replace(day=1)


def shift(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _line(label: str, times: list[float]) -> str:
    return (
        f"  {label:<24} median {statistics.median(times):8.1f} ms  (min {min(times):.1f}, "
        f"max {max(times):.1f})"
    )


def _alerts(app: Any, filters: Filters, runs: int) -> list[float]:
    """The dashboard's database-reading alerts for the cut (a request context for gettext)."""
    with app.test_request_context():
        today = shift(filters.end, 1)
        times, _result = timed(
            lambda: (
                alerts.contradiction_alerts(filters),
                alerts.missing_reports(filters, alerts.report_check_month(filters, today)),
            ),
            runs,
        )
    return times


def _profile(filters: Filters) -> None:
    from pyinstrument import Profiler

    profiler = Profiler()
    profiler.start()
    rollups.figures(filters)
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))


def _refresh_marked_months() -> None:
    """Roll up the months marked since the last refresh (all of them when never built), as the
    scheduler's job would: the rollups are compared with the live figures."""
    unrolled = select(func.count()).select_from(MonthMark).where(MonthMark.rolled_up.is_(False))
    if rollups.rebuilt_at() is not None and not db.session.scalar(unrolled):
        return
    started = time.perf_counter()
    written = rollups.refresh_dirty()
    print(f"rollups refreshed first: {written:,} rows, {time.perf_counter() - started:.1f} s")


def main() -> None:
    """Run the benchmark and print one block per cut."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--profile", action="store_true", help="pyinstrument, one rollup run")
    args = parser.parse_args()
    if not args.database_url:
        parser.error("--database-url (or DATABASE_URL) is required")
    url = normalise_database_url(args.database_url)
    app = create_app("development", DATABASE_URL=url)
    with app.app_context():
        dialect = db.engine.dialect.name
        last = last_month_with_loans()
        first = shift(last, 1 - args.months)
        _refresh_marked_months()
        print(
            f"{dialect} ({url.split('@')[-1]}), {platform.python_implementation()} "
            f"{platform.python_version()}, {os.cpu_count()} CPUs; window {first:%Y-%m} to "
            f"{last:%Y-%m}; {args.runs} runs after one warm-up; rollups refreshed "
            f"{rollups.refreshed_at():%Y-%m-%d %H:%M} UTC"
        )
        hand = HandSql(dialect)
        for label, cut in CUTS:
            filters = Filters(first, last, **cut)
            rolled_times, rolled = timed(lambda f=filters: rollups.figures(f), args.runs)
            live_times, live = timed(lambda f=filters: figures(f), args.runs)
            sql_times, sql = timed(lambda f=filters: hand.run(f), args.runs)
            rolled_ms, sql_ms = statistics.median(rolled_times), statistics.median(sql_times)
            ratio = rolled_ms / sql_ms
            problems = compare(rolled, sql) + [
                f"{name}: rollups ≠ live"
                for name in ("summary", "months", "banks")
                if getattr(rolled, name) != getattr(live, name)
            ]
            print(f"\n{label}: {rolled.summary.loans:,} loans, {rolled.summary.amount:,.2f} yuan")
            print(_line("rollups.figures()", rolled_times))
            print(_line("live live.figures()", live_times))
            print(_line("hand-written SQL (live)", sql_times))
            print(_line("alerts (2 queries)", _alerts(app, filters, args.runs)))
            print(
                f"  rollups ÷ hand-written SQL {ratio:.2f} ×, live ÷ rollups "
                f"{statistics.median(live_times) / rolled_ms:.1f} ×; target ≤ {TARGET_MS:.0f} ms "
                f"{'met' if rolled_ms <= TARGET_MS else 'MISSED'}"
            )
            print(
                "  answers agree (rollups = live = SQL)"
                if not problems
                else "  answers differ:\n    " + "\n    ".join(problems)
            )
            if args.profile:
                _profile(filters)
            db.session.rollback()


if __name__ == "__main__":
    main()
