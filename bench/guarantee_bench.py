"""Time the dashboard's guarantee figures on the province database, beside its other figures.

Run from the project root against a database filled by `flask --app wsgi demo seed --scale
province` (see docs/benchmarks.md, "Province scale"):

    .venv/bin/python -m bench.guarantee_bench \\
        --database-url postgresql://postgres@127.0.0.1:5432/province --runs 7

For the last month and the last 12 months with loans, for the whole province and for 泉州's
small firms, it times portal.figures.guarantees.figures() (what the dashboard, its exports
and the monthly PDF read: every guaranteed loan, its latest balance and any compensation, summed
per guarantor, bank, region, industry and size class) and, as the baseline of the same run,
portal.figures.rollups.dashboard_figures() (the rest of the dashboard, from its rollups).
It also times figures_as_of(), which the dashboard calls: kept until the rollups are refreshed
or a letter, compensation or recovery is added, so every view after the first reads the kept
figures (the one-query fingerprint is what such a view costs).
Each is run once to warm the caches, then --runs times; min, median and max are printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import time
from collections.abc import Callable

from sqlalchemy import func, select

from portal import create_app
from portal.config import normalise_database_url
from portal.extensions import db
from portal.figures import guarantees, rollups
from portal.figures.live import Filters
from portal.leads.models import Loan

CUTS = (
    ("whole province", {}),
    ("泉州 + small firms", {"region_code": "350500", "size_class": "small"}),
)


def timed(work: Callable[[], object], runs: int) -> tuple[float, float, float]:
    """Min, median and max milliseconds of `runs` calls, after one to warm the caches."""
    work()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
        db.reporting.remove()
    return min(times), statistics.median(times), max(times)


def last_month() -> dt.date:
    newest = db.session.scalar(select(func.max(Loan.disbursed_on)))
    return newest.replace(day=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    app = create_app("development", DATABASE_URL=normalise_database_url(args.database_url))
    with app.app_context():
        end = last_month()
        start_year = dt.date(end.year - 1, end.month, 1)
        letters = guarantees.figures(Filters(start_year, end)).total.letters
        print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs; {platform.python_version()}")
        print(f"letters on loans disbursed in the 12 months to {end:%Y-%m}: {letters:,}\n")
        print("| figures | cut | months | min | median | max |")
        print("|---|---|---|---|---|---|")
        for label, cut in CUTS:
            for months, start in ((1, end), (12, start_year)):
                filters = Filters(start, end, **cut)
                refreshed = (rollups.refreshed_at(), rollups.rebuilt_at())
                for name, work in (
                    ("guarantees (live)", lambda f=filters: guarantees.figures(f)),
                    (
                        "guarantees (as the dashboard reads them)",
                        lambda f=filters, r=refreshed: guarantees.figures_as_of(f, r),
                    ),
                    ("dashboard (rollups)", lambda f=filters: rollups.dashboard_figures(f)),
                ):
                    low, mid, high = timed(work, args.runs)
                    print(
                        f"| {name} | {label} | {months} | {low:.0f} ms | {mid:.0f} ms "
                        f"| {high:.0f} ms |"
                    )


if __name__ == "__main__":
    main()
