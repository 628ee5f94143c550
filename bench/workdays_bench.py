"""What a working-day deadline costs: answered from the process's copy of the calendar entered
by administrators, or reading that calendar for every computation.

    .venv/bin/python -m bench.workdays_bench --database-url sqlite:////tmp/workdays-bench.sqlite3
    .venv/bin/python -m bench.workdays_bench --database-url postgresql://postgres@127.0.0.1:5432/x

Migrates the database to head, enters two years' notices (about 40 days, as two years of
notices hold), times `add_business_days(start, 3)` both ways, and removes what it entered.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from collections.abc import Callable

from sqlalchemy import delete

from portal import create_app, migrate
from portal.config import normalise_database_url
from portal.extensions import db
from portal.workdays import CalendarDay, CalendarYear, add_business_days, forget_entered_calendar

START = dt.datetime(2026, 2, 12, 10, 0, tzinfo=dt.UTC)  # across the Spring Festival
YEARS = (2030, 2031)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=5000)
    args = parser.parse_args()
    app = create_app("development", DATABASE_URL=normalise_database_url(args.database_url))
    with app.app_context():
        migrate.upgrade("head")
        _enter_notices()
        try:
            cached = _time(lambda: add_business_days(START, 3), args.runs)
            read_each_time = _time(_read_then_compute, args.runs)
        finally:
            _remove_notices()
    print(f"{args.database_url.split(':')[0]}: per deadline, median of {args.runs}")
    print(f"  from the process's copy:       {cached:8.1f} µs")
    print(f"  reading the calendar each time: {read_each_time:8.1f} µs")


def _read_then_compute() -> None:
    forget_entered_calendar()
    add_business_days(START, 3)


def _time(work: Callable[[], object], runs: int) -> float:
    work()  # the first call reads the calendar and warms the package's tables
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        samples.append((time.perf_counter() - began) * 1e6)
    return statistics.median(samples)


def _enter_notices() -> None:
    for year in YEARS:
        db.session.add(CalendarYear(year=year, notice=f"bench {year}"))
        first = dt.date(year, 1, 20)
        db.session.add_all(
            CalendarDay(
                day=first + dt.timedelta(days=i),
                is_working_day=(first + dt.timedelta(days=i)).weekday() >= 5,
                holiday="春节",
                notice=f"bench {year}",
            )
            for i in range(20)
        )
    db.session.commit()


def _remove_notices() -> None:
    for year in YEARS:
        db.session.execute(
            delete(CalendarDay).where(
                CalendarDay.day >= dt.date(year, 1, 1), CalendarDay.day <= dt.date(year, 12, 31)
            )
        )
        db.session.execute(delete(CalendarYear).where(CalendarYear.year == year))
    db.session.commit()
    forget_entered_calendar()


if __name__ == "__main__":
    main()
