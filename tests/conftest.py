"""Test fixtures: one migrated database per run, one rolled-back transaction per test.

The same suite runs on SQLite (default) and on PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from portal import create_app, migrate
from portal.config import normalise_database_url
from portal.extensions import db
from portal.i18n import compile_catalogues
from tests import factories

PASSWORD = factories.PASSWORD


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal-test.sqlite3'}"


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

    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    invalidate_catalogue_cache()


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
    """Sign in and out through the real forms."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, email: str, password: str = PASSWORD, **kwargs: Any) -> Any:
        return self.client.post("/login", data={"email": email, "password": password}, **kwargs)

    def logout(self) -> Any:
        return self.client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)


def csrf_token_from(html: str) -> str:
    """The CSRF token a rendered form carries."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "form has no CSRF token"
    return match.group(1)
