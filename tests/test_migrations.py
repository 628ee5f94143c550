"""Migrations: upgrade to head and back to base work, and they agree with the models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

import portal.models  # noqa: F401  (every table on the metadata)
from portal import migrate
from portal.db import Base, make_engine


@pytest.fixture
def scratch_database_url(database_url: str, tmp_path) -> Iterator[str]:
    """An empty database of the same kind as the suite's, dropped afterwards."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    url = make_url(database_url)
    name = f"{url.database}_migrations"
    admin = make_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _differences(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(app, scratch_database_url):
    """Head creates every model table; base removes them all; head again works."""
    with app.app_context():
        migrate.upgrade("head", database_url=scratch_database_url)
        assert set(Base.metadata.tables) <= _tables(scratch_database_url)
        migrate.downgrade("base", database_url=scratch_database_url)
        assert _tables(scratch_database_url) <= {"alembic_version"}
        migrate.upgrade("head", database_url=scratch_database_url)
        assert set(Base.metadata.tables) <= _tables(scratch_database_url)


def test_models_and_migrations_agree(app, scratch_database_url):
    """Autogenerate finds nothing to add: the migrations describe exactly the models."""
    with app.app_context():
        migrate.upgrade("head", database_url=scratch_database_url)
    assert _differences(scratch_database_url) == []
