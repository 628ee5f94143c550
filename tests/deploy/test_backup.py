"""`flask db backup` and `flask db restore`: a restored database holds exactly the same rows.

Runs on the suite's engine: SQLite files on SQLite runs, new PostgreSQL databases (pg_dump and
pg_restore) on PostgreSQL runs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select, text

from demo.seed import seed_demo
from portal import backup, create_app, migrate
from portal.db import make_engine


def snapshot(url: str) -> dict[str, tuple[int, str]]:
    """Every table's row count and a SHA-256 of its rows in primary-key order."""
    engine = make_engine(url)
    metadata = MetaData()
    try:
        metadata.reflect(engine)
        result = {}
        with engine.connect() as connection:
            for name, table in sorted(metadata.tables.items()):
                order = list(table.primary_key.columns) or list(table.columns)
                rows = connection.execute(select(table).order_by(*order)).all()
                digest = hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()
                result[name] = (len(rows), digest)
        return result
    finally:
        engine.dispose()


def cli(url: str, *args: str):
    """Run a `flask --app wsgi ...` command against the database at url."""
    return create_app("testing", DATABASE_URL=url).test_cli_runner().invoke(args=list(args))


@pytest.fixture
def seeded(new_database) -> str:
    """A migrated database holding the demo province."""
    url = new_database("source")
    migrate.upgrade("head", database_url=url)
    seeding = create_app("testing", DATABASE_URL=url)
    with seeding.app_context():
        seed_demo()
    seeding.extensions["portal.db"].dispose()
    return url


def test_backup_then_restore_into_a_fresh_database(seeded, new_database, tmp_path: Path):
    """Every table of the restored copy has the source's row count and row checksum."""
    path = tmp_path / "backups" / "portal.backup"
    done = cli(seeded, "db", "backup", str(path))
    assert done.exit_code == 0, done.output
    assert path.stat().st_size > 0

    fresh = new_database("restored")
    done = cli(fresh, "db", "restore", str(path))
    assert done.exit_code == 0, done.output

    source, restored = snapshot(seeded), snapshot(fresh)
    assert restored == source
    assert source["users"][0] > 0 and source["loans"][0] > 0
    assert source["alembic_version"][0] == 1


def test_restore_over_data_needs_yes(seeded, tmp_path: Path):
    """A database with tables is replaced only with --yes; then it is the backup again."""
    path = tmp_path / "portal.backup"
    assert cli(seeded, "db", "backup", str(path)).exit_code == 0
    before = snapshot(seeded)
    engine = make_engine(seeded)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM notifications"))
        connection.execute(text("UPDATE firms SET name = 'changed after the backup'"))
    engine.dispose()

    refused = cli(seeded, "db", "restore", str(path))
    assert refused.exit_code != 0
    assert "--yes" in refused.output
    assert snapshot(seeded) != before

    done = cli(seeded, "db", "restore", "--yes", str(path))
    assert done.exit_code == 0, done.output
    assert snapshot(seeded) == before


def test_missing_postgres_tools_are_named(monkeypatch):
    """Without pg_dump anywhere, the error says what to install."""
    monkeypatch.setattr(backup.shutil, "which", lambda _tool: None)
    monkeypatch.setattr(backup, "PG_BIN_GLOB", "/nonexistent/postgresql/*/bin")
    with pytest.raises(backup.BackupError, match="postgresql-client"):
        backup.find_pg_tool("pg_dump")
