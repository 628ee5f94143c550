"""Fixtures for the load and fault tests: scratch databases and processes of their own.

These tests run the portal in other processes (gunicorn, the scheduler) against a database made
for the test and dropped afterwards, so they neither use nor disturb the suite's database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portal.config import normalise_database_url


@pytest.fixture(autouse=True)
def _transaction() -> Iterator[None]:
    """Replaces the suite's per-test transaction: nothing here uses the suite's database."""
    yield


def postgres_server_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    return normalise_database_url(url) if url.startswith("postgres") else None


@pytest.fixture
def scratch_postgres() -> Iterator[str]:
    """A new, empty database on TEST_DATABASE_URL's server, dropped after the test."""
    server = postgres_server_url()
    if server is None:
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    name = f"portal_scratch_{uuid.uuid4().hex[:12]}"
    with create_database(server, name) as url:
        yield url


@pytest.fixture
def scratch_database(tmp_path: Path) -> Iterator[str]:
    """A scratch PostgreSQL database when TEST_DATABASE_URL is set, else a SQLite file."""
    server = postgres_server_url()
    if server is None:
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    with create_database(server, f"portal_scratch_{uuid.uuid4().hex[:12]}") as url:
        yield url


@contextmanager
def create_database(server_url: str, name: str) -> Iterator[str]:
    """CREATE DATABASE for the block, then DROP DATABASE ... WITH (FORCE)."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
