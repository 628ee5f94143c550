"""Time a whole-province re-match: every registered firm against one new policy's rule.

    .venv/bin/python -m bench.rematch_bench \\
        --database-url postgresql://postgres@127.0.0.1:5432/province

Times, each --runs times after one warm-up (min, median, max):

- `portal.matching.rematch.count_eligible_firms`: one select of the columns the rule's facts
  need, streamed in batches, each row tested with the compiled rule (reading the firms from
  the database included). This is what the government staff's what-if count runs.
- the previous what-if: every firm loaded as an ORM object (streamed with `yield_per`), its
  facts built by `firm_facts()`, the same test;
- one firm at a time through the ORM (`session.get` per firm, a fresh session each run) for a
  sample of --sample firms spread over the id range, extrapolated to all firms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from portal import create_app
from portal.config import normalise_database_url
from portal.dates import today_in_china
from portal.extensions import db
from portal.firms.models import Firm
from portal.matching.facts import firm_facts
from portal.matching.rematch import count_eligible_firms, firm_conditions
from portal.rules import compile_rule

TARGET_SECONDS = 3.0
# A new interest-subsidy policy as a finance office would draft it: small and micro firms in
# good standing, two years old, with real revenue, and either a qualification or staff.
POLICY_RULE = (
    'size_class in ["small", "micro"] and tax_credit_grade in ["A", "B"] '
    "and years_in_business >= 2 and revenue >= 1000000 "
    'and ("high_tech" in qualifications or "specialised" in qualifications or employees >= 20) '
    "and amount <= 3000000"
)


@dataclass
class Timing:
    label: str
    seconds: list[float]
    eligible: int
    firms: int
    note: str = ""

    def line(self) -> str:
        low, mid, high = min(self.seconds), statistics.median(self.seconds), max(self.seconds)
        return (
            f"  {self.label:<44} min {low:7.2f} s  median {mid:7.2f} s  max {high:7.2f} s"
            f"  ({self.eligible:,} of {self.firms:,} eligible){self.note}"
        )


def timed(function: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    """Seconds of each run after one warm-up, and the last answer."""
    answer = function()
    db.session.rollback()
    times = []
    for _ in range(runs):
        db.session.expunge_all()
        started = time.perf_counter()
        answer = function()
        times.append(time.perf_counter() - started)
        db.session.rollback()
    return times, answer


def orm_objects_streamed(test: Callable[[dict[str, Any]], bool], today: dt.date) -> tuple[int, int]:
    """The previous what-if: ORM objects streamed, firm_facts() for each."""
    total = eligible = 0
    for firm in db.session.scalars(select(Firm).execution_options(yield_per=5000)):
        total += 1
        eligible += test(firm_facts(firm, today))
    return total, eligible


def orm_one_at_a_time(
    test: Callable[[dict[str, Any]], bool], today: dt.date, ids: list[int]
) -> tuple[int, int]:
    """Each firm of the sample loaded by its own query, then its facts and the test."""
    eligible = 0
    for firm_id in ids:
        firm = db.session.get(Firm, firm_id)
        eligible += test(firm_facts(firm, today))
    return len(ids), eligible


def run(database_url: str, runs: int, sample: int) -> dict[str, Any]:
    """Every timing, as plain data for bench.run; prints a report as it goes."""
    app = create_app("development", DATABASE_URL=normalise_database_url(database_url))
    rule = compile_rule(POLICY_RULE)
    test = firm_conditions(rule)
    today = today_in_china()
    with app.app_context():
        ids = db.session.scalars(select(Firm.id).order_by(Firm.id)).all()
        step = max(1, len(ids) // sample)
        picked = list(ids[::step][:sample])
        streamed_times, streamed = timed(
            lambda: count_eligible_firms(db.session, rule, today), runs
        )
        print(f"{len(ids):,} firms; rule: {POLICY_RULE}")
        fast = Timing("count_eligible_firms (streamed columns)", streamed_times,
                      streamed.eligible, streamed.total)  # fmt: skip
        print(fast.line())
        orm_times, (total, eligible) = timed(lambda: orm_objects_streamed(test, today), runs)
        if (total, eligible) != (streamed.total, streamed.eligible):
            raise RuntimeError(f"answers differ: {total, eligible} and {streamed}")
        objects = Timing("ORM objects streamed (previous what-if)", orm_times, eligible, total)
        print(objects.line())
        one_times, (n, n_eligible) = timed(lambda: orm_one_at_a_time(test, today, picked), runs)
        scale = len(ids) / n
        one = Timing(
            f"ORM one firm at a time, {n:,} firms x {scale:.1f}",
            [seconds * scale for seconds in one_times],
            round(n_eligible * scale),
            len(ids),
            note=" (extrapolated)",
        )
        print(one.line())
        count = db.session.scalar(select(func.count()).select_from(Firm))
    median = statistics.median(streamed_times)
    return {
        "firms": count,
        "eligible": streamed.eligible,
        "streamed": streamed_times,
        "orm_objects": orm_times,
        "orm_one_at_a_time": one.seconds,
        "sample": n,
        "ratio_one_at_a_time": statistics.median(one.seconds) / median,
        "ratio_objects": statistics.median(orm_times) / median,
    }


def main() -> None:
    """Print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sample", type=int, default=2000)
    args = parser.parse_args()
    if not args.database_url:
        parser.error("--database-url (or DATABASE_URL) is required")
    found = run(args.database_url, args.runs, args.sample)
    median = statistics.median(found["streamed"])
    print(
        f"  target: under {TARGET_SECONDS:.0f} s {'met' if median < TARGET_SECONDS else 'MISSED'}; "
        f"one firm at a time through the ORM takes {found['ratio_one_at_a_time']:.0f} x as long, "
        f"ORM objects streamed {found['ratio_objects']:.1f} x"
    )


if __name__ == "__main__":
    main()
