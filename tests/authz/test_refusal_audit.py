"""Refused requests are audited at a bounded rate, so no signed-in user can flood the log."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from flask import abort
from sqlalchemy import func, select

from portal import create_app
from portal.accounts.models import ThrottleCounter
from portal.audit.models import AuditEntry
from portal.authz import login_required_any, refusals
from portal.enums import Role
from portal.extensions import db
from tests.conftest import Auth
from tests.factories import UserFactory
from tests.redis_server import REDIS_URL, redis_available

# Regulator-only and admin-only pages a firm user is refused: more endpoints than PER_USER.
REFUSED_TO_A_FIRM = [
    "/dashboard/",
    "/dashboard/export/months.csv",
    "/dashboard/export/banks.xlsx",
    "/reports/",
    "/admin/audit/",
    "/admin/audit/export.csv",
    "/admin/users",
    "/admin/lpr",
    "/bank/leads/",
    "/bank/products/",
    "/bank/loan-reports/",
    "/bank/loan-reports/template.csv",
    "/gov/policies/",
    "/gov/onboarding",
]


def refusals_of(app, user_id: int) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEntry)
                .where(
                    AuditEntry.action == "auth.permission_refused", AuditEntry.actor_id == user_id
                )
                .order_by(AuditEntry.id)
            )
        )


@pytest.fixture
def firm_user(create, auth):
    user = create(UserFactory, role=Role.SME)
    auth.login(user.email)
    return user


@pytest.fixture
def frozen_clock(monkeypatch):
    """Refusals counted at a chosen instant (.now moves it); other clocks are left alone. A fresh
    window per test, so counters a shared Redis holds from other runs never meet this test's."""
    clock = SimpleNamespace(now=float(uuid.uuid4().int % 10**9) * refusals.WINDOW_SECONDS + 5)
    monkeypatch.setattr(refusals, "time", SimpleNamespace(time=lambda: clock.now))
    return clock


def test_a_refusal_is_audited_once_per_endpoint_and_window(app, client, firm_user, frozen_clock):
    """Twenty refused requests to one page within a minute leave one entry; all are 403."""
    for _ in range(20):
        assert client.get("/dashboard/").status_code == 403
    [entry] = refusals_of(app, firm_user.id)
    assert entry.detail == {"endpoint": "dashboard.index", "method": "GET"}
    assert entry.actor_role == Role.SME.value


def test_the_next_window_audits_again(app, client, firm_user, frozen_clock):
    """After the window ends the same refusal is recorded again (one entry per minute)."""
    client.get("/dashboard/")
    frozen_clock.now += refusals.WINDOW_SECONDS
    client.get("/dashboard/")
    client.get("/dashboard/")
    assert len(refusals_of(app, firm_user.id)) == 2


def test_many_endpoints_are_bounded_per_user(app, client, firm_user, frozen_clock):
    """Refusals spread over many pages stop being audited after PER_USER entries per window."""
    assert len(REFUSED_TO_A_FIRM) > refusals.PER_USER
    for _ in range(3):
        for path in REFUSED_TO_A_FIRM:
            assert client.get(path).status_code == 403, path
    recorded = refusals_of(app, firm_user.id)
    assert len(recorded) == refusals.PER_USER
    assert len({e.detail["endpoint"] for e in recorded}) == refusals.PER_USER


def test_each_user_has_a_bound_of_their_own(app, client, create, auth, frozen_clock):
    """One user's flood does not silence another user's first refusal."""
    flooder = create(UserFactory, role=Role.SME)
    auth.login(flooder.email)
    for path in REFUSED_TO_A_FIRM:
        client.get(path)
    other = create(UserFactory, role=Role.SME)
    other_client = app.test_client()
    Auth(other_client, app).login(other.email)
    assert other_client.get("/dashboard/").status_code == 403
    assert len(refusals_of(app, other.id)) == 1


@pytest.mark.real_commits  # a second app: its own connections must see the committed user
def test_a_403_from_any_check_is_audited(app, create, frozen_clock):
    """A 403 raised by a view's own check, not by @requires, is recorded the same way."""
    other = create_app("testing", DATABASE_URL=app.config["DATABASE_URL"])

    @other.get("/refused-inside")
    @login_required_any
    def refused_inside() -> str:
        abort(403)

    user = create(UserFactory, role=Role.SME)
    client = other.test_client()
    try:
        Auth(client, other).login(user.email)
        assert client.get("/refused-inside").status_code == 403
        assert client.get("/refused-inside").status_code == 403
    finally:
        with other.app_context():
            db.engine.dispose()
    [entry] = refusals_of(app, user.id)
    assert entry.detail["endpoint"] == "refused_inside"


def test_database_counters_hold_the_count(app, client, firm_user, frozen_clock):
    """Without Redis the refusals are counted in the database's throttle counters."""
    client.get("/dashboard/")
    client.get("/dashboard/")
    window = int(frozen_clock.now) // refusals.WINDOW_SECONDS
    with app.app_context():
        hits = db.session.scalar(
            select(ThrottleCounter.hits).where(
                ThrottleCounter.key == f"refusal:{firm_user.id}:dashboard.index:{window}"
            )
        )
    assert hits == 2


@pytest.mark.skipif(not redis_available(), reason="Redis is not reachable")
def test_with_redis_the_bound_is_counted_there(app, client, firm_user, frozen_clock, monkeypatch):
    """With REDIS_URL set the same bound holds, counted in Redis (no database counter rows)."""
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(ThrottleCounter))
    for _ in range(3):
        for path in REFUSED_TO_A_FIRM:
            assert client.get(path).status_code == 403
    assert len(refusals_of(app, firm_user.id)) == refusals.PER_USER
    with app.app_context():
        after = db.session.scalar(select(func.count()).select_from(ThrottleCounter))
    assert after == before
