"""Brute force: failures are counted per address, per account and address, and per account, in
the database or in Redis, and a lock lasts only until its window ends."""

from __future__ import annotations

import time
import uuid

import pytest
from flask import Flask

from portal.accounts import throttle
from portal.enums import Role
from tests.conftest import PASSWORD
from tests.factories import UserFactory
from tests.redis_server import REDIS_URL, redis_available


def attempt(client, email: str, password: str, address: str = "203.0.113.7"):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_five_failures_lock_the_account_from_that_address_with_a_clear_message(client, create):
    user = create(UserFactory, role=Role.SME)
    for _ in range(throttle.ACCOUNT_FROM_ADDRESS.attempts):
        assert attempt(client, user.email, "wrong password").status_code == 200
    refused = attempt(client, user.email, PASSWORD)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) <= 15 * 60
    assert "尝试次数过多" in refused.get_data(as_text=True)


def test_an_attacker_elsewhere_does_not_lock_the_real_user_out(client, create, app):
    """Five failures from one address leave the owner, at another address, free to sign in."""
    user = create(UserFactory, role=Role.SME)
    for _ in range(throttle.ACCOUNT_FROM_ADDRESS.attempts):
        attempt(client, user.email, "guess", address="198.51.100.66")
    owner = app.test_client()
    response = attempt(owner, user.email, PASSWORD, address="192.0.2.10")
    assert response.status_code == 302 and response.headers["Location"].endswith("/home")


def test_many_accounts_from_one_address_are_stopped(client, create):
    """Password spraying: one address trying many accounts hits the address limit."""
    users = [create(UserFactory, role=Role.SME) for _ in range(8)]
    tries = 0
    while tries < throttle.ADDRESS.attempts:
        for user in users:
            if tries == throttle.ADDRESS.attempts:
                break
            attempt(client, user.email, f"guess-{tries}", address="198.51.100.9")
            tries += 1
    fresh = create(UserFactory, role=Role.SME)
    assert attempt(client, fresh.email, PASSWORD, address="198.51.100.9").status_code == 429


def test_wrong_second_factor_codes_count_too(client, create):
    user = create(UserFactory, role=Role.BANK_OFFICER)
    for _ in range(throttle.ACCOUNT_FROM_ADDRESS.attempts):
        attempt(client, user.email, PASSWORD)
        client.post(
            "/login/verify", data={"code": "000000"}, environ_base={"REMOTE_ADDR": "203.0.113.7"}
        )
    assert attempt(client, user.email, PASSWORD).status_code == 429


def test_lock_ends_with_its_window(app, client, create, monkeypatch):
    """No lock outlives the window: the next window starts from zero."""
    user = create(UserFactory, role=Role.SME)
    for _ in range(throttle.ACCOUNT_FROM_ADDRESS.attempts):
        attempt(client, user.email, "wrong password")
    assert attempt(client, user.email, PASSWORD).status_code == 429
    later = time.time() + app.config["LOGIN_THROTTLE_WINDOW"]
    monkeypatch.setattr(throttle.time, "time", lambda: later)
    assert attempt(client, user.email, PASSWORD).status_code == 302


def test_success_clears_the_pair_count(client, create):
    user = create(UserFactory, role=Role.SME)
    for _ in range(throttle.ACCOUNT_FROM_ADDRESS.attempts - 1):
        attempt(client, user.email, "wrong password")
    assert attempt(client, user.email, PASSWORD).status_code == 302
    client.post("/logout")
    for _ in range(throttle.ACCOUNT_FROM_ADDRESS.attempts - 1):
        attempt(client, user.email, "wrong password")
    assert attempt(client, user.email, PASSWORD).status_code == 302


@pytest.mark.real_commits
@pytest.mark.skipif(not redis_available(), reason="Redis is not reachable")
def test_redis_counts_are_shared_between_app_processes(app: Flask, create):
    """Two app instances (as two gunicorn workers) share one Redis count."""
    from portal import create_app

    user = create(UserFactory, role=Role.SME)
    address = f"198.51.100.{uuid.uuid4().int % 250}"
    workers = [
        create_app("testing", DATABASE_URL=app.config["DATABASE_URL"], REDIS_URL=REDIS_URL)
        for _ in range(2)
    ]
    for n in range(throttle.ACCOUNT_FROM_ADDRESS.attempts):
        worker = workers[n % 2]
        attempt(worker.test_client(), user.email, "wrong password", address=address)
    for worker in workers:
        assert attempt(worker.test_client(), user.email, PASSWORD, address).status_code == 429
    with workers[0].app_context():
        store = throttle.counter_store()
        for key in throttle._keys(user.email, address).values():
            store.clear(key)


def test_production_cannot_switch_throttling_off(monkeypatch):
    """The switch for scanning a development server is not read by the production config."""
    import importlib

    from portal import config

    monkeypatch.setenv("LOGIN_THROTTLE", "off")
    reloaded = importlib.reload(config)
    try:
        assert reloaded.ProductionConfig.LOGIN_THROTTLE_ENABLED is True
        assert reloaded.DevelopmentConfig.LOGIN_THROTTLE_ENABLED is False
    finally:
        monkeypatch.delenv("LOGIN_THROTTLE")
        importlib.reload(config)
