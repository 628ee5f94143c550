"""Time a whole month of loan reports sent through the API: PUT /api/v1/loan-reports/{period}.

Run from the project root (a fresh SQLite file under /tmp, removed afterwards):

    .venv/bin/python -m bench.api_report_batch               # 20,000 loans
    .venv/bin/python -m bench.api_report_batch --rows 50000

One approved bank gets `--rows` loans by one bulk insert and an API client with the reports
scope. Timed over HTTP (the Flask test client, so body parsing, the schema, the row checks, the
apply and the answer are all in): a first batch (every report inserted), the same batch again
(every report updated in place) and a batch with one bad row in the middle (refused whole,
nothing applied), each once; then the GET of the month.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
import time
from decimal import Decimal

from sqlalchemy import insert


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    handle, path = tempfile.mkstemp(prefix="api-report-batch-", suffix=".sqlite3")
    os.close(handle)
    try:
        run(f"sqlite:///{path}", args.rows)
    finally:
        for leftover in (path, f"{path}-wal", f"{path}-shm"):
            if os.path.exists(leftover):
                os.remove(leftover)


def run(database_url: str, count: int) -> None:
    from portal import create_app, migrate
    from portal.extensions import db

    app = create_app("testing", DATABASE_URL=database_url, API_RATE_LIMIT="1000 per second")
    with app.app_context():
        migrate.upgrade("head")
        key, secret, period = setup(count)
        db.session.commit()
    client = app.test_client()
    token = client.post(
        "/api/v1/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(key, secret),
    ).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    url = f"/api/v1/loan-reports/{period:%Y-%m}"
    rows = [
        {
            "contract_no": f"HT-BENCH-{n:06}",
            "balance": "850000.00",
            "days_overdue": 0,
            "five_tier_class": "normal",
        }
        for n in range(count)
    ]
    body = json.dumps({"rows": rows}).encode()
    bad = [*rows]
    bad[count // 2] = {**bad[count // 2], "balance": "abc"}
    print(f"{count} rows, body {len(body) / 2**20:.1f} MiB, {database_url}")
    timed(client, "PUT first batch (insert)", "PUT", url, body, headers, 200)
    timed(client, "PUT same batch (update)", "PUT", url, body, headers, 200)
    bad_body = json.dumps({"rows": bad}).encode()
    timed(client, "PUT one bad row (refused)", "PUT", url, bad_body, headers, 422)
    timed(client, "GET the month", "GET", url, None, headers, 200)


def setup(count: int) -> tuple[str, str, dt.date]:
    """A bank with `count` loans due for last month, and its API client's key and secret."""
    from portal.accounts.models import User
    from portal.accounts.passwords import unusable_password_hash
    from portal.api import clients
    from portal.api.scopes import Scope
    from portal.dates import shift_month
    from portal.enums import Role
    from portal.extensions import db
    from portal.leads.models import Loan
    from portal.reporting.services import last_month
    from tests.factories import FirmFactory, InstitutionFactory

    period = last_month()
    bank = InstitutionFactory()
    firm = FirmFactory()
    admin = User(
        email="bench-admin@bank.invalid",
        password_hash=unusable_password_hash(),
        full_name="bench",
        role=Role.BANK_ADMIN,
        institution_id=bank.id,
    )
    db.session.add(admin)
    db.session.flush()
    disbursed = shift_month(period, -3)
    db.session.execute(
        insert(Loan),
        [
            {
                "institution_id": bank.id,
                "firm_id": firm.id,
                "contract_no": f"HT-BENCH-{n:06}",
                "amount": Decimal("1000000"),
                "rate": Decimal("3.45"),
                "term_months": 24,
                "disbursed_on": disbursed,
                "maturity_on": disbursed.replace(year=disbursed.year + 2),
            }
            for n in range(count)
        ],
    )
    issued = clients.create(admin, "bench", [Scope.REPORTS_WRITE], [])
    return issued.client.client_key, issued.secret, period


def timed(client, label, method, url, body, headers, expected) -> None:
    started = time.perf_counter()
    response = client.open(url, method=method, data=body, headers=headers)
    elapsed = time.perf_counter() - started
    if response.status_code != expected:
        raise SystemExit(f"{label}: {response.status_code} {response.get_data(as_text=True)[:500]}")
    print(f"{label:28} {elapsed:7.2f} s  ({response.status_code})")


if __name__ == "__main__":
    main()
