"""REPORTING_DATABASE_URL: the dashboard and monthly reports read the replica, writes stay primary.

The primary and the "replica" here are two databases holding different loans, so every figure
shows which one it was read from.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from portal import create_app, migrate
from portal.db import make_engine
from portal.enums import Role
from portal.extensions import db
from portal.monthly import services as monthly
from portal.monthly.models import MonthlyReport
from tests.conftest import Auth
from tests.factories import FirmFactory, InstitutionFactory, UserFactory
from tests.supervision.builders import loan

JAN = dt.date(2026, 1, 1)
TODAY = dt.date(2026, 3, 15)  # the dashboard's default range then covers January 2026
REGULATOR = "regulator@replica.test"


def _seed(url: str, amounts: list[str], *, regulator: bool = False) -> None:
    """Migrate the database and give it one bank, one firm and a January loan per amount."""
    migrate.upgrade("head", database_url=url)
    seeding = create_app("testing", DATABASE_URL=url)
    with seeding.app_context():
        bank, firm = InstitutionFactory(short_name="银行X"), FirmFactory()
        for day, amount in enumerate(amounts, start=5):
            loan(bank, firm, dt.date(2026, 1, day), amount, "4.00")
        if regulator:
            UserFactory(role=Role.REGULATOR, email=REGULATOR)
        db.session.commit()
    seeding.extensions["portal.db"].dispose()


@pytest.fixture
def urls(new_database) -> tuple[str, str]:
    """(primary, replica): one loan of 100 万元 on the primary, two of 700 万元 on the replica."""
    primary, replica = new_database("primary"), new_database("replica")
    _seed(replica, ["3000000", "4000000"])
    _seed(primary, ["1000000"], regulator=True)
    return primary, replica


@pytest.fixture
def reporting_app(urls) -> Iterator[Flask]:
    """The portal on the primary, reporting from the replica (made last: it binds the session)."""
    primary, replica = urls
    application = create_app("testing", DATABASE_URL=primary, REPORTING_DATABASE_URL=replica)
    yield application
    for engine in ("portal.db", "portal.db.reporting"):
        application.extensions[engine].dispose()


def _stat(html: str, label: str) -> str:
    match = re.search(
        rf'<p class="stat__label">{re.escape(label)}</p>\s*<p class="stat__value">([^<]*)', html
    )
    assert match, f"no key figure {label}"
    return match.group(1).strip()


def test_dashboard_figures_come_from_the_replica(reporting_app, monkeypatch):
    """The regulator signs in on the primary; the dashboard counts the replica's two loans."""
    monkeypatch.setattr("portal.dashboard.routes.today_in_china", lambda: TODAY)
    client = reporting_app.test_client()
    Auth(client, reporting_app).login(REGULATOR)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert (_stat(html, "放款笔数"), _stat(html, "放款金额")) == ("2", "700.00 万元")


def test_reporting_session_is_read_only(reporting_app):
    """A write through the reporting session is refused by the database."""
    with reporting_app.app_context():
        assert db.reporting is not db.session
        with pytest.raises(DBAPIError):
            db.reporting.execute(text("CREATE TABLE written_on_the_replica (id INTEGER)"))
        db.reporting.rollback()


def test_monthly_report_reads_the_replica_and_is_archived_on_the_primary(
    reporting_app, urls, monkeypatch
):
    """The report's figures are the replica's; the archived PDF row is written to the primary."""
    seen = {}

    def fake_render(current, *args, **kwargs) -> bytes:
        seen["loans"], seen["amount"] = current.summary.loans, current.summary.amount
        return b"%PDF-1.4 test"

    monkeypatch.setattr(monthly, "render_report", fake_render)
    with reporting_app.app_context():
        monthly.generate(JAN, "province")
    assert seen == {"loans": 2, "amount": Decimal("7000000")}
    assert [_archived(url) for url in urls] == [1, 0]


def _archived(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count(MonthlyReport.id)))
    finally:
        engine.dispose()
