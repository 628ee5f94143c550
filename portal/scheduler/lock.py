"""One scheduler at a time: a PostgreSQL advisory lock, or a file lock beside a SQLite database.

The lock is held for the life of the process; a second scheduler blocks until the first stops.
The block receives a check that says whether the lock is still held: a PostgreSQL restart drops
the lock with its connection, and a scheduler that went on regardless would run beside the one
that was waiting, so the caller stops when the check fails.
"""

from __future__ import annotations

import fcntl
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

log = logging.getLogger(__name__)
LOCK_KEY = 7_240_311  # an arbitrary, fixed advisory-lock key for "the portal scheduler"


@contextmanager
def scheduler_lock(
    engine: Engine, instance_path: str, poll_seconds: float = 5.0
) -> Iterator[Callable[[], bool]]:
    """Hold the scheduler lock for the block, waiting for it if taken; yields `still_held()`."""
    if engine.dialect.name == "postgresql":
        with _postgres_lock(engine, poll_seconds) as still_held:
            yield still_held
    else:
        # The kernel holds a file lock for as long as the process lives.
        with _file_lock(Path(instance_path) / "scheduler.lock", poll_seconds):
            yield lambda: True


# The advisory lock this very session holds (a key below 2**32 lives in objid).
_HOLDS_LOCK = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :key "
    "AND pid = pg_backend_pid() AND granted"
)


@contextmanager
def _postgres_lock(engine: Engine, poll_seconds: float) -> Iterator[Callable[[], bool]]:
    with engine.connect() as connection:
        while not connection.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}
        ).scalar():
            log.warning("another scheduler holds the lock; waiting")
            connection.rollback()
            time.sleep(poll_seconds)
        connection.commit()

        def still_held() -> bool:
            try:
                held = connection.execute(_HOLDS_LOCK, {"key": LOCK_KEY}).scalar()
                connection.commit()
            except Exception:
                log.exception("lost the scheduler lock's connection")
                return False
            return bool(held)

        try:
            yield still_held
        finally:
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
            except Exception:
                log.warning("could not release the scheduler lock (its connection is gone)")


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
