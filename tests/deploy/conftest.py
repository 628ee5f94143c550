"""Scratch databases for the deploy tests: empty ones made per test and dropped afterwards.

On PostgreSQL runs they are made on TEST_DATABASE_URL's server. On SQLite runs the PostgreSQL
tests use the local server (TEST_POSTGRES_SERVER_URL, else postgres@127.0.0.1:5432) and are
skipped only when it does not answer.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from portal.config import normalise_database_url
from portal.db import make_engine

LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="session")
def postgres_server(database_url: str) -> str:
    """A URL on a PostgreSQL server where databases may be created."""
    if database_url.startswith("postgresql"):
        return database_url
    url = normalise_database_url(os.environ.get("TEST_POSTGRES_SERVER_URL", LOCAL_SERVER))
    engine = make_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError:
        pytest.skip(f"PostgreSQL does not answer at {make_url(url).render_as_string()}")
    finally:
        engine.dispose()
    return url


@pytest.fixture
def new_postgres(postgres_server: str) -> Iterator[Callable[[str], str]]:
    """new_postgres("label") creates an empty database with a unique name and returns its URL."""
    server = make_url(postgres_server)
    admin = make_engine(postgres_server, isolation_level="AUTOCOMMIT")
    created: list[str] = []

    def create(label: str) -> str:
        name = f"{server.database}_{label}_{secrets.token_hex(3)}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return server.set(database=name).render_as_string(hide_password=False)

    try:
        yield create
    finally:
        with admin.connect() as connection:
            for name in created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def new_database(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Callable[[str], str]:
    """An empty database of the run's kind: a new SQLite file, or a new PostgreSQL database."""
    if database_url.startswith("postgresql"):
        return request.getfixturevalue("new_postgres")
    return lambda label: f"sqlite:///{tmp_path / f'{label}.sqlite3'}"
