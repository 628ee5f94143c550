"""Time one need submission in-process, as stored now and as stored before, in the same run.

    .venv/bin/python -m bench.need_submission_bench \
        --database-url postgresql://postgres@127.0.0.1:5432/province [--needs 60] [--warmup 20]

Each submission is `matching.services.submit_need` for a different registered firm (50–500 万元
on credit for a year), inside one transaction that is rolled back at the end, so the database
given is left as it was. Submissions alternate between two ways of storing the results:

- now: a result row for each eligible product, the others' reasons as one value on the need;
- before (the baseline): a result row for every product, eligible or not, with its explanation,
  as `store_results` wrote them until the change (rebuilt here from the same helpers).

The matching, 秒批 gate, audit entry and commit are the same for both; only the storing differs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import insert, select

from portal import create_app
from portal.accounts.models import User
from portal.config import normalise_database_url
from portal.dates import today_in_china
from portal.enums import GuaranteeType, Role
from portal.extensions import db
from portal.matching import services
from portal.matching.engine import MatchOutcome
from portal.matching.models import MatchResult
from portal.needs.models import FinancingNeed

Store = Callable[[FinancingNeed, MatchOutcome], None]


def store_every_result(need: FinancingNeed, outcome: MatchOutcome) -> None:
    """The baseline: one row per product, eligible or not (the storage before the change)."""
    gate = services._InstantGate(need.firm, today_in_china())
    rows = [
        services._result_row(need, m, rank, gate)
        for rank, m in enumerate(outcome.eligible, start=1)
    ]
    rows += [services._result_row(need, m, None, gate) for m in outcome.ineligible]
    if rows:
        db.session.execute(insert(MatchResult.__table__), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--needs", type=int, default=60, help="timed submissions per variant")
    parser.add_argument("--warmup", type=int, default=20, help="untimed submissions per variant")
    args = parser.parse_args()
    app = create_app("development", DATABASE_URL=normalise_database_url(args.database_url))
    variants: dict[str, Store] = {
        "now: eligible rows, the rest on the need": services.store_results,
        "before: a row for every product": store_every_result,
    }
    timings: dict[str, list[float]] = {name: [] for name in variants}
    with app.app_context():
        connection = app.extensions["portal.db"].connect()
        outer = connection.begin()
        db.factory.configure(bind=connection, join_transaction_mode="create_savepoint")
        per_variant = args.warmup + args.needs
        users = _firm_users(per_variant * len(variants))
        try:
            for index, user_id in enumerate(users):
                name = list(variants)[index % len(variants)]
                elapsed = _submit(app, user_id, index, variants[name])
                if index // len(variants) >= args.warmup:
                    timings[name].append(elapsed)
        finally:
            outer.rollback()
            connection.close()
    first = next(iter(variants))
    baseline = statistics.median(timings[list(variants)[1]])
    for name, samples in timings.items():
        median = statistics.median(samples)
        ratio = "" if name != first else f"  ({median / baseline:.2f} × before)"
        print(f"{name}: median {median:.1f} ms, p95 {_p95(samples):.1f} ms{ratio}")


def _firm_users(count: int) -> list[int]:
    ids = db.session.scalars(
        select(User.id)
        .where(User.role == Role.SME, User.firm_id.is_not(None))
        .order_by(User.id)
        .limit(count)
    ).all()
    db.session.close()
    return list(ids)


def _submit(app, user_id: int, index: int, store: Store) -> float:
    original = services.store_results
    services.store_results = store  # submit_need looks it up on the module at call time
    try:
        with app.app_context():
            user = db.session.get(User, user_id)
            amount = Decimal(50 + (index * 37) % 450) * 10000
            need = services.NeedInput(amount, 12, "周转资金", GuaranteeType.CREDIT, None)
            started = time.perf_counter()
            services.submit_need(user, user.firm, need, f"bench-{index}-{time.time_ns()}")
            return (time.perf_counter() - started) * 1000
    finally:
        services.store_results = original


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(int(len(ordered) * 0.95) - 1, 0)]


if __name__ == "__main__":
    main()
