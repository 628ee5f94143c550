"""What the running exchange holds between requests: its database, clients and switches."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import Engine, create_engine, event

from exchange.config import engine_url
from exchange.switches import Switches


@dataclass
class ExchangeState:
    """Kept in app.extensions["exchange"]; the switches are shared by the server's threads."""

    engine: Engine
    clients: dict[str, str]
    admin_key: str
    switches: Switches


def make_engine(url: str) -> Engine:
    """An engine for the exchange's database, making the folder of a SQLite file if needed."""
    url = engine_url(url)
    if not url.startswith("sqlite:///"):
        return create_engine(url)
    if url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    event.listen(engine, "connect", _tune_sqlite)
    return engine


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets the server's threads read while a seed writes; NORMAL sync is safe under WAL."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def state() -> ExchangeState:
    """The running app's state."""
    return current_app.extensions["exchange"]
