"""Keeping verified facts fresh: re-verify firms in batches through the exchange's bulk endpoint.

Each run takes the firms whose facts were fetched longest ago (never-fetched first), at most
`BATCH` of them, so the exchange sees a bounded rate however many firms there are. A change that
matters to a lender (the registry no longer shows the firm 存续, a new 失信 record, a lower tax
grade) is told to every bank holding an open lead of the firm, once per change (the notice is
keyed by the new record), and the firm's next need is matched on the new facts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.datasources.client import Envelope, ExchangeUnavailable
from portal.datasources.models import FirmFact
from portal.datasources.sources import Source
from portal.datasources.verification import (
    ACTIVE,
    ALL_SOURCES,
    KnownRecord,
    Record,
    VerificationUnavailable,
    apply,
    fact_row,
    known_records,
    require_client,
)
from portal.db import utcnow
from portal.enums import LeadStatus
from portal.extensions import db
from portal.firms.models import Firm
from portal.leads.models import Lead
from portal.needs.models import FinancingNeed
from portal.notifications.service import bank_user_ids, notify, path_for

log = logging.getLogger(__name__)

# Firms per scheduler run (every ten minutes): 720,000 a day, so the province's quarter of a
# million firms is re-checked within a day while the exchange sees at most five bulk calls a run.
BATCH = 5000
BULK = 1000  # codes per bulk request (the exchange's limit)
OPEN_LEADS = (LeadStatus.OPEN, LeadStatus.ACCEPTED, LeadStatus.APPROVED)
GRADE_ORDER = {"A": 0, "B": 1, "M": 2, "C": 3, "D": 4}


@dataclass
class RefreshReport:
    firms: int = 0
    changed: int = 0
    flagged_leads: int = 0
    warnings: list[str] = field(default_factory=list)


def due_firm_ids(limit: int) -> list[int]:
    """The firms whose facts are oldest, never-fetched first."""
    return list(
        db.session.scalars(
            select(Firm.id)
            .order_by(Firm.facts_checked_at.is_not(None), Firm.facts_checked_at, Firm.id)
            .limit(limit)
        )
    )


def refresh(today: dt.date, limit: int = BATCH) -> RefreshReport:
    """Re-verify up to `limit` firms; one bulk call and one commit per 1,000 firms, so a
    failure loses one chunk and the next run starts with it again."""
    client = require_client()
    report = RefreshReport()
    ids = due_firm_ids(limit)
    for start in range(0, len(ids), BULK):
        firms = list(db.session.scalars(select(Firm).where(Firm.id.in_(ids[start : start + BULK]))))
        try:
            found = client.bulk([firm.credit_code for firm in firms], ALL_SOURCES)
        except ExchangeUnavailable as error:
            raise VerificationUnavailable(str(error)) from error
        _refresh_chunk(firms, found, today, report)
        db.session.commit()
    return report


def _refresh_chunk(
    firms: Sequence[Firm],
    found: Mapping[str, Mapping[Source, Envelope | None]],
    today: dt.date,
    report: RefreshReport,
) -> None:
    """Keep, apply and judge one chunk's records with a handful of statements, not per firm.

    A record the exchange gives again (same as-of date and reference) is the firm's existing
    fact, only checked again: its `fetched_at` moves on and no row is added, so a daily pass
    over the province neither adds a million identical rows nor reads the stored ones back.
    """
    known = known_records([firm.id for firm in firms])
    now = utcnow()
    answers = _sort_answers(firms, found, known, now)
    db.session.add_all(answers.added)
    db.session.flush()  # multi-row inserts; the new facts' ids go into the provenance
    _touch(answers.checked_again, [firm.id for firm in firms], now)
    previous = _facts_by_id(answers.replaced)
    flagged = {}
    for firm in firms:
        after = answers.after[firm.id]
        before = {s: previous.get(r.id) or after[s] for s, r in known.get(firm.id, {}).items()}
        warnings = _judge(firm, before, after, today, report)
        if warnings:
            flagged[firm.id] = warnings
    if flagged:
        report.flagged_leads += _tell_banks(flagged)


@dataclass
class _Answers:
    """A chunk's answers sorted: each firm's records now, and what to write for them."""

    after: dict[int, dict[Source, Record]] = field(default_factory=dict)
    added: list[FirmFact] = field(default_factory=list)  # new records, to insert
    checked_again: list[int] = field(default_factory=list)  # stored facts given again
    replaced: list[int] = field(default_factory=list)  # stored facts a new record replaces


def _sort_answers(
    firms: Sequence[Firm],
    found: Mapping[str, Mapping[Source, Envelope | None]],
    known: Mapping[int, Mapping[Source, KnownRecord]],
    now: dt.datetime,
) -> _Answers:
    answers = _Answers()
    for firm in firms:
        answers.after[firm.id] = facts = {}
        for source, envelope in found.get(firm.credit_code, {}).items():
            record = known.get(firm.id, {}).get(source)
            if record is not None and record.is_given_again(envelope):
                answers.checked_again.append(record.id)
                facts[source] = record.with_data(source, envelope)
                continue
            facts[source] = fact_row(firm.id, source, envelope, now)
            answers.added.append(facts[source])
            if record is not None:
                answers.replaced.append(record.id)
    return answers


def _facts_by_id(ids: Sequence[int]) -> dict[int, FirmFact]:
    """The replaced facts with their data: what a change is judged against."""
    if not ids:
        return {}
    facts = db.session.scalars(select(FirmFact).where(FirmFact.id.in_(ids)))
    return {fact.id: fact for fact in facts}


def _touch(fact_ids: Sequence[int], firm_ids: Sequence[int], now: dt.datetime) -> None:
    if fact_ids:
        db.session.execute(
            update(FirmFact).where(FirmFact.id.in_(fact_ids)).values(fetched_at=now),
            execution_options={"synchronize_session": False},
        )
    db.session.execute(
        update(Firm).where(Firm.id.in_(firm_ids)).values(facts_checked_at=now),
        execution_options={"synchronize_session": False},
    )


def _judge(
    firm: Firm,
    before: Mapping[Source, Record],
    after: Mapping[Source, Record],
    today: dt.date,
    report: RefreshReport,
) -> list[str]:
    """Apply the firm's records and audit a change; returns what the banks must hear."""
    changes = apply(firm, after, today)
    report.firms += 1
    warnings = significant_changes(before, after)
    if changes or warnings:
        report.changed += 1
        audit.record(
            AuditAction.FIRM_REVERIFY,
            obj=firm,
            firm_id=firm.id,
            changed=",".join(c.field for c in changes),
            warnings=";".join(warnings),
        )
    return warnings


def significant_changes(
    before: Mapping[Source, Record], after: Mapping[Source, Record]
) -> list[str]:
    """What a lender must hear about: status, 失信, a lower tax grade (in Chinese, stored)."""
    found = []
    status = _data(after, Source.REGISTRY).get("status")
    if status and status != ACTIVE and _data(before, Source.REGISTRY).get("status") != status:
        found.append(_("工商登记状态变为%(status)s", status=_status_label(status)))
    if _data(after, Source.COURTS).get("dishonest") and not _data(before, Source.COURTS).get(
        "dishonest"
    ):
        found.append(_("新增失信被执行人记录"))
    old, new = (_data(f, Source.TAX).get("credit_grade") for f in (before, after))
    if old in GRADE_ORDER and new in GRADE_ORDER and GRADE_ORDER[new] > GRADE_ORDER[old]:
        found.append(_("纳税信用等级由 %(old)s 降为 %(new)s", old=old, new=new))
    return found


def _data(facts: Mapping[Source, Record], source: Source) -> Mapping[str, object]:
    fact = facts.get(source)
    return fact.data if fact is not None and fact.found else {}


def _status_label(status: str) -> str:
    return {"cancelled": _("注销"), "revoked": _("吊销")}.get(status, status)


def _tell_banks(flagged: Mapping[int, Sequence[str]]) -> int:
    """Notify the banks holding the flagged firms' open leads, once per new set of records.

    One query for the whole chunk's leads, read without flushing the chunk's pending changes.
    """
    with db.session.no_autoflush:
        rows = db.session.execute(
            select(Lead, FinancingNeed.firm_id)
            .join(FinancingNeed, FinancingNeed.id == Lead.need_id)
            .where(
                FinancingNeed.firm_id.in_(flagged),
                Lead.status.in_(OPEN_LEADS),
                Lead.institution_id.is_not(None),
            )
        ).all()
    for lead, firm_id in rows:
        warnings = flagged[firm_id]
        # Keyed by what changed: a run that finds the same change again tells nobody twice.
        change = hashlib.sha256("；".join(sorted(warnings)).encode()).hexdigest()[:16]
        notify(
            bank_user_ids(lead.institution_id),
            "lead.firm_facts_changed",
            _l(
                "线索 #%(id)s 的企业政务数据有重要变化：%(what)s",
                id=lead.id,
                what="；".join(warnings),
            ),
            link=path_for("leads.detail", lead_id=lead.id),
            dedupe_key=f"facts-{lead.id}-{change}",
        )
    return len(rows)
