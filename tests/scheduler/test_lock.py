"""One scheduler at a time, and a scheduler that lost its lock knows it."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from portal.scheduler.lock import scheduler_lock
from tests.conftest import is_postgres


@pytest.mark.real_commits
def test_second_scheduler_waits_until_the_first_stops(app, tmp_path):
    engine = app.extensions["portal.db"]
    order: list[str] = []
    first_holds = threading.Event()
    release = threading.Event()

    def first() -> None:
        with scheduler_lock(engine, str(tmp_path), poll_seconds=0.05):
            order.append("first")
            first_holds.set()
            release.wait(5)
            order.append("first done")

    def second() -> None:
        first_holds.wait(5)
        with scheduler_lock(engine, str(tmp_path), poll_seconds=0.05):
            order.append("second")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_holds.wait(5)
    release.set()
    for thread in threads:
        thread.join(10)
    assert order == ["first", "first done", "second"]


@pytest.mark.real_commits
def test_lock_lost_with_its_connection_is_noticed(app, tmp_path):
    """A database restart ends the lock's session; the scheduler's check then says so."""
    if not is_postgres(app):
        pytest.skip("the file lock of SQLite lives as long as the process")
    engine = app.extensions["portal.db"]
    with scheduler_lock(engine, str(tmp_path)) as still_held:
        assert still_held()
        with engine.connect() as other:
            other.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND objid = 7240311 AND granted"
                )
            )
            other.commit()
        assert not still_held()
