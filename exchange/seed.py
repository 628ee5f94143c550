"""Filling the exchange's database: the portal's firms read-only, plus registry-only firms.

Built for the province's 254,301 firms: rows are plain dicts inserted with executemany in batches,
never ORM objects, and the portal's table is streamed rather than loaded at once.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    Connection,
    Date,
    Engine,
    Integer,
    Numeric,
    String,
    column,
    create_engine,
    select,
    table,
    text,
)

from exchange.config import engine_url
from exchange.generate import TABLES, extra_firm, government_records
from exchange.models import Base
from exchange.state import make_engine

SHANGHAI = ZoneInfo("Asia/Shanghai")
BATCH_SIZE = 5000

# The columns of the portal's `firms` table that the records follow (portal/firms/models.py).
PORTAL_FIRMS = table(
    "firms",
    column("credit_code", String),
    column("name", String),
    column("region_code", String),
    column("industry_code", String),
    column("established_on", Date),
    column("employees", Integer),
    column("revenue", Numeric(16, 2)),
    column("total_assets", Numeric(16, 2)),
    column("tax_credit_grade", String),
    column("qualifications", JSON),
    column("legal_representative", String),
)


@dataclass
class SeedReport:
    """What one seed wrote and how long it took."""

    firms: int = 0
    extra: int = 0
    rows: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def summary(self) -> str:
        """A few lines for the console."""
        tables = ", ".join(f"{self.rows[name]} {name}" for name in TABLES)
        return (
            f"Exchange seeded (政务数据交换): {self.firms} firms from the portal, "
            f"{self.extra} registry-only firms, in {self.seconds:.2f} s.\nRows: {tables}."
        )


def today_in_china() -> dt.date:
    """Today in Asia/Shanghai: the bureaus' records are as of a Chinese calendar day."""
    return dt.datetime.now(SHANGHAI).date()


def seed_from_portal(
    exchange_url: str, portal_url: str, *, extra: int = 0, as_of: dt.date | None = None
) -> SeedReport:
    """Replace the exchange's data with records for every portal firm and `extra` more."""
    started = time.perf_counter()
    engine = make_engine(exchange_url)
    portal = create_engine(engine_url(portal_url))
    try:
        reset_schema(engine)
        with portal.connect() as conn:
            _read_only(conn)
            report = seed_firms(engine, read_portal_firms(conn), extra=extra, as_of=as_of)
    finally:
        portal.dispose()
        engine.dispose()
    report.seconds = time.perf_counter() - started
    return report


def reset_schema(engine: Engine) -> None:
    """Drop and create the exchange's tables: its data is derived, so a seed starts afresh."""
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)


def _read_only(conn: Connection) -> None:
    """Make sure the seed can never write to the portal's database."""
    if conn.dialect.name == "sqlite":
        conn.execute(text("PRAGMA query_only = ON"))
    elif conn.dialect.name == "postgresql":
        conn.execute(text("SET TRANSACTION READ ONLY"))


def read_portal_firms(conn: Connection) -> Iterator[Mapping[str, Any]]:
    """The portal's firms, streamed in batches."""
    result = conn.execution_options(yield_per=BATCH_SIZE).execute(select(PORTAL_FIRMS))
    for row in result:
        yield row._mapping


def seed_firms(
    engine: Engine,
    firms: Iterable[Mapping[str, Any]],
    *,
    extra: int = 0,
    as_of: dt.date | None = None,
    batch_size: int = BATCH_SIZE,
) -> SeedReport:
    """Insert the records of the given firms and of `extra` registry-only ones."""
    as_of = as_of or today_in_china()
    report = SeedReport()
    seen: set[str] = set()
    pending: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
    for count, firm in enumerate(_with_extras(firms, extra, seen, report), start=1):
        for name, rows in government_records(firm, as_of).items():
            pending[name].extend(rows)
        if count % batch_size == 0:
            _flush(engine, pending, report)
    _flush(engine, pending, report)
    _analyse(engine)
    return report


def _analyse(engine: Engine) -> None:
    """Give the planner statistics now: PostgreSQL's IN queries were 4x slower until it had them."""
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def _with_extras(
    firms: Iterable[Mapping[str, Any]], extra: int, seen: set[str], report: SeedReport
) -> Iterator[Mapping[str, Any]]:
    """The given firms, then the extra ones, each code once."""
    for firm in firms:
        if firm["credit_code"] not in seen:
            seen.add(firm["credit_code"])
            report.firms += 1
            yield firm
    index = 0
    while report.extra < extra:
        index += 1
        firm = extra_firm(index)
        if firm["credit_code"] not in seen:
            seen.add(firm["credit_code"])
            report.extra += 1
            yield firm


def _flush(engine: Engine, pending: dict[str, list[dict[str, Any]]], report: SeedReport) -> None:
    """Insert and forget the pending rows, each table in one executemany, registry first."""
    with engine.begin() as conn:
        for name in TABLES:
            rows = pending[name]
            if rows:
                conn.execute(Base.metadata.tables[name].insert(), rows)
                report.rows[name] += len(rows)
                rows.clear()
