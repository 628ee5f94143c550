"""The LPR table: corrections need a reason, mistakes are withdrawn, and every reader of the
rate skips a withdrawn row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.catalog.queries import latest_lpr_one_year
from portal.enums import Role
from portal.extensions import db
from portal.figures.definitions import lpr_schedule
from portal.lpr import LprRate, latest_lpr
from tests.factories import UserFactory


@pytest.fixture
def admin_client(client, auth, create):
    admin = create(UserFactory, role=Role.ADMIN)
    auth.login(admin.email)
    return client


def enter(client, day: str, one: str, five: str, reason: str = ""):
    data = {"effective_on": day, "one_year": one, "over_five_years": five, "reason": reason}
    return client.post("/admin/lpr", data=data)


def entries(app, action: str) -> list[dict]:
    with app.app_context():
        found = select(AuditEntry.detail).where(AuditEntry.action == action)
        return list(db.session.scalars(found.order_by(AuditEntry.id)))


def rate_of(app, day: dt.date) -> LprRate:
    with app.app_context():
        return db.session.scalar(select(LprRate).where(LprRate.effective_on == day))


def test_a_correction_needs_a_reason_and_records_before_and_after(app, admin_client):
    assert enter(admin_client, "2026-11-20", "3.0", "3.5").status_code == 302
    refused = enter(admin_client, "2026-11-20", "3.1", "3.5")
    assert "须填写原因" in refused.get_data(as_text=True)
    assert rate_of(app, dt.date(2026, 11, 20)).one_year == Decimal("3.0")
    enter(admin_client, "2026-11-20", "3.1", "3.5", reason="录入时看错了公告")
    assert rate_of(app, dt.date(2026, 11, 20)).one_year == Decimal("3.1")
    first, correction = entries(app, "lpr.save")
    assert first["before"] is None
    assert correction["before"] == "1Y 3% / 5Y+ 3.5%"
    assert correction["after"] == "1Y 3.1% / 5Y+ 3.5%"
    assert correction["reason"] == "录入时看错了公告"


def test_a_withdrawn_row_no_longer_counts_anywhere(app, admin_client):
    enter(admin_client, "2026-10-20", "3.0", "3.5")
    enter(admin_client, "2026-11-20", "9.0", "9.5")  # a typo
    wrong = rate_of(app, dt.date(2026, 11, 20))
    response = admin_client.post(f"/admin/lpr/{wrong.id}/withdraw", data={"reason": "误录"})
    assert response.status_code == 302
    today = dt.date(2026, 12, 1)
    with app.app_context():
        assert latest_lpr(today).one_year == Decimal("3.0")
        assert latest_lpr_one_year(today) == Decimal("3.0")
        assert [rate for _, rate in lpr_schedule()] == [Decimal("3.0")]
    page = admin_client.get("/admin/lpr").get_data(as_text=True)
    assert "已撤回" in page and "误录" in page
    assert entries(app, "lpr.withdraw")[0]["reason"] == "误录"


def test_a_withdrawal_needs_a_reason(app, admin_client):
    enter(admin_client, "2026-11-20", "3.0", "3.5")
    row = rate_of(app, dt.date(2026, 11, 20))
    page = admin_client.post(f"/admin/lpr/{row.id}/withdraw", data={"reason": ""})
    assert "请填写撤回原因" in page.get_data(as_text=True)
    assert rate_of(app, dt.date(2026, 11, 20)).withdrawn_at is None


def test_a_withdrawn_row_is_reinstated_by_a_correction_with_a_reason(app, admin_client):
    enter(admin_client, "2026-11-20", "3.0", "3.5")
    row = rate_of(app, dt.date(2026, 11, 20))
    admin_client.post(f"/admin/lpr/{row.id}/withdraw", data={"reason": "误录"})
    enter(admin_client, "2026-11-20", "3.05", "3.5", reason="按公告重新录入")
    again = rate_of(app, dt.date(2026, 11, 20))
    assert again.withdrawn_at is None and again.one_year == Decimal("3.05")


def test_another_role_cannot_withdraw(app, client, auth, create, admin_client):
    enter(admin_client, "2026-11-20", "3.0", "3.5")
    row = rate_of(app, dt.date(2026, 11, 20))
    regulator = create(UserFactory, role=Role.REGULATOR)
    other = app.test_client()
    from tests.conftest import Auth

    Auth(other, app).login(regulator.email)
    assert other.post(f"/admin/lpr/{row.id}/withdraw", data={"reason": "x"}).status_code == 403
