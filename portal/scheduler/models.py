"""The last run of each scheduled job, for the health endpoint."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base


class SchedulerRun(Base):
    """One row per job, overwritten at every run: when it last ran and whether it succeeded."""

    __tablename__ = "scheduler_runs"

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime]
    ok: Mapped[bool]
    # What the job reported it handled (leads expired, reminders sent, ...); 0 when it failed.
    handled: Mapped[int] = mapped_column(default=0)
