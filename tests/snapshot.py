"""Build a test world once per worker and lay its rows down again in the tests after.

A world built through the real services (firms, banks, leads, loans, guarantees...) costs about
half a second, and the fuzz and authorisation tests ask for one about 1,200 times per run. A
`snapshotted` builder runs for real the first time it is called on an empty database and records
the rows it wrote; later calls on an empty database insert those rows again, in the test's own
transaction (rolled back as usual), and return a copy of the world it returned.

A laid-down world is the one a fresh build would make: the same rows, with the first build's ids
(what a fresh build gets on SQLite; on PostgreSQL the sequences have moved past them, so later
inserts cannot collide), times moved forward to the test's "now" (so deadlines and ages read as
they would), and the audit chain linked again over the moved times. A database that holds any row
already, or a new day in China (the worlds' periods and provenance dates are "today"), means a
build for real, as before.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy import DateTime, Table, func, insert, select

from portal.audit.chain import GENESIS, entry_hash
from portal.audit.models import AuditEntry
from portal.dates import today_in_china
from portal.db import Base, utcnow
from portal.extensions import db
from portal.matching.catalogue import invalidate_catalogue_cache

World = TypeVar("World")
Rows = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class Snapshot:
    world: Any
    rows: Rows  # by table name, every row the build wrote, in primary-key order
    built_at: dt.datetime  # UTC, just before the build began


# By builder, database and day: one per worker process, which owns its database.
_snapshots: dict[tuple[str, str, dt.date], Snapshot] = {}


def snapshotted(builder: Callable[[Flask], World]) -> Callable[[Flask], World]:
    """Wrap `builder(app) -> world`: build once, lay the same rows down on later calls."""

    @functools.wraps(builder)
    def build(app: Flask) -> World:
        key = (f"{builder.__module__}.{builder.__qualname__}", app.config["DATABASE_URL"])
        with app.app_context():
            key += (today_in_china(),)
            if not _is_empty():
                return builder(app)
        snapshot = _snapshots.get(key)
        if snapshot is None:
            built_at = utcnow()
            world = builder(app)
            with app.app_context():
                _snapshots[key] = Snapshot(copy.deepcopy(world), _all_rows(), built_at)
            return world
        with app.app_context():
            _lay_down(snapshot)
        return copy.deepcopy(snapshot.world)

    return build


def _is_empty() -> bool:
    """Whether every table of the portal is empty (as migrations leave it, and rollbacks)."""
    counts = select(
        *(select(func.count()).select_from(table).scalar_subquery() for table in _tables())
    )
    return not any(db.session.execute(counts).one())


def _tables() -> list[Table]:
    return Base.metadata.sorted_tables


def _all_rows() -> Rows:
    rows: Rows = {}
    for table in _tables():
        found = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        if found:
            rows[table.name] = [dict(row._mapping) for row in found]
    return rows


def _lay_down(snapshot: Snapshot) -> None:
    """Insert the snapshot's rows, parents first, as of now; then commit (to the savepoint)."""
    shift = utcnow() - snapshot.built_at
    for table in _tables():
        rows = snapshot.rows.get(table.name)
        if not rows:
            continue
        rows = _moved(table, rows, snapshot.built_at, shift)
        if table.name == AuditEntry.__tablename__:
            rows = _chained(rows)
        db.session.execute(insert(table), rows)
    db.session.commit()
    invalidate_catalogue_cache()


def _moved(
    table: Table, rows: list[dict[str, Any]], since: dt.datetime, shift: dt.timedelta
) -> list[dict[str, Any]]:
    """The rows with every time the build took from the clock (not before it began) moved on.

    Times set before the build began are fixed by the builder (a loan of January 2025), not
    "now", and stay as they are.
    """
    times = [column.key for column in table.columns if _holds_times(column.type)]
    moved = []
    for row in rows:
        row = dict(row)
        for name in times:
            value = row[name]
            if value is not None and _aware(value) >= since:
                row[name] = value + shift
        moved.append(row)
    return moved


def _holds_times(kind: Any) -> bool:
    return isinstance(kind, DateTime) or isinstance(getattr(kind, "impl", None), DateTime)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _chained(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Link the audit entries again (their times moved); the first follows GENESIS, as the
    database was empty."""
    previous = GENESIS
    for row in rows:
        row["prev_hash"] = previous
        row["entry_hash"] = previous = entry_hash(row)
    return rows
