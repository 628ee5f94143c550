"""What /health reports: the database, Redis, the data exchange's sources and the scheduler's
last runs.

Load balancers and monitoring read it without signing in, so it names no hosts, versions or
errors: only each dependency's state and each job's last run.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from portal.datasources.client import breaker_states
from portal.db import utcnow
from portal.extensions import db
from portal.scheduler.models import SchedulerRun
from portal.scheduler.runs import last_runs

log = logging.getLogger(__name__)
OK, FAILED, LATE = "ok", "failed", "late"
# A job is late when it has not finished a run for this many of its periods (and a little more).
LATE_AFTER_PERIODS = 3
LATE_GRACE = dt.timedelta(minutes=5)


def check() -> tuple[dict[str, Any], int]:
    """The health report and its HTTP status: 200 while the primary database answers, else 503."""
    checks = {"database": _database()}
    if current_app.extensions.get("portal.db.reporting") is not None:
        checks["reporting_database"] = _reporting_database()
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = _redis(current_app.config["REDIS_URL"])
    healthy = checks["database"] == OK
    sources = _exchange_sources()
    if sources:
        checks["data_exchange"] = OK if all(s == OK for s in sources.values()) else FAILED
    jobs = _scheduler() if healthy else {}
    if jobs:
        # A job whose last run failed, or that has not run for three of its periods, is work the
        # portal is not doing (deadlines, e-mail, reports): monitoring must see it.
        checks["scheduler"] = OK if all(j["status"] == OK for j in jobs.values()) else FAILED
    report: dict[str, Any] = {"status": _overall(checks), "checks": checks, "scheduler": jobs}
    if sources:
        report["data_exchange"] = sources
    return report, 200 if healthy else 503


def _overall(checks: dict[str, str]) -> str:
    if checks["database"] != OK:
        return "unavailable"
    return "ok" if all(state == OK for state in checks.values()) else "degraded"


def _database() -> str:
    try:
        db.session.execute(select(1))
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("health: the database does not answer", exc_info=True)
        return FAILED
    return OK


def _reporting_database() -> str:
    try:
        db.reporting.execute(select(1))
    except SQLAlchemyError:
        db.reporting.rollback()
        log.warning("health: the reporting database does not answer", exc_info=True)
        return FAILED
    return OK


def _redis(url: str) -> str:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        log.warning("health: Redis does not answer", exc_info=True)
        return FAILED
    finally:
        client.close()
    return OK


def _exchange_sources() -> dict[str, str]:
    """Each data-exchange source as this process last found it: ok, or failed while its
    circuit breaker is open (empty when no exchange is configured)."""
    url = current_app.config.get("EXCHANGE_URL")
    if not url:
        return {}
    states = breaker_states(url.rstrip("/"))
    return {source: OK if state == "closed" else FAILED for source, state in states.items()}


def _scheduler() -> dict[str, dict[str, Any]]:
    """Each job's last run: when it finished, and whether it succeeded (ok, failed) or is late."""
    try:
        runs = last_runs()
    except SQLAlchemyError:
        # The table is missing until the migrations have run; the database itself answered.
        db.session.rollback()
        return {}
    now = utcnow()
    return {
        run.job: {"last_run": run.finished_at.isoformat(), "status": _job_state(run, now)}
        for run in runs
    }


def _periods() -> dict[str, dt.timedelta]:
    """How often each scheduled job runs, by its name (as its rows record it)."""
    from portal.scheduler import (
        JOBS,  # the jobs import the services, which import the routes' helpers
    )

    return {job.__name__: every for job, every in JOBS}


def _job_state(run: SchedulerRun, now: dt.datetime) -> str:
    if not run.ok:
        return FAILED
    period = _periods().get(run.job)
    if period is not None and now - run.finished_at > LATE_AFTER_PERIODS * period + LATE_GRACE:
        return LATE
    return OK
