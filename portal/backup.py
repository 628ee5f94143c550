"""Backups with each database's own tools: SQLite's online backup API, pg_dump and pg_restore.

A SQLite backup is a consistent copy of the database file, taken while the portal runs (the same
as the sqlite3 shell's `.backup`). A PostgreSQL backup is `pg_dump -Fc` (compressed, restored
with `pg_restore`); the restore replaces every object in one transaction, so a failed restore
leaves the database as it was.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url

from portal.db import make_engine

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"


class BackupError(Exception):
    """A backup or restore could not be done; the message says why."""


def backup(database_url: str, path: Path) -> None:
    """Write a backup of the database to path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        _copy_sqlite(_sqlite_path(url), path)
    elif url.get_backend_name() == "postgresql":
        _run_pg("pg_dump", url, ["--format=custom", f"--file={path}"])
    else:
        raise BackupError(f"no backup method for {url.get_backend_name()} databases")


def restore(database_url: str, path: Path) -> None:
    """Replace the database's contents with the backup at path."""
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        _copy_sqlite(path, _sqlite_path(url))
    elif url.get_backend_name() == "postgresql":
        options = [
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
        ]
        _run_pg("pg_restore", url, [*options, str(path)])
    else:
        raise BackupError(f"no restore method for {url.get_backend_name()} databases")


def is_empty(database_url: str) -> bool:
    """Whether the database has no tables at all (a fresh database a restore cannot harm)."""
    engine = make_engine(database_url)
    try:
        return not inspect(engine).get_table_names()
    finally:
        engine.dispose()


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(url.database)


def _copy_sqlite(source: Path, target: Path) -> None:
    """Copy page by page with the online backup API; writers may keep working meanwhile."""
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _run_pg(tool: str, url: URL, arguments: list[str]) -> None:
    """Run pg_dump or pg_restore against url; the password goes in the environment, not argv."""
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    libpq_url = url.set(drivername="postgresql", password=None).render_as_string()
    command = [find_pg_tool(tool), f"--dbname={libpq_url}", *arguments]
    # A fixed program and arguments built here, never a shell: nothing untrusted is run.
    result = subprocess.run(  # noqa: S603
        command, env=environment, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{tool} failed ({result.returncode}): {result.stderr.strip()}")


def find_pg_tool(tool: str) -> str:
    """The PostgreSQL client program on PATH, else the newest under /usr/lib/postgresql."""
    found = shutil.which(tool)
    if found:
        return found
    candidates = sorted(
        (Path(directory) / tool for directory in glob.glob(PG_BIN_GLOB)),
        key=lambda candidate: _major_version(candidate.parent.parent.name),
        reverse=True,
    )
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    raise BackupError(
        f"{tool} was not found on PATH or in {PG_BIN_GLOB}; install the PostgreSQL client "
        "(Debian: apt install postgresql-client) of the server's major version or newer"
    )


def _major_version(name: str) -> int:
    return int(name) if name.isdigit() else 0
