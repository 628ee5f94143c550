"""Everything the portal holds about a firm, as one JSON document its owners may download.

Rows are read through the scoping layer as the owner sees them (the firm itself, its needs,
leads, loans, data authorisations, the banks' queries of its data, its users, the audit entries
about it); the tables without a tenant rule of their own (verified facts, subsidy grants,
consents) are read for the firm or users the scoping layer returned. Secrets never leave: no
password hashes, second-factor secrets or session tokens, no uploaded letter's content, no
auditor's record of the addresses other users came from. Each section holds at most
`MAX_ROWS` rows, newest first, and says when it was cut, so one download costs a bounded
amount of work whatever the firm's history.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, inspect, select

from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.audit.models import AuditEntry
from portal.authz import get_or_404, scoped
from portal.datasources.models import (
    DataAuthorisation,
    DataQuery,
    FactDispute,
    FirmFact,
    IdentityLetter,
)
from portal.db import utcnow
from portal.extensions import db
from portal.firms.models import Firm
from portal.leads.models import Lead, Loan
from portal.legal.models import Consent
from portal.matching.models import MatchResult
from portal.needs.models import FinancingNeed
from portal.subsidies.models import SubsidyGrant

MAX_ROWS = 5000

# Columns that are never exported, whatever the table.
WITHHELD = frozenset(
    {"password_hash", "totp_secret", "totp_last_step", "session_token", "content", "remote_addr"}
)


def firm_export(actor: User) -> dict[str, Any]:
    """The actor's firm and everything about it, one section per kind of row; audited."""
    firm = get_or_404(Firm, actor.firm_id, actor)
    users = scoped(select(User), User, actor)
    sections: dict[str, Select[Any]] = {
        "users": users.order_by(User.id),
        "consents": select(Consent)
        .where(Consent.user_id.in_(users.with_only_columns(User.id)))
        .order_by(Consent.id.desc()),
        "verified_facts": _firm_rows(FirmFact, firm).order_by(FirmFact.fetched_at.desc()),
        "fact_disputes": _scoped(FactDispute, actor),
        "identity_letters": _scoped(IdentityLetter, actor),
        "data_authorisations": _scoped(DataAuthorisation, actor),
        "data_queries": _scoped(DataQuery, actor),
        "financing_needs": _scoped(FinancingNeed, actor),
        "match_results": _scoped(MatchResult, actor),
        "leads_and_offers": _scoped(Lead, actor),
        "loans": _scoped(Loan, actor),
        "subsidy_grants": _firm_rows(SubsidyGrant, firm).order_by(SubsidyGrant.id.desc()),
        "audit_entries": _scoped(AuditEntry, actor),
    }
    document: dict[str, Any] = {"exported_at": utcnow(), "firm": _row(firm)}
    document.update({name: _section(statement) for name, statement in sections.items()})
    audit.record(
        AuditAction.FIRM_DATA_EXPORT,
        actor=actor,
        obj=firm,
        firm_id=firm.id,
        truncated=[name for name, section in document.items() if _cut(section)],
    )
    db.session.commit()
    return document


def as_json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, default=_plain)


def _scoped(model: type, actor: User) -> Select[Any]:
    return scoped(select(model), model, actor).order_by(model.id.desc())  # type: ignore[attr-defined]


def _firm_rows(model: type, firm: Firm) -> Select[Any]:
    return select(model).where(model.firm_id == firm.id)  # type: ignore[attr-defined]


def _section(statement: Select[Any]) -> dict[str, Any]:
    rows = db.session.scalars(statement.limit(MAX_ROWS + 1)).all()
    return {"rows": [_row(row) for row in rows[:MAX_ROWS]], "truncated": len(rows) > MAX_ROWS}


def _cut(section: Any) -> bool:
    return isinstance(section, dict) and section.get("truncated") is True


def _row(row: object) -> dict[str, Any]:
    columns = inspect(type(row)).column_attrs
    return {c.key: getattr(row, c.key) for c in columns if c.key not in WITHHELD}


def _plain(value: object) -> object:
    """JSON for the column types the models use."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return None
    raise TypeError(f"{type(value).__name__} is not exported")
