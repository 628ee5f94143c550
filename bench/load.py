"""Load test: many users at once over real HTTP against gunicorn on PostgreSQL, then a check
from the database that nothing was lost, doubled or half-applied.

    python -m bench.load --database-url postgresql://postgres@127.0.0.1:5432/portal_load \\
        --users 50 --duration 60

The database is migrated and given the demo province (`flask demo seed`; both are idempotent),
bank officer accounts spread over the banks that publish products (one user in six is an
officer), and returning firm users, each with a need already in the open pool; one firm user in
three registers a new firm during the run instead. gunicorn is started with CSRF on (the
development config: production's secure cookies need HTTPS), the users run as threads with
their own cookie sessions, and the summary says how many requests they made, how many failed
with a 5xx, and what the database check found (`bench.load_check`). The exit status is 0 only
when errors, lost, doubled and half-applied are all zero. Use a database of its own: the run
leaves its firms, needs and leads behind.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bench.load_check import Findings, check
from bench.load_client import PageError, PortalClient, Recorder
from bench.load_users import (
    PREFECTURES,
    Account,
    Ledger,
    Run,
    bank_officer,
    firm_user,
    run_tag,
)
from demo import exchange as demo_exchange
from portal.config import normalise_database_url

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT_DOMAIN = "load-bench.example.com"
REGISTERING_SHARE = 3  # one firm user in three registers a new firm; the others sign in


# --- the database --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accounts:
    officers: list[Account]
    firms: list[Account]  # returning firm users; the others register during the run


def prepare(database_url: str, officers: int, firms: int) -> Accounts:
    """Migrate, seed the demo province and make the accounts, in a process of its own."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "bench.load",
            "--prepare-only",
            "--database-url",
            database_url,
            "--officers",
            str(officers),
            "--firms",
            str(firms),
        ],
        cwd=ROOT,
        env=portal_env(database_url),
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"preparing the database failed:\n{done.stderr[-3000:]}")
    made = json.loads(done.stdout.strip().splitlines()[-1])
    return Accounts(
        *([Account(**fields) for fields in made[kind]] for kind in ("officers", "firms"))
    )


def _prepare_here(database_url: str, officers: int, firms: int) -> dict[str, list[dict]]:
    from demo.seed import seed_demo
    from portal import create_app, migrate
    from portal.extensions import db

    app = create_app("development", DATABASE_URL=normalise_database_url(database_url))
    with app.app_context():
        migrate.upgrade("head")
        seed_demo()
        made = {"officers": _officers(officers), "firms": _returning_firms(firms)}
        db.session.commit()
    return {kind: [account.__dict__ for account in accounts] for kind, accounts in made.items()}


def _officers(count: int) -> list[Account]:
    """Bank officers spread over the approved banks that publish products."""
    from sqlalchemy import select

    from portal.catalog.models import BankProduct
    from portal.enums import OnboardingStatus, ProductStatus, Role
    from portal.extensions import db
    from portal.institutions.models import FinancialInstitution

    banks = db.session.scalars(
        select(FinancialInstitution)
        .where(
            FinancialInstitution.onboarding_status == OnboardingStatus.APPROVED,
            select(BankProduct.id)
            .where(
                BankProduct.institution_id == FinancialInstitution.id,
                BankProduct.status == ProductStatus.PUBLISHED,
            )
            .exists(),
        )
        .order_by(FinancialInstitution.id)
    ).all()
    return [
        _factory_user(f"officer{n}@{ACCOUNT_DOMAIN}", role=Role.BANK_OFFICER, institution=bank)
        for n, bank in zip(range(count), itertools.cycle(banks), strict=False)
    ]


def _returning_firms(count: int) -> list[Account]:
    """Firm users with a registered small manufacturer each (A-grade taxpayer since 2018).

    Each new one also puts a need in the open pool, so the officers have leads to race for from
    the first second, however slowly the firms' own submissions come in.
    """
    from portal.enums import Role
    from portal.firms.standards import make_credit_code

    return [
        _factory_user(
            f"firm-user{n}@{ACCOUNT_DOMAIN}",
            on_create=_pool_a_need,
            role=Role.SME,
            firm__credit_code=make_credit_code("9", "1", "350100", f"R{n:07d}"),
            firm__region_code=PREFECTURES[n % len(PREFECTURES)],
            firm__qualifications=["high_tech"],
        )
        for n in range(count)
    ]


def _pool_a_need(user: Any) -> None:
    from decimal import Decimal

    from portal.enums import GuaranteeType
    from portal.leads.services import send_to_pool
    from portal.needs.services import NeedInput, submit_need

    data = NeedInput(Decimal("1000000"), 12, "备货", GuaranteeType.CREDIT, None)
    send_to_pool(user, submit_need(user, user.firm, data, f"prepared-{user.id}"))


def _factory_user(
    email: str, on_create: Callable[[Any], None] | None = None, **fields: object
) -> Account:
    """The account with this email, made by the test factory if missing.

    The factory's users sign in with its password (and its one-time-code secret, if any).
    """
    from sqlalchemy import select

    from portal.accounts.models import User
    from portal.extensions import db
    from tests import factories

    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = factories.UserFactory(email=email, **fields)
        if on_create is not None:
            on_create(user)
    return Account(
        email=email,
        password=factories.PASSWORD,
        institution_id=user.institution_id,
        totp_secret=getattr(factories, "TOTP_SECRET", None),
    )


def portal_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of the portal's processes: its database, CSRF on, plain HTTP cookies."""
    env = {key: value for key, value in os.environ.items() if key != "TEST_DATABASE_URL"}
    env.update(
        PORTAL_ENV="development",
        DATABASE_URL=database_url,
        SECRET_KEY=env.get("SECRET_KEY") or secrets.token_hex(32),
        PORTAL_INSTANCE_PATH=env.get("PORTAL_INSTANCE_PATH") or tempfile.gettempdir(),
    )
    env.update(extra)
    return env


# --- gunicorn ------------------------------------------------------------------------------------


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(
    database_url: str,
    workers: int = 4,
    log_dir: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """Serve the portal with gunicorn on a free local port until the block ends."""
    port = free_port()
    log_path = Path(log_dir or tempfile.mkdtemp(prefix="portal-load-")) / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and gunicorn
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--graceful-timeout",
                "10",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=portal_env(database_url, **(extra_env or {})),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_until_serving(server)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_serving(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{server.log_tail()}")
        try:
            if requests.get(server.base_url + "/login", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{server.log_tail()}")


# --- a run ---------------------------------------------------------------------------------------


@dataclass
class Result:
    users: int
    firms: int
    officers: int
    duration: float
    recorder: Recorder
    ledger: Ledger
    findings: Findings | None = None

    @property
    def errors(self) -> int:
        """5xx answers and requests that got no answer at all."""
        return len(self.recorder.failures)

    @property
    def lost(self) -> int:
        return len(self.findings.lost) if self.findings else 0

    @property
    def ok(self) -> bool:
        findings_ok = self.findings is None or self.findings.ok
        return not self.errors and not self.ledger.aborted and findings_ok

    def summary(self) -> str:
        r, ledger, f = self.recorder, self.ledger, self.findings
        lines = [
            f"users: {self.users} ({self.firms} firms, {self.officers} bank officers)",
            f"duration: {self.duration:.1f} s",
            f"requests: {r.requests} ({r.requests / self.duration:.1f}/s; median "
            f"{r.percentile(0.5) * 1000:.0f} ms, p95 {r.percentile(0.95) * 1000:.0f} ms, "
            f"max {r.percentile(1.0) * 1000:.0f} ms)",
            "statuses: " + ", ".join(f"{s}: {n}" for s, n in sorted(r.statuses.items())),
            f"firms registered: {len(ledger.registered)}; needs submitted: {len(ledger.needs)} "
            f"({ledger.double_submits} sent twice at once, {ledger.confirmations} confirmations); "
            f"pooled: {len(ledger.pooled)}",
            f"claims: {len(ledger.claims)} attempts, "
            f"{sum(won for _, _, won in ledger.claims)} won, "
            f"{f.contested_leads if f else 0} leads contested; accepted: {len(ledger.accepted)}, "
            f"offers: {len(ledger.approved)}, declined: {len(ledger.declined)}",
            f"errors: {self.errors}",
            f"unexpected pages: {len(ledger.aborted)}",
        ]
        if f is not None:
            lines += [
                f"lost: {len(f.lost)}",
                f"doubled: {len(f.doubled)}",
                f"half-applied: {len(f.half_applied)}",
            ]
        details = r.failures[:10] + ledger.aborted[:10]
        if f is not None:
            details += f.lost[:10] + f.doubled[:10] + f.half_applied[:10]
        return "\n".join(lines + [f"  {d}" for d in details])


def split(users: int) -> tuple[int, int]:
    """(bank officers, returning firm users) among `users`: one in six is a bank officer, and
    one firm user in three registers a new firm while the others sign in to theirs."""
    officers = max(1, users // 6)
    firms = users - officers
    return officers, firms - (firms + REGISTERING_SHARE - 1) // REGISTERING_SHARE


def run_load(
    base_url: str,
    accounts: Accounts,
    users: int,
    duration: float,
    seed: int = 2026,
    identities: list[tuple[str, str, str]] | None = None,
) -> Result:
    """Run `users` simulated users for `duration` seconds; return what they saw and were told."""
    rng = random.Random(seed)  # noqa: S311 - a repeatable mix of user actions, not secrets
    recorder, ledger = Recorder(), Ledger()
    officers = accounts.officers[: split(users)[0]]
    clients = [PortalClient(base_url, recorder, agent=f"bench.load/{n}") for n in range(users)]
    _sign_in(clients, officers, ledger)
    returning = iter(accounts.firms)
    started = time.monotonic()
    run = Run(base_url, ledger, started + duration, run_tag(), identities or [])
    threads = []
    for n, client in enumerate(clients):
        user_rng = random.Random(rng.random())  # noqa: S311 - as above
        if n < len(officers):
            work = _guarded(ledger, bank_officer, client, run, officers[n], user_rng)
        else:
            account = None if (n - len(officers)) % REGISTERING_SHARE == 0 else next(returning)
            work = _guarded(ledger, firm_user, client, run, n, account, user_rng)
        threads.append(threading.Thread(target=work, name=f"user-{n}", daemon=True))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, started + duration + 120 - time.monotonic()))
    elapsed = time.monotonic() - started
    return Result(users, users - len(officers), len(officers), elapsed, recorder, ledger)


def _sign_in(clients: list[PortalClient], officers: list[Account], ledger: Ledger) -> None:
    """Sign the officers in (password and one-time code) before the clock starts."""
    threads = [
        threading.Thread(
            target=_guarded(
                ledger, client.login, officer.email, officer.password, officer.totp_secret
            )
        )
        for client, officer in zip(clients, officers, strict=False)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)


def _guarded(ledger: Ledger, work: Callable[..., None], *args: object) -> Callable[[], None]:
    """Run one user; an unexpected page or a dropped connection ends that user and is counted."""

    def run() -> None:
        try:
            work(*args)
        except (PageError, requests.RequestException) as error:
            message = f"{getattr(work, '__name__', work)}: {error}"
            ledger.record(lambda led: led.aborted.append(message))

    return run


def load_test(database_url: str, users: int, duration: float, workers: int = 4) -> Result:
    """Prepare the database, start the data exchange (registration checks the registry), serve
    the portal with gunicorn, run the users, check the database."""
    accounts = prepare(database_url, *split(users))
    exchange = demo_exchange.start(
        database_url, Path(tempfile.mkdtemp(prefix="portal-load-exchange-")), extra=users
    )
    try:
        identities = registry_identities(demo_exchange.identities(exchange, count=users))
        with gunicorn(database_url, workers, extra_env=exchange.config) as server:
            result = run_load(server.base_url, accounts, users, duration, identities=identities)
    finally:
        exchange.stop()
    result.findings = check(database_url, result.ledger, accounts.officers)
    return result


def registry_identities(listing: str) -> list[tuple[str, str, str]]:
    """(credit code, legal representative, ID number) of the registry-only firms the exchange
    listed (`python -m exchange demo-identities`): firms a load user may register."""
    found = []
    for line in listing.splitlines():
        columns = re.split(r"\s{2,}", line.strip())
        if line.startswith("#") or len(columns) < 4:
            continue
        code, _name, representative, id_number = columns[:4]
        found.append((code, representative, id_number))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database to use")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60, help="seconds")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--prepare-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--officers", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--firms", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prepare_only:
        print(json.dumps(_prepare_here(args.database_url, args.officers, args.firms)))
        return 0
    result = load_test(args.database_url, args.users, args.duration, args.workers)
    print(result.summary())
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
