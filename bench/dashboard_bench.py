"""Time the regulator's dashboard figures on the province database against hand-written SQL.

Run from the project root against a database filled by `flask --app wsgi demo seed --scale
province` (see docs/benchmarks.md, "Province scale"), whose rollups the seed has built (else
this rebuilds them first):

    .venv/bin/python -m bench.dashboard_bench --database-url sqlite:////tmp/province.sqlite3
    .venv/bin/python -m bench.dashboard_bench \\
        --database-url postgresql://postgres@127.0.0.1:5432/province --runs 5

For the last 12 months with loans, first for the whole province and then cut by region and size
class (泉州, small firms), it times:

- portal.supervision.rollups.figures(): everything the dashboard shows, read from the rollups
  (what the dashboard page computes);
- portal.supervision.metrics.figures(): the same figures from the live tables (the monthly
  report, and the dashboard before the first rollup build);
- the same figures from hand-written SQL over the live tables: one statement per figure group,
  with text() and bound parameters (volume and rates per month, NPL per month, inclusive
  lending, lead counts per bank, response and claim-to-disbursement medians, same-day credit,
  volume and NPL per bank, volume per region and per industry). Firms are read only when a
  figure or a filter needs them; a firm cut is a join on PostgreSQL and a semi-join
  (`firm_id IN (SELECT …)`) on SQLite. Medians are percentile_cont on PostgreSQL; SQLite has no
  percentile function, so it returns one number per lead and Python takes the median;
- the two alerts the page adds that read the database (contradicting reports, missing reports).

Each is run once to warm the caches and then --runs times (min, median and max reported). The
rollup figures are checked equal to the live figures, and both against the hand-written SQL;
the ratio to the hand-written SQL and the target (median at most 300 ms) are printed.
`--profile` adds a pyinstrument profile of one rollup run (bench/requirements.txt).
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
from portal.leads.models import Loan
from portal.supervision import dashboard, metrics, rollups
from portal.supervision.metrics import Filters, figures

TARGET_MS = 300.0
CUTS = (
    ("whole province", {}),
    ("泉州 + small firms", {"region_code": "350500", "size_class": "small"}),
)
FOUR, TWO = Decimal("0.0001"), Decimal("0.01")


# --- the hand-written SQL ---------------------------------------------------------------------


@dataclass
class SqlFigures:
    """What the hand-written statements return, in the shape needed for the comparison."""

    months: dict[str, tuple[int, Decimal, Decimal, Decimal]] = field(default_factory=dict)
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
        params = _params(filters)
        firm = _firm_conditions(filters)
        period = "l.disbursed_on >= :start AND l.disbursed_on < :end"
        period += _bank_conditions(filters, "l")
        with_firms = f"loans l JOIN firms f ON f.id = l.firm_id WHERE {period}{firm}"
        lead_where = (
            "ld.created_at >= :lstart AND ld.created_at < :lend AND ld.institution_id IS NOT NULL"
            + _bank_conditions(filters, "ld")
        )
        report_where = " AND r.institution_id = :bank" if filters.institution_id else ""
        loans, leads, reports = f"loans l WHERE {period}", "leads ld", "loan_status_reports r"
        if firm and not self.pg:
            # SQLite joins row by row: a firm cut reads faster as a semi-join (… IN (SELECT …)).
            firm_ids = f"SELECT f.id FROM firms f WHERE 1 = 1{firm}"
            loans += f" AND l.firm_id IN ({firm_ids})"
            lead_where += (
                " AND ld.need_id IN"
                f" (SELECT n.id FROM financing_needs n WHERE n.firm_id IN ({firm_ids}))"
            )
            loan_ids = f"SELECT l.id FROM loans l WHERE l.firm_id IN ({firm_ids})"
            loan_ids += " AND l.product_id = :product" if filters.product_id else ""
            report_where += f" AND r.loan_id IN ({loan_ids})"
        elif firm:
            # PostgreSQL plans hash joins: join the firms.
            loans = with_firms
            leads += " JOIN financing_needs n ON n.id = ld.need_id JOIN firms f ON f.id = n.firm_id"
            lead_where += firm
            reports += " JOIN loans l ON l.id = r.loan_id JOIN firms f ON f.id = l.firm_id"
            report_where += firm
            report_where += " AND l.product_id = :product" if filters.product_id else ""
        elif filters.product_id:
            reports += " JOIN loans l ON l.id = r.loan_id"
            report_where += " AND l.product_id = :product"
        result = SqlFigures()
        q = _Query(params)
        for month, count, amount, rated, adjusted in q(
            f"SELECT {self.month}, count(*), sum(l.amount), sum(l.amount * l.rate),"
            " sum(l.amount * (l.rate - l.subsidy_rate))"
            f" FROM {loans} GROUP BY 1"
        ):
            result.months[month] = (count, _d(amount), _d(rated), _d(adjusted))
        for period, bad, total in q(
            "SELECT r.period, sum(CASE WHEN r.five_tier_class IN"
            " ('substandard', 'doubtful', 'loss') THEN r.balance ELSE 0 END), sum(r.balance)"
            f" FROM {reports}"
            f" WHERE r.period >= :start AND r.period <= :last{report_where} GROUP BY r.period"
        ):
            result.npl[_as_date(period)] = (_d(bad), _d(total))
        count, amount = q(
            "SELECT count(*), sum(l.amount) FROM loans l JOIN ("
            f" SELECT l.firm_id, l.institution_id FROM {with_firms}"
            " AND f.size_class IN ('small', 'micro')"
            " GROUP BY l.firm_id, l.institution_id HAVING sum(l.amount) <= 10000000) p"
            " ON p.firm_id = l.firm_id AND p.institution_id = l.institution_id"
            " WHERE l.disbursed_on >= :start AND l.disbursed_on < :end"
            + _bank_conditions(filters, "l")
        )[0]
        result.inclusive = (count, _d(amount))
        for bank, approved, decided, breaches in q(
            "SELECT ld.institution_id,"
            " count(CASE WHEN ld.approved_amount IS NOT NULL THEN 1 END),"
            " count(CASE WHEN ld.approved_amount IS NOT NULL OR ld.status = 'declined'"
            " THEN 1 END), count(CASE WHEN ld.sla_breached THEN 1 END)"
            f" FROM {leads} WHERE {lead_where} GROUP BY ld.institution_id"
        ):
            result.leads[bank] = (approved, decided, breaches)
        self._medians(q, result, leads, lead_where)
        local_need = self.local_day.format("n.created_at")
        local_first = self.local_day.format("t.first_approved")
        credited, same = q(
            f"SELECT count(*), sum(CASE WHEN {local_need} = {local_first} THEN 1 ELSE 0 END)"
            " FROM (SELECT ld.need_id, min(ld.decided_at) AS first_approved"
            f" FROM {leads} WHERE {lead_where} AND ld.approved_amount IS NOT NULL"
            " GROUP BY ld.need_id) t JOIN financing_needs n ON n.id = t.need_id"
        )[0]
        result.same_day = (credited, int(same or 0))
        for bank, count, amount in q(
            f"SELECT l.institution_id, count(*), sum(l.amount) FROM {loans}"
            " GROUP BY l.institution_id"
        ):
            result.bank_volume[bank] = (count, _d(amount))
        for bank, bad, total in q(
            "SELECT r.institution_id, sum(CASE WHEN r.five_tier_class IN"
            " ('substandard', 'doubtful', 'loss') THEN r.balance ELSE 0 END), sum(r.balance)"
            f" FROM {reports} WHERE r.period = :last{report_where} GROUP BY r.institution_id"
        ):
            result.bank_npl[bank] = (_d(bad), _d(total))
        for column, target in (
            ("f.region_code", result.by_region),
            ("substr(f.industry_code, 1, 2)", result.by_industry),
        ):
            target.extend(
                (key, count, _d(amount))
                for key, count, amount in q(
                    f"SELECT {column}, count(*), sum(l.amount) FROM {with_firms}"
                    " GROUP BY 1 ORDER BY 3 DESC"
                )
            )
        result.lpr = [
            (_as_date(day), _d(rate))
            for day, rate in q("SELECT effective_on, one_year FROM lpr_rates ORDER BY 1")
        ]
        result.names = dict(q("SELECT id, short_name FROM financial_institutions"))
        return result

    def _medians(self, q: _Query, result: SqlFigures, leads: str, lead_where: str) -> None:
        responded = f" FROM {leads} WHERE {lead_where} AND ld.first_response_at IS NOT NULL"
        claims = f" FROM {leads} JOIN loans l ON l.lead_id = ld.id WHERE {lead_where}"
        if self.pg:
            for bank, hours in q(
                f"SELECT ld.institution_id, percentile_cont(0.5) WITHIN GROUP"
                f" (ORDER BY {self.hours}){responded}"
                " GROUP BY GROUPING SETS ((ld.institution_id), ())"
            ):
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


def compare(orm: metrics.Figures, sql: SqlFigures) -> list[str]:
    """Differences between figures() and the hand-written SQL; empty when they agree."""
    s, problems = orm.summary, []

    def same(name: str, left: Any, right: Any) -> None:
        if left != right:
            problems.append(f"{name}: figures() {left} ≠ SQL {right}")

    count = sum(m[0] for m in sql.months.values())
    amount = sum((m[1] for m in sql.months.values()), Decimal(0))
    same("loans", s.loans, count)
    same("amount", s.amount, amount.quantize(TWO))
    rated = sum((m[2] for m in sql.months.values()), Decimal(0))
    same("weighted rate", s.weighted_rate, _per(rated, amount))
    same("inclusive loans", s.inclusive_loans, sql.inclusive[0])
    same("approved leads", s.approved_leads, sum(v[0] for v in sql.leads.values()))
    same("decided leads", s.decided_leads, sum(v[1] for v in sql.leads.values()))
    same("SLA breaches", s.sla_breaches, sum(v[2] for v in sql.leads.values()))
    same("median response hours", s.median_response_hours, sql.response_hours.get(None))
    same("claim-to-disbursement days", s.median_claim_to_disbursement_days, sql.claim_days)
    same("credited needs", s.credited_needs, sql.same_day[0])
    same("same-day needs", s.same_day_needs, sql.same_day[1])
    for month in orm.months:
        bad, total = sql.npl.get(month.month, (Decimal(0), Decimal(0)))
        same(f"NPL {month.month:%Y-%m}", month.npl_ratio, metrics.ratio(bad, total))
    same("banks", len(orm.banks), len(set(sql.bank_volume) | set(sql.leads) | set(sql.bank_npl)))
    same("regions", [(g.key, g.loans) for g in orm.by_region], [r[:2] for r in sql.by_region])
    return problems


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
                dashboard.contradiction_alerts(filters),
                dashboard.missing_reports(filters, dashboard.report_check_month(filters, today)),
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
        if rollups.rebuilt_at() is None:
            started = time.perf_counter()
            rollups.rebuild()
            print(f"rollups built first: {time.perf_counter() - started:.1f} s")
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
            print(_line("live metrics.figures()", live_times))
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
