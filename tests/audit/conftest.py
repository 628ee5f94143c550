"""Fixtures for the audit log's tests: PostgreSQL-only tests, and scratch databases."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from portal.db import make_engine


@pytest.fixture(autouse=True)
def _postgres_only(request: pytest.FixtureRequest, database_url: str) -> None:
    """Skip tests marked postgres_only on a SQLite run."""
    if request.node.get_closest_marker("postgres_only") and not database_url.startswith(
        "postgresql"
    ):
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")


@pytest.fixture
def scratch_database(database_url: str, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """scratch_database() makes an empty database of the run's kind; all are dropped afterwards."""
    created: list[str] = []
    admin = make_engine(database_url, isolation_level="AUTOCOMMIT")

    def create() -> str:
        if not database_url.startswith("postgresql"):
            return f"sqlite:///{tmp_path / f'scratch-{secrets.token_hex(3)}.sqlite3'}"
        url = make_url(database_url)
        name = f"{url.database}_audit_{secrets.token_hex(3)}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return url.set(database=name).render_as_string(hide_password=False)

    try:
        yield create
    finally:
        with admin.connect() as connection:
            for name in created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
