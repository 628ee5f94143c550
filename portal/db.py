"""Database plumbing: the declarative base, the engine and the per-request session.

Plain SQLAlchemy 2.x rather than Flask-SQLAlchemy: the scheduler process, the bulk seeder and the
tests all need the same session and engine without a request, and tests bind the session to one
connection so every test rolls back (warehouse's pattern).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import DateTime, Engine, MetaData, Numeric, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
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


def _tune_sqlite(engine: Engine, read_only: bool = False) -> None:
    """WAL, a busy timeout and foreign keys on every connection; our own BEGIN for savepoints.

    pysqlite opens transactions itself and breaks SAVEPOINT; the SQLAlchemy docs' recipe hands
    transaction control back to SQLAlchemy. A read-only engine refuses writes (query_only) and
    never takes the write lock.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN" if read_only else _sqlite_begin_statement())


def _sqlite_begin_statement() -> str:
    """BEGIN for read-only requests, BEGIN IMMEDIATE wherever the transaction may write.

    A deferred transaction that reads and then writes cannot wait for another writer: SQLite
    fails it at once with "database is locked" (the busy timeout does not apply). Taking the
    write lock up front makes concurrent writers queue instead, while GET requests still read
    side by side under WAL.
    """
    return "BEGIN IMMEDIATE" if request_may_write() else "BEGIN"


def request_may_write() -> bool:
    """Whether the work at hand may write: anything outside a request (commands, the
    scheduler), a request that changes state, or a GET view marked `writes_on_get`."""
    if not has_request_context() or request.method not in ("GET", "HEAD", "OPTIONS"):
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, WRITES_ON_GET, False))


WRITES_ON_GET = "_portal_writes_on_get"
F = TypeVar("F", bound=Callable[..., Any])


def writes_on_get(view: F) -> F:
    """Mark a GET view that writes (an audit entry of what was viewed), so that on SQLite its
    transaction takes the write lock up front and queues behind other writers."""
    setattr(view, WRITES_ON_GET, True)
    return view


def make_engine(url: str, read_only: bool = False, **options: Any) -> Engine:
    """Create an engine with the settings each backend needs; read_only refuses every write."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 10}, **options)
        _tune_sqlite(engine, read_only)
        return engine
    if read_only:
        # Every transaction on these connections is READ ONLY, as on a streaming replica.
        connect_args = options.setdefault("connect_args", {})
        connect_args.setdefault("options", "-c default_transaction_read_only=on")
    # A connection the server dropped (restart, failover) is noticed at checkout and replaced,
    # and a server that does not answer fails the request in seconds, not minutes: the error
    # handler turns both into a 503 and the next request after the database returns succeeds.
    options.setdefault("pool_pre_ping", True)
    options.setdefault("connect_args", {}).setdefault("connect_timeout", 5)
    options.setdefault("pool_size", 5)
    options.setdefault("max_overflow", 10)
    return create_engine(url, **options)


class Database:
    """Holds the engines per app and sessions scoped to the application context.

    `session` reads and writes the primary. `reporting` is for the heavy read-only queries of
    the dashboard and the monthly reports: a read-only session on REPORTING_DATABASE_URL (a
    streaming replica) when one is configured, otherwise the primary session itself, so those
    queries see the request's own writes and the tests' rolled-back transaction.
    """

    def __init__(self) -> None:
        self.factory = sessionmaker(expire_on_commit=False)
        self.session = scoped_session(self.factory, scopefunc=_context_scope)
        self.reporting_factory = sessionmaker(expire_on_commit=False)
        self._reporting = scoped_session(self.reporting_factory, scopefunc=_context_scope)

    def init_app(self, app: Flask) -> None:
        url = app.config["DATABASE_URL"]
        if url.startswith("sqlite:///"):
            _ensure_parent_dir(url)
        app.extensions["portal.db"] = make_engine(url)
        self.factory.configure(bind=app.extensions["portal.db"])
        reporting_url = app.config.get("REPORTING_DATABASE_URL")
        if reporting_url and reporting_url != url:
            app.extensions["portal.db.reporting"] = make_engine(reporting_url, read_only=True)
            self.reporting_factory.configure(bind=app.extensions["portal.db.reporting"])
        app.teardown_appcontext(self._remove_session)

    @property
    def engine(self) -> Engine:
        return current_app.extensions["portal.db"]

    def conflict_insert(self, model: Any) -> Any:
        """An INSERT that takes ON CONFLICT clauses, in the primary database's dialect
        (PostgreSQL and SQLite spell them alike)."""
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(model)

    @property
    def reporting(self) -> scoped_session[Session]:
        """The session for reporting reads: the replica's when configured, else the primary's."""
        if "portal.db.reporting" in current_app.extensions:
            return self._reporting
        return self.session

    def _remove_session(self, _exc: BaseException | None) -> None:
        for session in (self.session, self._reporting):
            try:
                session.remove()
            except DBAPIError:
                # The database went away after the response was made: the rollback of the
                # finished request fails. The pool has dropped the connection and nothing
                # uncommitted is lost, so the response stands; forget the broken session.
                logging.getLogger(__name__).warning("session closed on a lost connection")
                session.registry.clear()


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
