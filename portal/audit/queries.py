"""Searching the audit log, for admins: the filters, the rows and their CSV export."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select

from portal.accounts.models import User
from portal.audit.labels import action_label, object_label
from portal.audit.models import AuditEntry
from portal.authz import scoped
from portal.dates import SHANGHAI
from portal.enums import ROLE_LABELS
from portal.exports import ExportTable
from portal.extensions import db
from portal.firms.models import Firm

# A larger export would be a copy of the log, not an answer to a question: narrow the filters.
EXPORT_MAX_ROWS = 50_000


@dataclass(frozen=True)
class AuditFilters:
    actor: str | None = None  # part of the actor's email
    action: str | None = None
    object_type: str | None = None
    object_id: int | None = None
    firm: str | None = None  # a credit code, or part of the firm's name
    address: str | None = None  # an address or its beginning
    date_from: dt.date | None = None  # China dates, both included
    date_to: dt.date | None = None

    def as_detail(self) -> dict[str, str]:
        """The filters in use, as text for the audit entry of an export (`filter_action`, …)."""
        return {
            f"filter_{key}": str(value) for key, value in asdict(self).items() if value is not None
        }


def search(actor: User, filters: AuditFilters) -> Select[tuple[AuditEntry]]:
    """The entries matching every given filter, newest first."""
    statement = scoped(select(AuditEntry), AuditEntry, actor)
    for condition in _conditions(filters):
        statement = statement.where(condition)
    return statement.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def _conditions(f: AuditFilters) -> Iterable[Any]:
    if f.actor:
        emails = select(User.id).where(User.email.contains(f.actor.lower(), autoescape=True))
        yield AuditEntry.actor_id.in_(emails)
    if f.action:
        yield AuditEntry.action == f.action
    if f.object_type:
        yield AuditEntry.object_type == f.object_type
    if f.object_id is not None:
        yield AuditEntry.object_id == f.object_id
    if f.firm:
        firms = select(Firm.id).where(
            or_(Firm.credit_code == f.firm.upper(), Firm.name.contains(f.firm, autoescape=True))
        )
        yield AuditEntry.firm_id.in_(firms)
    if f.address:
        yield AuditEntry.remote_addr.startswith(f.address, autoescape=True)
    if f.date_from:
        yield AuditEntry.at >= _china_midnight(f.date_from)
    if f.date_to:
        yield AuditEntry.at < _china_midnight(f.date_to + dt.timedelta(days=1))


def _china_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), SHANGHAI).astimezone(dt.UTC)


@dataclass(frozen=True)
class Names:
    """Who and which firm the entries on a page speak of, loaded in two queries."""

    users: dict[int, tuple[str, str]]  # id -> (email, full name)
    firms: dict[int, tuple[str, str]]  # id -> (credit code, name)


def names_for(entries: Sequence[AuditEntry]) -> Names:
    """The actors' emails and names and the firms' codes and names of these entries."""
    user_ids = {e.actor_id for e in entries if e.actor_id is not None}
    firm_ids = {e.firm_id for e in entries if e.firm_id is not None}
    users = db.session.execute(
        select(User.id, User.email, User.full_name).where(User.id.in_(user_ids))
    )
    firms = db.session.execute(
        select(Firm.id, Firm.credit_code, Firm.name).where(Firm.id.in_(firm_ids))
    )
    return Names(
        users={row.id: (row.email, row.full_name) for row in users},
        firms={row.id: (row.credit_code, row.name) for row in firms},
    )


def count(statement: Select[tuple[AuditEntry]]) -> int:
    """How many entries the search finds."""
    return db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))


EXPORT_HEADERS = (
    _l("时间（北京时间）"),
    _l("操作"),
    _l("操作代码"),
    _l("操作人邮箱"),
    _l("操作人姓名"),
    _l("操作人角色"),
    _l("来源地址"),
    _l("对象类型"),
    _l("对象编号"),
    _l("企业统一社会信用代码"),
    _l("企业名称"),
    _l("详情"),
)


def export_table(statement: Select[tuple[AuditEntry]]) -> ExportTable:
    """The entries as a table; text cells are neutralised against formulas when written."""
    entries = db.session.scalars(statement.limit(EXPORT_MAX_ROWS)).all()
    names = names_for(entries)
    rows = []
    for e in entries:
        email, full_name = names.users.get(e.actor_id, ("", "")) if e.actor_id else ("", "")
        code, firm_name = names.firms.get(e.firm_id, ("", "")) if e.firm_id else ("", "")
        rows.append(
            (
                e.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
                action_label(e.action),
                e.action,
                email,
                full_name,
                str(ROLE_LABELS.get(e.actor_role, e.actor_role or "")),
                e.remote_addr,
                object_label(e.object_type),
                e.object_id,
                code,
                firm_name,
                detail_json(e.detail),
            )
        )
    return ExportTable(title=str(_l("审计日志")), headers=EXPORT_HEADERS, rows=rows)


def detail_json(detail: dict[str, object] | None) -> str:
    """The detail as readable JSON (Chinese kept as is, keys sorted)."""
    return json.dumps(detail or {}, ensure_ascii=False, sort_keys=True)
