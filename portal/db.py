"""Database plumbing: the declarative base, the engine and the per-request session.

Plain SQLAlchemy 2.x rather than Flask-SQLAlchemy: the scheduler process, the bulk seeder and the
tests all need the same session and engine without a request, and tests bind the session to one
connection so every test rolls back (warehouse's pattern).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import DateTime, Engine, MetaData, Numeric, create_engine, event
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so that Alembic can drop what it created on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(16, 2)  # yuan, exact
Rate = Numeric(7, 4)  # percent per year, e.g. 3.4500


def utcnow() -> dt.datetime:
    """Aware UTC now; every stored time is UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timestamps stored in UTC and always returned timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use portal.db.utcnow()")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {Decimal: Money, dt.datetime: UTCDateTime}


def _tune_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout and foreign keys on every connection; our own BEGIN for savepoints.

    pysqlite opens transactions itself and breaks SAVEPOINT; the SQLAlchemy docs' recipe hands
    transaction control back to SQLAlchemy.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(_sqlite_begin_statement())


def _sqlite_begin_statement() -> str:
    """BEGIN for read-only requests, BEGIN IMMEDIATE wherever the transaction may write.

    A deferred transaction that reads and then writes cannot wait for another writer: SQLite
    fails it at once with "database is locked" (the busy timeout does not apply). Taking the
    write lock up front makes concurrent writers queue instead, while GET requests still read
    side by side under WAL.
    """
    if has_request_context() and request.method in ("GET", "HEAD", "OPTIONS"):
        return "BEGIN"
    return "BEGIN IMMEDIATE"


def make_engine(url: str, **options: Any) -> Engine:
    """Create an engine with the settings each backend needs."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 10}, **options)
        _tune_sqlite(engine)
        return engine
    options.setdefault("pool_pre_ping", True)
    options.setdefault("pool_size", 5)
    options.setdefault("max_overflow", 10)
    return create_engine(url, **options)


class Database:
    """Holds the engine per app and a session scoped to the application context."""

    def __init__(self) -> None:
        self.factory = sessionmaker(expire_on_commit=False)
        self.session = scoped_session(self.factory, scopefunc=_context_scope)

    def init_app(self, app: Flask) -> None:
        url = app.config["DATABASE_URL"]
        if url.startswith("sqlite:///"):
            _ensure_parent_dir(url)
        app.extensions["portal.db"] = make_engine(url)
        self.factory.configure(bind=app.extensions["portal.db"])
        app.teardown_appcontext(self._remove_session)

    @property
    def engine(self) -> Engine:
        return current_app.extensions["portal.db"]

    def _remove_session(self, _exc: BaseException | None) -> None:
        self.session.remove()


def _context_scope() -> int:
    # One session per application context: each request and each CLI command gets its own.
    return id(g._get_current_object())


def _ensure_parent_dir(url: str) -> None:
    from pathlib import Path

    path = url.removeprefix("sqlite:///")
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def assign_changed(row: Base, values: dict[str, Any]) -> list[str]:
    """Set only the attributes whose values differ; return their names.

    Untouched attributes stay clean, so `updated_at` moves and audit entries speak only of real
    changes.
    """
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, values[name])
    return changed
