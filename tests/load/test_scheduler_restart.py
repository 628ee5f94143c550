"""The scheduler is killed (SIGKILL) in the middle of a job and started again: each overdue lead
expires once and its need is rerouted once; each month's report exists once, announced once."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from bench.load import ROOT, portal_env
from portal.config import normalise_database_url

OVERDUE = 100
MONTHLY_SCOPES = 10  # the province and its nine prefectures (no bank has loans here)


def _scenario(url: str, *args: str) -> None:
    subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "tests.load.scenarios", *args, "--database-url", url],
        cwd=ROOT,
        env=portal_env(url),
        check=True,
        timeout=600,
    )


@contextmanager
def _scheduler(url: str, log_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`flask --app wsgi scheduler run`, ended by the caller or at the end of the block."""
    with (log_dir / "scheduler.log").open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and the flask CLI
            [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run"],
            cwd=ROOT,
            env=portal_env(url, PORTAL_INSTANCE_PATH=str(log_dir)),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def _wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar() or 0


@pytest.fixture
def engine(scratch_database: str) -> Iterator[Engine]:
    made = create_engine(normalise_database_url(scratch_database))
    yield made
    made.dispose()


def _kill_mid_job(url: str, log_dir: Path, done: Callable[[], int], total: int) -> int:
    """Start the scheduler, SIGKILL it once the job has done some but not all of its work."""
    with _scheduler(url, log_dir) as process:
        _wait_for(lambda: done() > 0, 120, "the job to start")
        process.kill()
        process.wait()
    partial = done()
    log = (log_dir / "scheduler.log").read_text(errors="replace")[-2000:]
    assert partial < total, f"the job finished before the kill ({partial} of {total}):\n{log}"
    return partial


def test_killed_while_expiring_leads_reroutes_each_need_once(scratch_database, engine, tmp_path):
    """Kill mid-expiry, restart: every need has one expired lead and one rerouted lead."""
    _scenario(scratch_database, "overdue-leads", str(OVERDUE))
    expired = lambda: _count(engine, "SELECT count(*) FROM leads WHERE status = 'expired'")  # noqa: E731
    partial = _kill_mid_job(scratch_database, tmp_path, expired, OVERDUE)
    with _scheduler(scratch_database, tmp_path):
        _wait_for(lambda: expired() == OVERDUE, 180, "every overdue lead to expire")
        time.sleep(1)  # a second pass of the job, if it comes, must change nothing
    with engine.connect() as connection:
        per_need = connection.execute(
            text(
                "SELECT need_id,"
                " SUM(CASE WHEN status = 'expired' THEN 1 ELSE 0 END),"
                " SUM(CASE WHEN origin = 'reroute' THEN 1 ELSE 0 END),"
                " SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END)"
                " FROM leads GROUP BY need_id"
            )
        ).all()
    assert len(per_need) == OVERDUE
    assert {tuple(row[1:]) for row in per_need} == {(1, 1, 1)}, "a need rerouted twice or never"
    for kind in ("need.rerouted", "lead.expired"):
        sql = f"SELECT count(*) FROM notifications WHERE kind = '{kind}'"  # noqa: S608
        assert _count(engine, sql) == OVERDUE, kind
    assert _count(engine, "SELECT count(*) FROM audit_log WHERE action = 'lead.expire'") == OVERDUE
    print(f"\nkilled after {partial} of {OVERDUE} leads; after the restart each need rerouted once")


def test_killed_while_making_monthly_reports_makes_each_once(scratch_database, engine, tmp_path):
    """Kill mid-way through last month's reports, restart: each report exists and is told once."""
    _scenario(scratch_database, "due-reports")
    reports = lambda: _count(engine, "SELECT count(*) FROM monthly_reports")  # noqa: E731
    partial = _kill_mid_job(scratch_database, tmp_path, reports, MONTHLY_SCOPES)
    told = "SELECT count(*) FROM notifications WHERE kind = 'monthly_report'"
    with _scheduler(scratch_database, tmp_path):
        _wait_for(lambda: reports() == MONTHLY_SCOPES, 300, "every monthly report")
        _wait_for(lambda: _count(engine, told) == 2, 60, "the regulators to be told")
        time.sleep(1)
    distinct = "SELECT count(*) FROM (SELECT DISTINCT period, scope FROM monthly_reports) AS d"
    assert _count(engine, distinct) == MONTHLY_SCOPES
    assert _count(engine, told) == 2  # two regulators, one notification each
    generated = "SELECT count(*) FROM audit_log WHERE action = 'monthly_report.generate'"
    assert _count(engine, generated) == MONTHLY_SCOPES
    regenerated = "SELECT count(*) FROM audit_log WHERE action = 'monthly_report.regenerate'"
    assert _count(engine, regenerated) == 0
    print(f"\nkilled after {partial} of {MONTHLY_SCOPES} reports; each made once after the restart")
