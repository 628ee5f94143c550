"""Page through a bank's open leads over the API under gunicorn: GET /api/v1/leads?limit=100.

Run from the project root:

    .venv/bin/python -m bench.api_leads                  # a SQLite file under /tmp, removed after
    .venv/bin/python -m bench.api_leads --postgres postgresql://postgres@127.0.0.1:5432/postgres
        # a scratch database bench_api_leads on that server, created here and dropped after

One approved bank gets `--leads` open leads (5,000; needs and leads by two bulk inserts, from 50
small firms) and an API client with the leads:read scope. The portal runs under gunicorn with
deploy/gunicorn.conf.py (as bench/run.py; WEB_CONCURRENCY and GUNICORN_THREADS from the
environment, as in production) and with Redis as in production (`--redis`: the rate limit's
counters and the queued call log; the API's per-client limit raised for the run, since the calls
all come from one client). One token is fetched over HTTP. Then, each round, N client
threads (one keep-alive connection each) first call /health back to back as many times as
there are pages (the baseline: a request that reads the database, with no token), then each
page through the whole lead list, 100 a page, following next_cursor to the end; with 4 and
with 20 threads (`--clients 4,20`). Every latency is the wall time of one HTTP request as the
thread saw it (the threads run on the same machine); p50/p95/max over all requests of a round,
and the rounds' median.

The Python threads cost the two cores about as much as the server does (a request, its JSON and
the GIL between twenty threads), so each round also runs wrk (Debian's `wrk`, when installed)
with the same number of connections for `--seconds`: it asks for the same pages in turn (their
cursors read once beforehand) and costs the machine little, so its figures are the server's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import insert, make_url, select, text

from bench.run import machine, percentile, portal_env, start_gunicorn

SCRATCH_DATABASE = "bench_api_leads"
PAGE = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=5_000)
    parser.add_argument(
        "--clients", type=lambda text: [int(n) for n in text.split(",")], default=[4, 20]
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10, help="each wrk run (0: no wrk)")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (its scratch database is ours)")
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379/7", help="a Redis database the run may use"
    )
    args = parser.parse_args()
    scratch = _postgres if args.postgres else _sqlite
    with scratch(args.postgres) as database_url, tempfile.TemporaryDirectory() as instance:
        run(database_url, Path(instance), args)


def run(database_url: str, instance: Path, args: argparse.Namespace) -> None:
    key, secret = prepare(database_url, args.leads)
    env = {
        **portal_env(database_url, instance),
        "API_RATE_LIMIT": "1000000 per minute",
        "REDIS_URL": args.redis,
    }
    _empty_call_log(args.redis)
    server = start_gunicorn("wsgi:app", env, instance, "/health")
    try:
        token = _token(server.url, key, secret)
        print(f"{args.leads} open leads, {make_url(database_url).drivername}")
        print(f"{'round':>6} {'what':16} {'requests':>8} {'p50 ms':>8} {'p95':>8} {'max':>8} req/s")
        pages = -(-args.leads // PAGE)
        wrk = _Wrk(shutil.which("wrk"), args.seconds, instance) if args.seconds else None
        paths = _page_paths(server.url, token) if wrk and wrk.command else []
        results: dict[str, list[dict[str, float]]] = {}
        for number in range(1, args.rounds + 1):
            for clients in args.clients:
                for name, figures in one_round(server.url, token, clients, pages, wrk, paths):
                    results.setdefault(name, []).append(figures)
                    print(_line(str(number), name, figures))
        for name, rounds in results.items():
            median = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
            print(_line("median", name, median))
        workers = os.environ.get("WEB_CONCURRENCY", "default"), os.environ.get("GUNICORN_THREADS")
        print(f"gunicorn workers {workers[0]}, threads {workers[1] or 'default'}; {machine()}")
    finally:
        server.stop()
        _empty_call_log(args.redis)


def _empty_call_log(url: str) -> None:
    """Calls queued by an earlier run name clients of a database that is gone."""
    import redis

    from portal.api import call_log

    redis.Redis.from_url(url).delete(call_log.QUEUE, call_log.FLUSH_LOCK)


def one_round(
    url: str, token: str, clients: int, pages: int, wrk: _Wrk | None, paths: list[str]
) -> list[tuple[str, dict[str, float]]]:
    """Health, then the lead list, with `clients` at once: from Python threads, then wrk."""
    runs = [
        (f"health×{clients}", load(clients, lambda session: _health(session, url, pages))),
        (f"leads×{clients}", load(clients, lambda session: _leads(session, url, token))),
    ]
    if wrk and wrk.command:
        runs.append((f"wrk health×{clients}", wrk.run(url, ["/health"], None, clients)))
        runs.append((f"wrk leads×{clients}", wrk.run(url, paths, token, clients)))
    return runs


# --- the database ------------------------------------------------------------------------------


@contextmanager
def _sqlite(_server: str | None):
    handle, path = tempfile.mkstemp(prefix="bench-api-leads-", suffix=".sqlite3")
    os.close(handle)
    try:
        yield f"sqlite:///{path}"
    finally:
        for leftover in (path, f"{path}-wal", f"{path}-shm"):
            if os.path.exists(leftover):
                os.remove(leftover)


@contextmanager
def _postgres(server: str):
    from portal.config import normalise_database_url
    from portal.db import make_engine

    server = normalise_database_url(server)
    admin = make_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH_DATABASE}"'))
        connection.execute(text(f'CREATE DATABASE "{SCRATCH_DATABASE}"'))
    try:
        url = make_url(server).set(database=SCRATCH_DATABASE)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH_DATABASE}" WITH (FORCE)'))
        admin.dispose()


def prepare(database_url: str, count: int) -> tuple[str, str]:
    """Migrate, seed the bank's leads and make its API client; its key and secret."""
    from portal import create_app, migrate
    from portal.extensions import db

    app = create_app("testing", DATABASE_URL=database_url)
    with app.app_context():
        migrate.upgrade("head")
        started = time.perf_counter()
        key, secret = seed(count)
        db.session.commit()
        # Planner statistics, as autovacuum would gather them soon after such an insert:
        # without them PostgreSQL plans for a few rows and hash-joins every need of the table.
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        print(f"seeded {count} leads in {time.perf_counter() - started:.1f} s")
        db.engine.dispose()
    return key, secret


def seed(count: int) -> tuple[str, str]:
    from portal.api import clients
    from portal.api.scopes import Scope
    from portal.db import utcnow
    from portal.enums import GuaranteeType, LeadStatus, Role
    from portal.extensions import db
    from portal.leads.models import Lead
    from portal.needs.models import FinancingNeed
    from tests.factories import InstitutionFactory, UserFactory, published_product

    bank = InstitutionFactory()
    product = published_product(bank, "API 基准信用贷", "3.45")
    firm_users = [UserFactory(role=Role.SME) for _ in range(50)]
    admin = UserFactory(role=Role.BANK_ADMIN, institution=bank)
    db.session.flush()
    now = utcnow()
    needs = [
        {
            "firm_id": firm_users[n % 50].firm_id,
            "submitted_by_id": firm_users[n % 50].id,
            "amount": Decimal(100_000 + n % 40 * 50_000),
            "term_months": 12,
            "purpose": "经营周转",
            "guarantee_type": GuaranteeType.CREDIT,
            "consent_at": now,
            "consent_scope": "bench",
            "idempotency_key": f"bench-api-leads-{n}",
            "unmatched": [],
            "created_at": now - dt.timedelta(minutes=n),
        }
        for n in range(count)
    ]
    db.session.execute(insert(FinancingNeed), needs)
    need_ids = db.session.scalars(select(FinancingNeed.id).order_by(FinancingNeed.id)).all()
    db.session.execute(
        insert(Lead),
        [
            {
                "need_id": need_id,
                "institution_id": bank.id,
                "product_id": product.id,
                "status": LeadStatus.OPEN,
                "deadline_at": now + dt.timedelta(days=2),
                "created_at": now,
            }
            for need_id in need_ids
        ],
    )
    issued = clients.create(admin, "bench", [Scope.LEADS_READ], [])
    return issued.client.client_key, issued.secret


# --- the load ----------------------------------------------------------------------------------


def load(clients: int, work: Callable[[requests.Session], list[float]]) -> dict[str, float]:
    """Run `work` on `clients` threads at once, each with its own session; the latencies."""
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def client() -> None:
        with requests.Session() as session:
            start.wait()
            mine = work(session)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "p50": percentile(ordered, 50),
        "p95": percentile(ordered, 95),
        "max": ordered[-1],
        "rate": len(ordered) / elapsed,
    }


def _health(session: requests.Session, url: str, times: int) -> list[float]:
    return [_timed(session, "GET", f"{url}/health")[0] for _ in range(times)]


def _leads(session: requests.Session, url: str, token: str) -> list[float]:
    """Every page of the list, following next_cursor; the latency of each."""
    headers = {"Authorization": f"Bearer {token}"}
    latencies, cursor = [], None
    while True:
        query = f"?limit={PAGE}" + (f"&cursor={cursor}" if cursor else "")
        elapsed, body = _timed(session, "GET", f"{url}/api/v1/leads{query}", headers=headers)
        latencies.append(elapsed)
        cursor = body["next_cursor"]
        if not cursor:
            return latencies


def _page_paths(url: str, token: str) -> list[str]:
    """The path of every page of the lead list, its cursor read by paging through once."""
    paths, cursor = [], None
    with requests.Session() as session:
        while True:
            path = f"/api/v1/leads?limit={PAGE}" + (f"&cursor={cursor}" if cursor else "")
            paths.append(path)
            headers = {"Authorization": f"Bearer {token}"}
            cursor = _timed(session, "GET", url + path, headers=headers)[1]["next_cursor"]
            if not cursor:
                return paths


WRK_SCRIPT = """
local paths = {%(paths)s}
local headers = {%(headers)s}
local turn = math.random(#paths)
request = function()
  turn = turn %% #paths + 1
  return wrk.format("GET", paths[turn], headers)
end
done = function(summary, latency, requests)
  io.write(string.format("WRK %%d %%d %%d %%d %%d %%d\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency.max, summary.duration))
end
"""


@dataclass
class _Wrk:
    command: str | None
    seconds: int
    workdir: Path

    def run(self, url: str, paths: list[str], token: str | None, clients: int) -> dict[str, float]:
        """`clients` connections on two threads asking for `paths` in turn."""
        script = self.workdir / "pages.lua"
        headers = f'["Authorization"] = "Bearer {token}"' if token else ""
        listed = ", ".join(f'"{path}"' for path in paths)
        script.write_text(WRK_SCRIPT % {"paths": listed, "headers": headers})
        command = [str(self.command), "-t2", f"-c{clients}", f"-d{self.seconds}s"]
        output = subprocess.run(  # noqa: S603 - our own command line
            [*command, "--timeout", "30s", "-s", str(script), url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        line = next(line for line in output.splitlines() if line.startswith("WRK "))
        count, errors, p50, p95, longest, duration = (int(n) for n in line.split()[1:])
        if errors:
            raise SystemExit(f"wrk: {errors} of {count} requests failed\n{output}")
        return {
            "requests": count,
            "p50": p50 / 1e6,
            "p95": p95 / 1e6,
            "max": longest / 1e6,
            "rate": count / (duration / 1e6),
        }


def _timed(session: requests.Session, method: str, url: str, **kwargs: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    response = session.request(method, url, timeout=60, **kwargs)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{method} {url}: {response.status_code} {response.text[:300]}")
    is_json = response.headers.get("Content-Type", "").startswith("application/json")
    return elapsed, response.json() if is_json else None


def _token(url: str, key: str, secret: str) -> str:
    response = requests.post(
        f"{url}/api/v1/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(key, secret),
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["access_token"]


def _line(label: str, name: str, figures: dict[str, float]) -> str:
    ms = {k: f"{figures[k] * 1000:.1f}" for k in ("p50", "p95", "max")}
    return (
        f"{label:>6} {name:16} {int(figures['requests']):>8} {ms['p50']:>8} {ms['p95']:>8} "
        f"{ms['max']:>8} {figures['rate']:>7.0f}"
    )


if __name__ == "__main__":
    main()
