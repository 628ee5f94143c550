"""Time the portal's side of verification against the stand-in exchange on loopback.

    .venv/bin/python -m bench.verification_bench --portal-db sqlite:////tmp/bench-portal.sqlite3 \
        [--firms 200] [--batch 5000] [--passes 2]
    .venv/bin/python -m bench.verification_bench \
        --portal-db postgresql://postgres@127.0.0.1:5432/province --batch 300000 --passes 2

The portal database is copied first (the benchmark writes facts into the copy, never into the
database given): a SQLite file is copied, a PostgreSQL database is cloned with
`CREATE DATABASE … TEMPLATE` into a scratch database dropped afterwards. It starts the exchange as
`flask demo run` does (seeded from the copy's firms), then times:

- first verification: `verification.verify` of `--firms` firms, one at a time (all five
  sources, facts stored and applied, one commit each) — what registration waits for;
- re-verification: `refresh.refresh` over `--batch` firms through the bulk endpoint, `--passes`
  times (the first pass over firms never fetched stores every record; later passes find most
  records unchanged), with the rate per second and the time all firms would take at that rate.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, func, make_url, select, text

from demo import exchange as demo_exchange
from portal import create_app, migrate
from portal.config import normalise_database_url
from portal.datasources import refresh, verification
from portal.dates import today_in_china
from portal.extensions import db
from portal.firms.models import Firm


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(int(len(ordered) * 0.95) - 1, 0)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--portal-db", required=True, help="a portal database to copy")
    parser.add_argument("--firms", type=int, default=200)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--passes", type=int, default=1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="verification-bench-"))
    url, drop = _copy(normalise_database_url(args.portal_db), work)
    try:
        exchange = demo_exchange.start(url, work / "exchange", extra=0)
        try:
            app = create_app("development", DATABASE_URL=url, **exchange.config)
            with app.app_context():
                migrate.upgrade("head")
                _first_verification(args.firms)
                for number in range(1, args.passes + 1):
                    _reverification(args.batch, number)
                db.engine.dispose()
        finally:
            exchange.stop()
    finally:
        drop()
        shutil.rmtree(work, ignore_errors=True)


def _copy(url: str, work: Path) -> tuple[str, Callable[[], None]]:
    """A scratch copy of the portal database and how to remove it."""
    if url.startswith("sqlite:///"):
        copy = work / "portal.sqlite3"
        shutil.copyfile(url.removeprefix("sqlite:///"), copy)
        return f"sqlite:///{copy}", lambda: None
    source = make_url(url)
    scratch = f"{source.database}_verification_bench"
    admin = create_engine(source, isolation_level="AUTOCOMMIT")

    def run(statement: str) -> None:
        with admin.connect() as connection:
            connection.execute(text(statement))

    run(f'DROP DATABASE IF EXISTS "{scratch}"')
    run(f'CREATE DATABASE "{scratch}" TEMPLATE "{source.database}"')

    def drop() -> None:
        run(f'DROP DATABASE IF EXISTS "{scratch}"')
        admin.dispose()

    return source.set(database=scratch).render_as_string(hide_password=False), drop


def _first_verification(count: int) -> None:
    firms = db.session.scalars(select(Firm).order_by(Firm.id).limit(count)).all()
    today, samples = today_in_china(), []
    for firm in firms:
        started = time.perf_counter()
        verification.verify(None, firm, today)
        db.session.commit()
        samples.append((time.perf_counter() - started) * 1000)
    print(
        f"first verification, {len(samples)} firms one at a time: "
        f"p50 {statistics.median(samples):.1f} ms, p95 {_p95(samples):.1f} ms"
    )


def _reverification(batch: int, number: int) -> None:
    total = db.session.scalar(select(func.count(Firm.id)))
    started = time.perf_counter()
    report = refresh.refresh(today_in_china(), limit=batch)
    seconds = time.perf_counter() - started
    rate = report.firms / seconds
    print(
        f"re-verification pass {number}, {report.firms} firms through bulk: {seconds:.1f} s "
        f"({rate:,.0f} firms/s); all {total:,} firms at that rate: {total / rate / 60:.1f} min"
    )


if __name__ == "__main__":
    main()
