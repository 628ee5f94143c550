"""Recording each job's last run (one row per job, upserted) and reading them back."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.scheduler.models import SchedulerRun

log = logging.getLogger(__name__)


def record_run(
    job: str, started_at: dt.datetime, finished_at: dt.datetime, ok: bool, handled: int
) -> None:
    """Upsert the job's row and commit; a failure to record is logged, never raised."""
    values: dict[str, Any] = {
        "job": job,
        "started_at": started_at,
        "finished_at": finished_at,
        "ok": ok,
        "handled": handled,
    }
    try:
        db.session.execute(_upsert(values))
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not record the run of scheduled job %s", job)


def _upsert(values: dict[str, Any]) -> Any:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(SchedulerRun).values(**values)
    return statement.on_conflict_do_update(
        index_elements=[SchedulerRun.job],
        set_={name: statement.excluded[name] for name in values if name != "job"},
    )


def last_runs() -> list[SchedulerRun]:
    """Every job's last recorded run, by job name."""
    return list(db.session.scalars(select(SchedulerRun).order_by(SchedulerRun.job)))
