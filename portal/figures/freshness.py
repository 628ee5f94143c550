"""Which months changed: every write to a loan, a lead or a status report marks its month.

The dashboard rollups and the archived monthly reports are copies of the live rows, so they
must learn of every change, whatever month it touches: a late report for June, an old lead
decided, a firm moved to another city. Rather than trusting each service to remember, two
session hooks watch the writes themselves and add a `MonthMark` in the same transaction:

- `before_flush` sees the unit of work (objects added, changed or deleted);
- `do_orm_execute` sees the ORM's bulk statements (`update(Lead).where(…)`, `insert(Loan)`
  with a list of rows), reading the months of the rows a statement is about to touch.

A loan belongs to the month it was disbursed in, a lead to the month (Asia/Shanghai) it was
created in, a status report to the month it reports; a firm's region, industry or size feeds
every month its loans, leads and reports sit in. Marks are only ever inserted, so writers never
wait on one another; `portal.figures.rollups.refresh_dirty` consumes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Date, event, insert, inspect, select, union
from sqlalchemy.orm import ORMExecuteState, Session

from portal.dates import month_of
from portal.db import utcnow
from portal.figures.models import MonthMark
from portal.firms.models import Firm
from portal.leads.models import Lead, Loan
from portal.needs.models import FinancingNeed
from portal.reporting.models import LoanStatusReport

# The column that places each tracked row in a month.
MONTH_COLUMN: dict[type, str] = {
    Loan: "disbursed_on",
    Lead: "created_at",
    LoanStatusReport: "period",
}
# A firm's columns that the figures are cut by.
FIRM_CUT_COLUMNS = ("region_code", "industry_code", "size_class")


def listen() -> None:
    """Install the session hooks (once per process)."""
    for name, hook in (("before_flush", _before_flush), ("do_orm_execute", _before_bulk)):
        if not event.contains(Session, name, hook):
            event.listen(Session, name, hook)


def mark(session: Session, months: Iterable[dt.date]) -> None:
    """Add one mark per month, on the session's connection (inside its transaction)."""
    rows = [{"period": month, "marked_at": utcnow(), "rolled_up": False} for month in set(months)]
    if rows:
        session.connection().execute(insert(MonthMark.__table__), rows)


# --- the unit of work ------------------------------------------------------------------------


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    months: set[dt.date] = set()
    with session.no_autoflush:
        for obj in (*session.new, *session.deleted):
            months |= _row_months(obj)
        for obj in session.dirty:
            if session.is_modified(obj, include_collections=False):
                months |= _row_months(obj)
        firms = [obj.id for obj in session.dirty if isinstance(obj, Firm) and _cut_changed(obj)]
        if firms:
            months |= _firm_months(session, firms)
        changed = [obj for obj in session.dirty if session.is_modified(obj)]
        touched = (*session.new, *changed, *session.deleted)
        months |= _later_loan_months(session, [obj for obj in touched if isinstance(obj, Loan)])
    mark(session, months)


def _later_loan_months(session: Session, loans: list[Loan]) -> set[dt.date]:
    """The months of the same firm's later loans at the same bank: a loan is part of their
    credit at that bank, which decides whether they count as inclusive lending."""
    months: set[dt.date] = set()
    for loan in loans:
        firm_id = loan.firm_id or (loan.firm.id if loan.firm is not None else None)
        bank_id = loan.institution_id or (
            loan.institution.id if loan.institution is not None else None
        )
        if firm_id is None or bank_id is None or loan.disbursed_on is None:
            continue
        later = session.connection().scalars(
            select(Loan.disbursed_on)
            .where(
                Loan.firm_id == firm_id,
                Loan.institution_id == bank_id,
                Loan.disbursed_on > loan.disbursed_on,
            )
            .distinct()
        )
        months |= {month_of(_as_date(day)) for day in later}
    return months


def _row_months(obj: object) -> set[dt.date]:
    """The months a tracked object sat in and sits in now (its month column's history)."""
    column = MONTH_COLUMN.get(type(obj))
    if column is None:
        return set()
    history = inspect(obj).attrs[column].history
    values = [value for value in (*history.added, *history.deleted, *history.unchanged) if value]
    if not values:
        # Not loaded since the object expired at a commit: load it (the row is still there,
        # deleted or not, before the flush); a new lead not dated yet is dated today.
        values = [getattr(obj, column) or utcnow()]
    return {month_of(value) for value in values}


def _cut_changed(firm: Firm) -> bool:
    state = inspect(firm)
    return any(state.attrs[name].history.has_changes() for name in FIRM_CUT_COLUMNS)


def _firm_months(session: Session, firm_ids: list[int]) -> set[dt.date]:
    """Every month in which the firms have a loan, a lead or a status report."""
    loans = select(Loan.disbursed_on.label("day")).where(Loan.firm_id.in_(firm_ids))
    reports = (
        select(LoanStatusReport.period.label("day"))
        .join(Loan, Loan.id == LoanStatusReport.loan_id)
        .where(Loan.firm_id.in_(firm_ids))
    )
    days = {day for (day,) in session.connection().execute(union(loans, reports))}
    created = session.connection().execute(
        select(Lead.created_at)
        .join(FinancingNeed, FinancingNeed.id == Lead.need_id)
        .where(FinancingNeed.firm_id.in_(firm_ids))
    )
    return {month_of(_as_date(day)) for day in days} | {month_of(at) for (at,) in created}


def _as_date(value: Any) -> dt.date:
    # A UNION hands SQLite's dates back as text.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


# --- bulk statements -------------------------------------------------------------------------


def _before_bulk(state: ORMExecuteState) -> None:
    """Mark the months of the rows an ORM INSERT, UPDATE or DELETE is about to write."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    entity = mapper.class_ if mapper is not None else None
    column_name = MONTH_COLUMN.get(entity)  # type: ignore[arg-type]
    if column_name is None:
        return
    column = getattr(entity, column_name)
    rows = state.parameters if isinstance(state.parameters, list) else []
    months = {month_of(row[column_name]) for row in rows if row.get(column_name) is not None}
    if state.is_insert:
        months |= {month_of(utcnow()) for row in rows if row.get(column_name) is None}
    else:
        months |= _months_touched(state, entity, column, rows)
    mark(state.session, months)


def _months_touched(state: ORMExecuteState, entity: Any, column: Any, rows: list[dict]) -> set:
    """The months of the rows an UPDATE or DELETE names, read before it runs (no WHERE: all)."""
    where = state.statement.whereclause
    ids = [row["id"] for row in rows if "id" in row and column.key not in row]
    if rows and not ids:
        return set()  # a bulk update by primary key whose rows carry their months
    statement = select(column).distinct()
    statement = statement.where(where) if where is not None else statement
    if ids:
        statement = statement.where(entity.id.in_(ids))
    values = state.session.connection().execute(statement).scalars()
    if isinstance(column.type, Date):
        return {month_of(_as_date(value)) for value in values}
    return {month_of(value) for value in values}
