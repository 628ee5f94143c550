"""/health: the database, Redis and the scheduler's last runs, readable without signing in."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from portal import create_app
from portal.extensions import db
from portal.scheduler import run_job
from portal.scheduler.models import SchedulerRun


def _collect_three() -> int:
    return 3


def _break() -> int:
    raise RuntimeError("password=hunter2 in a connection string")


def test_health_reports_the_database_and_each_jobs_last_run(app, client):
    """200 while the database answers; each job's last run time and whether it succeeded."""
    assert run_job(app, _collect_three) == 3
    assert run_job(app, _break) == 0
    response = client.get("/health")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    report = response.get_json()
    assert report["status"] == "degraded"  # a job's last run failed: monitoring must see it
    assert report["checks"] == {"database": "ok", "scheduler": "failed"}
    assert report["scheduler"]["_collect_three"]["status"] == "ok"
    assert report["scheduler"]["_break"]["status"] == "failed"
    assert report["scheduler"]["_break"]["last_run"].startswith("20")
    assert "hunter2" not in response.get_data(as_text=True)


def test_a_jobs_row_is_overwritten_by_its_next_run(app, client):
    """One row per job: a success after a failure replaces it."""
    outcomes: list[int | Exception] = [RuntimeError("the first run fails"), 5]

    def flaky() -> int:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    run_job(app, flaky)
    first = client.get("/health").get_json()["scheduler"]["flaky"]
    run_job(app, flaky)
    second = client.get("/health").get_json()["scheduler"]["flaky"]
    assert (first["status"], second["status"]) == ("failed", "ok")
    assert second["last_run"] >= first["last_run"]
    with app.app_context():
        rows = db.session.scalars(select(SchedulerRun).where(SchedulerRun.job == "flaky")).all()
    assert [(row.ok, row.handled) for row in rows] == [(True, 5)]


def test_redis_down_degrades_but_keeps_200(app, client, monkeypatch):
    """An unreachable Redis is reported; the portal still serves, so the status stays 200."""
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    response = client.get("/health")
    assert response.status_code == 200
    report = response.get_json()
    assert (report["status"], report["checks"]["redis"]) == ("degraded", "failed")


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_database_down_is_503_and_names_nothing(kind, tmp_path):
    """Without the database /health answers 503 and shows no address, password or driver."""
    if kind == "postgresql":
        url = "postgresql+psycopg://portal:secret-pw@127.0.0.1:1/portal"
    else:
        (tmp_path / "a-directory").mkdir()  # SQLite cannot open a directory as its file
        url = f"sqlite:///{tmp_path / 'a-directory'}"
    broken = create_app("testing", DATABASE_URL=url)
    response = broken.test_client().get("/health")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "checks": {"database": "failed"},
        "scheduler": {},
    }
    body = response.get_data(as_text=True)
    for secret in ("secret-pw", "127.0.0.1", "psycopg", "sqlite", "a-directory"):
        assert secret not in body


def test_all_jobs_fine_is_ok_and_a_late_job_degrades(app, client):
    """Every job's last run succeeded: ok. A job that has not run for three of its periods is
    late, and the report says so (the scheduler process may have stopped)."""
    from portal.scheduler import JOBS, send_outbox_emails

    assert run_job(app, _collect_three) == 3
    assert client.get("/health").get_json()["status"] == "ok"
    run_job(app, send_outbox_emails)
    every = dict((job.__name__, period) for job, period in JOBS)["send_outbox_emails"]
    with app.app_context():
        row = db.session.get(SchedulerRun, "send_outbox_emails")
        row.finished_at = row.finished_at - 3 * every - dt.timedelta(minutes=6)
        db.session.commit()
    report = client.get("/health").get_json()
    assert report["scheduler"]["send_outbox_emails"]["status"] == "late"
    assert (report["status"], report["checks"]["scheduler"]) == ("degraded", "failed")


def test_a_busy_sqlite_database_is_a_warning_line_not_a_traceback(app, caplog):
    """A job that waited out SQLite's lock is logged in one line and recorded as not run."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    def locked() -> int:
        raise OperationalError("UPDATE leads", {}, sqlite3.OperationalError("database is locked"))

    with caplog.at_level("WARNING", logger="portal.scheduler"):
        assert run_job(app, locked) == 0
    [record] = [r for r in caplog.records if "locked" in r.getMessage() or "busy" in r.getMessage()]
    assert record.levelname == "WARNING" and record.exc_info is None
    with app.app_context():
        assert db.session.get(SchedulerRun, "locked").ok is False


def test_on_sqlite_the_jobs_run_one_at_a_time(app):
    from apscheduler.schedulers.background import BackgroundScheduler

    from portal.scheduler import configure

    scheduler = BackgroundScheduler()
    configure(scheduler, app)
    if app.extensions["portal.db"].dialect.name == "sqlite":
        assert scheduler._executors["default"]._pool._max_workers == 1
