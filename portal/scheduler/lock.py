"""One scheduler at a time: a PostgreSQL advisory lock, or a file lock beside a SQLite database.

The lock is held for the life of the process; a second scheduler blocks until the first stops.
"""

from __future__ import annotations

import fcntl
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

log = logging.getLogger(__name__)
LOCK_KEY = 7_240_311  # an arbitrary, fixed advisory-lock key for "the portal scheduler"


@contextmanager
def scheduler_lock(engine: Engine, instance_path: str, poll_seconds: float = 5.0) -> Iterator[None]:
    """Hold the scheduler lock for the duration of the block, waiting for it if taken."""
    if engine.dialect.name == "postgresql":
        with _postgres_lock(engine, poll_seconds):
            yield
    else:
        with _file_lock(Path(instance_path) / "scheduler.lock", poll_seconds):
            yield


@contextmanager
def _postgres_lock(engine: Engine, poll_seconds: float) -> Iterator[None]:
    with engine.connect() as connection:
        while not connection.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}
        ).scalar():
            log.warning("another scheduler holds the lock; waiting")
            connection.rollback()
            time.sleep(poll_seconds)
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})


@contextmanager
def _file_lock(path: Path, poll_seconds: float) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                log.warning("another scheduler holds the lock; waiting")
                time.sleep(poll_seconds)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
