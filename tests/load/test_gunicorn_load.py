"""Fifty users at once over real HTTP against gunicorn on PostgreSQL (bench.load, shortened): no
5xx, and the database holds exactly what the users were told, once."""

from __future__ import annotations

import os

from bench.load import load_test

USERS = 50
SECONDS = float(os.environ.get("PORTAL_LOAD_TEST_SECONDS", "20"))


def test_fifty_users_lose_nothing_and_see_no_server_error(scratch_postgres):
    """Registrations, needs (some sent twice at once), pool claims races and decisions all hold."""
    result = load_test(scratch_postgres, USERS, SECONDS, workers=4)
    print("\n" + result.summary())
    assert result.errors == 0, result.summary()
    assert not result.ledger.aborted, result.summary()
    assert result.findings is not None and result.findings.ok, result.summary()
    # The run did what it is meant to exercise.
    assert result.ledger.registered and result.ledger.needs and result.ledger.pooled
    assert result.ledger.claims, result.summary()
