"""Throttles that hold under concurrency: attempts are counted before they are checked, a code
is accepted once however many sessions send it at the same moment, and an attacker who knows an
email cannot lock its owner out of a browser the owner has signed in with before.

The concurrent tests commit for real and send real requests from many threads at once, each
thread a browser of its own, with the counters in the database and in Redis.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.accounts import devices, services, throttle, two_factor
from portal.accounts.models import RecoveryCode, User
from portal.audit.models import AuditEntry
from portal.enums import Role
from portal.extensions import db
from tests.conftest import PASSWORD
from tests.factories import TOTP_SECRET, UserFactory
from tests.redis_server import REDIS_URL, redis_available

THREADS = 48
SESSIONS = 6


def _addresses(count: int) -> list[str]:
    """Addresses of this test alone (198.18.0.0/15 is for benchmarks), so Redis keys are too."""
    base = uuid.uuid4().int
    return [f"198.{18 + base % 2}.{(base >> 8) % 256}.{n}" for n in range(1, count + 1)]


@pytest.fixture(params=["database", "redis"])
def counted_app(request: pytest.FixtureRequest, app: Flask) -> Iterator[Flask]:
    """The app with its counters in the database, or a second instance counting in Redis."""
    if request.param == "database":
        yield app
        return
    if not redis_available():
        pytest.skip("Redis is not reachable")
    from portal import create_app

    worker = create_app("testing", DATABASE_URL=app.config["DATABASE_URL"], REDIS_URL=REDIS_URL)
    try:
        yield worker
    finally:
        with worker.app_context():
            worker.extensions["portal.db"].dispose()
        db.factory.configure(bind=app.extensions["portal.db"])


def _forget_redis_keys(emails: list[str], addresses: list[str]) -> None:
    """Delete this test's Redis counters (other runs may share the test database 15)."""
    if not redis_available():
        return
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    marks = [throttle.account_key(email) for email in emails] + addresses
    for key in client.scan_iter(match="login:*"):
        if any(mark in key.decode() for mark in marks):
            client.delete(key)


def at_once(count: int, action: Callable[[int], Any]) -> list[Any]:
    """Run action(0..count-1) in as many threads released together; their results in order."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(n: int) -> None:
        barrier.wait()
        try:
            results[n] = action(n)
        except BaseException as error:  # raised again in the test's own thread below
            results[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def browser(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def audit_count(app: Flask, action: str, **detail: str) -> int:
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()
        return sum(all(e.detail.get(k) == v for k, v in detail.items()) for e in entries)


def lock_entries(app: Flask) -> list[str]:
    """The limits named by the audit log's lock entries, sorted."""
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "auth.login_locked")
        ).all()
        return sorted(e.detail["limit"] for e in entries)


def count_password_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the passwords actually verified (the list grows by one per check)."""
    checks: list[int] = []
    real = services.verify_password

    def counting(stored: str | None, given: str) -> bool:
        checks.append(1)  # list.append is atomic under the GIL
        return real(stored, given)

    monkeypatch.setattr(services, "verify_password", counting)
    return checks


@pytest.mark.real_commits
@pytest.mark.parametrize(
    ("spread", "limit", "locks"),
    [
        # From one address, 48 tries also pass the address's 30: both counters lock, once each.
        ("one address", throttle.ACCOUNT_FROM_ADDRESS, ["acct-addr", "addr"]),
        ("many addresses", throttle.ACCOUNT, ["acct"]),
    ],
)
def test_simultaneous_wrong_passwords_get_no_more_tries_than_the_limit(
    counted_app, create, monkeypatch, spread, limit, locks
):
    """48 wrong passwords at once: only the limit's worth are checked, the rest get 429 unseen."""
    checks = count_password_checks(monkeypatch)
    user = create(UserFactory, role=Role.SME, email=f"race-{uuid.uuid4().hex[:8]}@example.com")
    addresses = _addresses(1 if spread == "one address" else THREADS)
    clients = [browser(counted_app, addresses[n % len(addresses)]) for n in range(THREADS)]
    try:
        statuses = at_once(
            THREADS,
            lambda n: clients[n]
            .post("/login", data={"email": user.email, "password": f"guess {n}"})
            .status_code,
        )
        assert sorted(statuses) == [200] * limit.attempts + [429] * (THREADS - limit.attempts)
        assert len(checks) == limit.attempts
        assert audit_count(counted_app, "auth.login_failed") == limit.attempts
        assert lock_entries(counted_app) == locks
    finally:
        _forget_redis_keys([user.email], addresses)


def half_signed_in(app: Flask, email: str, addresses: list[str]) -> list[FlaskClient]:
    """Sessions, one per address, that gave the right password and owe the second step."""
    clients = [browser(app, address) for address in addresses]
    for client in clients:
        response = client.post("/login", data={"email": email, "password": PASSWORD})
        assert response.headers["Location"].endswith("/login/verify")
    return clients


def second_steps_at_once(clients: list[FlaskClient], code: str) -> list[str]:
    """Every session sends the code at the same moment: "in" (signed in) or "refused".

    A session is refused either by the code check, or, when the winner's sign-in has already
    rotated the account's session token, by having its half-finished sign-in voided.
    """

    def send(n: int) -> str:
        response = clients[n].post("/login/verify", data={"code": code})
        location = response.headers.get("Location", "")
        if response.status_code == 302 and location.endswith("/home"):
            return "in"
        voided = response.status_code == 302 and location.endswith("/login")
        assert voided or "验证码不正确或已使用" in response.get_data(as_text=True)
        return "refused"

    return at_once(len(clients), send)


@pytest.mark.real_commits
def test_one_totp_code_sent_from_six_sessions_at_once_signs_in_one(app, create):
    """One fresh code, six half-signed-in sessions at the same moment: exactly one gets in."""
    user = create(UserFactory, role=Role.BANK_OFFICER)
    clients = half_signed_in(app, user.email, _addresses(SESSIONS))
    outcomes = second_steps_at_once(clients, pyotp.TOTP(TOTP_SECRET).now())
    assert sorted(outcomes) == ["in"] + ["refused"] * (SESSIONS - 1)
    signed_in = [c for c, outcome in zip(clients, outcomes, strict=True) if outcome == "in"]
    assert signed_in[0].get("/bank").status_code == 200
    assert audit_count(app, "auth.two_factor", method="totp") == 1
    assert audit_count(app, "auth.login") == 1


@pytest.mark.real_commits
def test_one_recovery_code_sent_from_six_sessions_at_once_signs_in_one(app, create):
    """A recovery code sent by six sessions at the same moment is spent once, by one of them."""
    user = create(UserFactory, role=Role.GOV_STAFF)
    with app.app_context():
        codes = two_factor.issue_recovery_codes(db.session.get(User, user.id))
        db.session.commit()
    clients = half_signed_in(app, user.email, _addresses(SESSIONS))
    outcomes = second_steps_at_once(clients, codes[0])
    assert sorted(outcomes) == ["in"] + ["refused"] * (SESSIONS - 1)
    assert audit_count(app, "auth.two_factor", method="recovery_code") == 1
    with app.app_context():
        unused = db.session.scalar(
            select(func.count()).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
    assert unused == len(codes) - 1


def attempt(client: FlaskClient, email: str, password: str):
    return client.post("/login", data={"email": email, "password": password})


def lock_the_account_from_elsewhere(app: Flask, email: str) -> None:
    """An attacker who knows only the email: 4 guesses from each of 5 addresses (20 in all)."""
    for address in _addresses(5):
        attacker = browser(app, address)
        for n in range(4):
            assert attempt(attacker, email, f"guess {n}").status_code == 200
    assert attempt(browser(app, "203.0.113.200"), email, "one more guess").status_code == 429


def test_owner_with_a_device_cookie_signs_in_while_the_account_is_locked(app, create):
    """A browser the owner signed in with before is not stopped by failures from elsewhere."""
    user = create(UserFactory, role=Role.SME)
    owner = browser(app, "192.0.2.10")
    assert attempt(owner, user.email, PASSWORD).status_code == 302
    assert owner.get_cookie(devices.COOKIE_NAME) is not None
    owner.post("/logout")

    lock_the_account_from_elsewhere(app, user.email)
    owner.environ_base["REMOTE_ADDR"] = "192.0.2.99"  # the owner's address may change too
    response = attempt(owner, user.email, PASSWORD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/home")


def test_staff_owner_with_a_device_cookie_also_passes_the_code_step(app, create, auth):
    """The second step is throttled per device too: the owner's code is accepted."""
    user = create(UserFactory, role=Role.REGULATOR)
    owner = browser(app, "192.0.2.11")
    auth.client = owner
    auth.login(user.email)
    owner.post("/logout")

    lock_the_account_from_elsewhere(app, user.email)
    auth.forget_last_code(user.email)
    assert attempt(owner, user.email, PASSWORD).headers["Location"].endswith("/login/verify")
    code = pyotp.TOTP(TOTP_SECRET).now()
    assert owner.post("/login/verify", data={"code": code}).headers["Location"].endswith("/home")


def test_owner_without_a_device_cookie_is_locked_as_before(app, create):
    """A new browser, or one whose cookie is forged or for another account, meets the lock."""
    user = create(UserFactory, role=Role.SME)
    other = create(UserFactory, role=Role.SME)
    elsewhere = browser(app, "192.0.2.20")
    assert attempt(elsewhere, other.email, PASSWORD).status_code == 302  # a cookie for `other`
    elsewhere.post("/logout")

    lock_the_account_from_elsewhere(app, user.email)
    new_browser = browser(app, "192.0.2.21")
    refused = attempt(new_browser, user.email, PASSWORD)
    assert refused.status_code == 429 and "尝试次数过多" in refused.get_data(as_text=True)
    assert attempt(elsewhere, user.email, PASSWORD).status_code == 429
    forged = browser(app, "192.0.2.22")
    genuine = elsewhere.get_cookie(devices.COOKIE_NAME).value
    forged.set_cookie(devices.COOKIE_NAME, genuine[:-2] + ("AA" if genuine[-2:] != "AA" else "BB"))
    assert attempt(forged, user.email, PASSWORD).status_code == 429


def test_a_device_is_throttled_on_its_own(app, create):
    """A device cookie is no free pass: five failures lock that browser, not the account."""
    user = create(UserFactory, role=Role.SME)
    owner = browser(app, "192.0.2.30")
    assert attempt(owner, user.email, PASSWORD).status_code == 302
    owner.post("/logout")
    for n in range(throttle.DEVICE.attempts):
        assert attempt(owner, user.email, f"guess {n}").status_code == 200
    assert attempt(owner, user.email, PASSWORD).status_code == 429
    assert attempt(browser(app, "192.0.2.31"), user.email, PASSWORD).status_code == 302
    assert audit_count(app, "auth.login_locked", limit=throttle.DEVICE.name) == 1


def test_a_lock_is_audited_once_however_many_attempts_it_refuses(app, create):
    """Refused attempts do not flood the log: one entry per lock, naming the account."""
    user = create(UserFactory, role=Role.SME)
    lock_the_account_from_elsewhere(app, user.email)
    for address in _addresses(10):
        assert attempt(browser(app, address), user.email, "guess").status_code == 429
    with app.app_context():
        locks = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "auth.login_locked")
        ).all()
        assert [(e.actor_id, e.detail["limit"], e.detail["email"]) for e in locks] == [
            (user.id, throttle.ACCOUNT.name, user.email)
        ]
        assert locks[0].remote_addr is not None
    assert audit_count(app, "auth.login_failed") == throttle.ACCOUNT.attempts


def test_an_unknown_email_is_throttled_like_a_real_one(app, create):
    """Locks and their message do not tell whether an account exists."""
    user = create(UserFactory, role=Role.SME)
    pages = []
    for email in (user.email, "nobody-here@example.com"):
        client = browser(app, "203.0.113.50")
        for n in range(throttle.ACCOUNT_FROM_ADDRESS.attempts):
            wrong = attempt(client, email, f"guess {n}")
            assert "邮箱或密码不正确" in wrong.get_data(as_text=True)
        refused = attempt(client, email, "guess")
        pages.append((refused.status_code, "尝试次数过多" in refused.get_data(as_text=True)))
    assert pages == [(429, True), (429, True)]
