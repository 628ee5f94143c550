"""Time the fan-out of webhook events: 1,000 events delivered to the banks' receivers.

Run from the project root (a fresh SQLite file under /tmp, removed afterwards):

    .venv/bin/python -m bench.api_webhooks                    # 1,000 events, 10 banks
    .venv/bin/python -m bench.api_webhooks --events 5000 --banks 20 --delay-ms 50

Ten banks each subscribe a receiver on loopback (a threaded HTTP server that checks every
signature and may wait `--delay-ms` before answering, as a real system takes time). The events
are emitted as the services emit them (`webhooks.emit`, one transaction each), then the
scheduler's job (`webhooks.send_due`) runs until every delivery is made. The baseline in the
same run: the same number of plain POSTs to the same receivers, one after another, with no
database at all.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx


class Receiver:
    """A bank's system on loopback: counts what it is sent and checks each signature."""

    def __init__(self, delay: float) -> None:
        self.secret = ""
        self.received = 0
        self.bad = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.check(self.headers, body)
                time.sleep(delay)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def check(self, headers, body: bytes) -> None:
        signed = f"{headers['Webhook-Id']}.{headers['Webhook-Timestamp']}.".encode() + body
        wanted = hmac.new(self.secret.encode(), signed, hashlib.sha256).hexdigest()
        with self.lock:
            self.received += 1
            if headers["Webhook-Signature"] != f"v1={wanted}":
                self.bad += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--banks", type=int, default=10)
    parser.add_argument("--delay-ms", type=int, default=0)
    args = parser.parse_args()
    handle, path = tempfile.mkstemp(prefix="api-webhooks-", suffix=".sqlite3")
    os.close(handle)
    try:
        run(f"sqlite:///{path}", args.events, args.banks, args.delay_ms / 1000)
    finally:
        for leftover in (path, f"{path}-wal", f"{path}-shm"):
            if os.path.exists(leftover):
                os.remove(leftover)


def run(database_url: str, count: int, banks: int, delay: float) -> None:
    from portal import create_app, migrate
    from portal.api import webhooks
    from portal.extensions import db

    app = create_app("testing", DATABASE_URL=database_url)
    receivers = [Receiver(delay) for _ in range(banks)]
    with app.app_context():
        migrate.upgrade("head")
        institutions = subscribe(receivers)
        started = time.perf_counter()
        for n in range(count):
            institution = institutions[n % banks]
            webhooks.emit(institution, webhooks.EventType.LEAD_ROUTED, {"lead_id": n + 1})
            db.session.commit()
        emitted = time.perf_counter() - started
        started = time.perf_counter()
        sent = 0
        while sent < count:
            made = webhooks.send_due()
            if not made:
                break
            sent += made
        delivered = time.perf_counter() - started
    received = sum(r.received for r in receivers)
    bad = sum(r.bad for r in receivers)
    baseline = plain_posts(receivers, count)
    print(
        f"{count} events to {banks} banks' receivers (delay {delay * 1000:.0f} ms), {database_url}"
    )
    print(f"emit, one transaction each      {emitted:7.2f} s")
    print(
        f"deliver (send_due until done)   {delivered:7.2f} s  "
        f"{received} received, {bad} bad signatures"
    )
    print(f"baseline: plain POSTs in a row  {baseline:7.2f} s")
    if received != count or bad:
        raise SystemExit("not every event was delivered once with a good signature")


def subscribe(receivers: list[Receiver]) -> list[int]:
    """An approved bank per receiver, its admin, and a subscription to lead.routed."""
    from portal.accounts.models import User
    from portal.accounts.passwords import unusable_password_hash
    from portal.api import webhooks
    from portal.enums import Role
    from portal.extensions import db
    from tests.factories import InstitutionFactory

    institutions = []
    for n, receiver in enumerate(receivers):
        bank = InstitutionFactory()
        admin = User(
            email=f"bench-admin-{n}@bank.invalid",
            password_hash=unusable_password_hash(),
            full_name="bench",
            role=Role.BANK_ADMIN,
            institution_id=bank.id,
        )
        db.session.add(admin)
        db.session.flush()
        issued = webhooks.create(admin, receiver.url, [webhooks.EventType.LEAD_ROUTED])
        receiver.secret = issued.secret
        institutions.append(bank.id)
    db.session.commit()
    return institutions


def plain_posts(receivers: list[Receiver], count: int) -> float:
    """The same number of POSTs, one after another, signed by nobody and stored nowhere."""
    for receiver in receivers:
        receiver.secret = ""
    started = time.perf_counter()
    with httpx.Client() as client:
        for n in range(count):
            client.post(
                receivers[n % len(receivers)].url,
                content=b"{}",
                headers={
                    "Webhook-Id": "x",
                    "Webhook-Timestamp": "0",
                    "Webhook-Signature": "v1=x",
                },
            )
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
