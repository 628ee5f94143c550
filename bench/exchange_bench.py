"""Time the stand-in exchange: its seed from a portal database, and reads over loopback HTTP.

    .venv/bin/python -m bench.exchange_bench --portal-db sqlite:////tmp/province.sqlite3 \
        --exchange-db sqlite:////tmp/exchange-bench.sqlite3 [--skip-seed] [--bulk-codes 254341]

It seeds the exchange database (emptied first: never point it at one in use), serves it with
werkzeug's threaded server in this process, then reads every source of 200 firms one request at
a time (the portal's first verification of a firm) and all sources of the first --bulk-codes
firms through POST /v1/bulk in requests of 1,000 codes (the portal's re-verification job).
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time

import requests
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from exchange.app import create_app
from exchange.models import RegistryFirm
from exchange.seed import seed_from_portal
from exchange.signing import signed_headers
from exchange.switches import SOURCES

CLIENT, SECRET = "bench", "bench-secret"


class _Quiet(WSGIRequestHandler):
    def log_request(self, *_args: object) -> None:
        """No access log."""


def _signed(base: str, method: str, path: str, payload: object = None) -> requests.Response:
    body = b"" if payload is None else json.dumps(payload).encode()
    headers = signed_headers(CLIENT, SECRET, method, path, body=body)
    headers["Content-Type"] = "application/json"
    response = requests.request(method, base + path, data=body, headers=headers, timeout=120)
    response.raise_for_status()
    return response


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def main() -> None:
    """Seed, serve, and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--portal-db", required=True)
    parser.add_argument("--exchange-db", required=True)
    parser.add_argument("--skip-seed", action="store_true")
    parser.add_argument("--bulk-codes", type=int, default=254_341)
    args = parser.parse_args()
    if not args.skip_seed:
        print(seed_from_portal(args.exchange_db, args.portal_db, extra=40).summary())
    app = create_app(
        {"DATABASE_URL": args.exchange_db, "CLIENTS": {CLIENT: SECRET}, "ADMIN_KEY": "x"}
    )
    with app.extensions["exchange"].engine.connect() as conn:
        codes = list(conn.scalars(select(RegistryFirm.credit_code).limit(args.bulk_codes)))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        _single_reads(base, codes[:200])
        _bulk_reads(base, codes)
    finally:
        server.shutdown()


def _single_reads(base: str, codes: list[str]) -> None:
    """Each firm's five sources one GET at a time, as a first verification does."""
    per_request, per_firm = [], []
    for code in codes:
        started = time.perf_counter()
        for source in SOURCES:
            before = time.perf_counter()
            _signed(base, "GET", f"/v1/firms/{code}/{source}")
            per_request.append(time.perf_counter() - before)
        per_firm.append(time.perf_counter() - started)
    print(
        f"single GETs: {len(per_request)} requests, p50 {statistics.median(per_request) * 1000:.1f}"
        f" ms, p95 {_p95(per_request) * 1000:.1f} ms; five sources one after another per firm:"
        f" p95 {_p95(per_firm) * 1000:.1f} ms"
    )


def _bulk_reads(base: str, codes: list[str]) -> None:
    """All sources of every code, 1,000 codes a request."""
    durations = []
    started = time.perf_counter()
    for start in range(0, len(codes), 1000):
        before = time.perf_counter()
        payload = {"codes": codes[start : start + 1000], "sources": list(SOURCES)}
        _signed(base, "POST", "/v1/bulk", payload)
        durations.append(time.perf_counter() - before)
    total = time.perf_counter() - started
    print(
        f"bulk: {len(codes)} codes in {len(durations)} requests, {total:.1f} s in all; per request"
        f" p50 {statistics.median(durations):.2f} s, max {max(durations):.2f} s"
    )


if __name__ == "__main__":
    main()
