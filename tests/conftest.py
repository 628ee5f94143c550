"""Test fixtures: one migrated database per run, one rolled-back transaction per test.

The same suite runs on SQLite (default) and on PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import make_url, select, text, update

from portal import create_app, migrate
from portal.accounts import throttle
from portal.accounts.models import User
from portal.catalog import page_cache
from portal.config import normalise_database_url
from portal.extensions import db
from portal.i18n import compile_catalogues
from tests import factories

PASSWORD = factories.PASSWORD

# Tests that never touch the portal's database (the rule language, number parsing, spreadsheet
# reading, the catalogues, the stand-in exchange on its own SQLite file): they run once, in the
# SQLite run, and the PostgreSQL run skips them rather than repeat the same thing.
SAME_ON_EVERY_DATABASE = (
    "tests/exchange/",
    "tests/i18n/",
    "tests/rules/",
    "tests/unit/",
    "tests/supervision/test_spreadsheets.py",
    "tests/guarantees/test_sharing.py",
    # Hypothesis properties of the matcher, the subsidy rule and the repayment schedules, on
    # catalogues and prices made in memory (no app context, no query).
    "tests/matching/test_engine.py",
    "tests/subsidies/test_agreement.py",
    "tests/subsidies/test_rule.py",
    "tests/leads/test_schedule.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get("TEST_DATABASE_URL"):
        return
    skip = pytest.mark.skip(reason="does not use the database; runs once, in the SQLite run")
    for item in items:
        if item.nodeid.startswith(SAME_ON_EVERY_DATABASE):
            item.add_marker(skip)


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return _worker_database(normalise_database_url(url))
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal-test.sqlite3'}"


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker owns a database of its own beside TEST_DATABASE_URL's
    (test → test_gw0, test_gw1), created on the same server when missing."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    from portal.db import make_engine

    server = make_url(url)
    name = f"{server.database}_{worker}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def is_postgres(app: Flask) -> bool:
    return app.config["DATABASE_URL"].startswith("postgresql")


def reset_postgres_schema(url: str) -> None:
    """Start each run from an empty schema: the test database belongs to the tests."""
    from portal.db import make_engine

    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    compile_catalogues()
    if database_url.startswith("postgresql"):
        reset_postgres_schema(database_url)
    application = create_app("testing", DATABASE_URL=database_url)
    with application.app_context():
        migrate.upgrade("head")
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _transaction(app: Flask, request: pytest.FixtureRequest) -> Iterator[None]:
    """Bind every session of the test to one connection whose transaction is rolled back.

    Tests marked `real_commits` (several threads or processes must see each other's writes)
    commit for real instead, and every table is emptied afterwards.
    """
    engine = app.extensions["portal.db"]
    page_cache.clear()  # pages kept by an earlier test may match this test's fingerprint
    if request.node.get_closest_marker("real_commits"):
        yield
        _empty_all_tables(engine)
        return
    connection = engine.connect()
    outer = connection.begin()
    db.factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield
    finally:
        # Sessions were closed when their app contexts ended; undo everything they did.
        outer.rollback()
        connection.close()
        db.factory.configure(bind=engine, join_transaction_mode="conditional_savepoint")


def _empty_all_tables(engine: Any) -> None:
    from portal.db import Base
    from portal.matching.catalogue import invalidate_catalogue_cache

    with engine.begin() as connection, _audit_log_unlocked(connection):
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    invalidate_catalogue_cache()


@contextmanager
def _audit_log_unlocked(connection: Any) -> Iterator[None]:
    """Lift the append-only triggers of audit_log for this one transaction only.

    Both databases change triggers transactionally: the triggers are back before the commit, and
    a failure rolls the whole cleanup back with them. The application never does this.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        yield
        connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
        return
    triggers = connection.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :table"),
        {"table": "audit_log"},
    ).all()
    for name, _sql in triggers:
        connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
    yield
    for _name, sql in triggers:
        connection.exec_driver_sql(sql)


@pytest.fixture(autouse=True)
def _throttle_windows_from_test_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """Count throttle windows from the moment the test began, not from the epoch.

    The throttle's windows are fixed 15-minute slots; a test that makes its five wrong attempts
    across a slot boundary would find its count split in two and no lock. A window now moves on
    only when the clock has moved a whole window since the test started (as a test that jumps
    the clock forward does), so no test straddles a boundary by chance. (No `app` here: the
    browser journeys must not build the test database's app.)
    """
    started = time.time()

    def index() -> int:
        window = throttle._window()
        return int(started) // window + int((time.time() - started) // window)

    monkeypatch.setattr(throttle, "_index", index)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def create(app: Flask) -> Callable[..., Any]:
    """Run a factory inside its own app context and commit: create(factories.FirmFactory)."""

    def run(factory: Any, **fields: Any) -> Any:
        with app.app_context():
            obj = factory(**fields)
            db.session.commit()
            return obj

    return run


class Auth:
    """Sign in and out through the real forms, the two-factor step included.

    Staff users made by the factories are enrolled with factories.TOTP_SECRET; the code page is
    answered with the current code. A code is accepted once, so the user's last accepted step
    is forgotten first: tests sign the same user in many times within 30 seconds.
    """

    def __init__(self, client: FlaskClient, app: Flask) -> None:
        self.client = client
        self.app = app

    def login(
        self, email: str, password: str = PASSWORD, *, secret: str | None = None, **kwargs: Any
    ) -> Any:
        follow = kwargs.pop("follow_redirects", False)
        data = {"email": email, "password": password}
        response = self.client.post("/login", data=data, **kwargs)
        location = response.headers.get("Location", "")
        if response.status_code == 302 and location.endswith("/login/verify"):
            self.forget_last_code(email)
            code = pyotp.TOTP(secret or factories.TOTP_SECRET).now()
            return self.client.post(
                "/login/verify", data={"code": code}, follow_redirects=follow, **kwargs
            )
        if response.status_code == 302 and location.endswith("/login/enrol"):
            return self.enrol(email, **kwargs)
        if follow and response.status_code == 302:
            return self.client.get(location, follow_redirects=True)
        return response

    def enrol(self, email: str, **kwargs: Any) -> Any:
        """Complete first-login enrolment as a user would: read the secret, send its code."""
        self.client.get("/login/enrol")
        with self.app.app_context():
            secret = db.session.scalar(select(User.totp_secret).where(User.email == email.lower()))
        assert secret, "enrolment page did not give the user a secret"
        code = pyotp.TOTP(secret).now()
        return self.client.post("/login/enrol", data={"code": code}, **kwargs)

    def forget_last_code(self, email: str) -> None:
        with self.app.app_context():
            db.session.execute(
                update(User).where(User.email == email.lower()).values(totp_last_step=None)
            )
            db.session.commit()

    def logout(self) -> Any:
        return self.client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient, app: Flask) -> Auth:
    return Auth(client, app)


def signed_in(app: Flask, email: str) -> FlaskClient:
    """A new browser-like client signed in as this user (second factor included)."""
    client = app.test_client()
    Auth(client, app).login(email)
    return client


def csrf_token_from(html: str) -> str:
    """The CSRF token a rendered form carries."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "form has no CSRF token"
    return match.group(1)
