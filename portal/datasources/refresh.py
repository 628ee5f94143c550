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
from sqlalchemy import select

from portal.audit import service as audit
from portal.datasources.client import Envelope, ExchangeUnavailable
from portal.datasources.models import FirmFact
from portal.datasources.sources import Source
from portal.datasources.verification import (
    ACTIVE,
    ALL_SOURCES,
    VerificationUnavailable,
    apply,
    latest,
    require_client,
    store,
)
from portal.enums import LeadStatus
from portal.extensions import db
from portal.firms.models import Firm
from portal.leads.models import Lead
from portal.matching.models import FinancingNeed
from portal.notifications.service import bank_user_ids, notify, path_for

log = logging.getLogger(__name__)

BATCH = 500  # firms per run; the scheduler runs it every ten minutes
BULK = 1000  # codes per bulk request (the exchange's limit)
OPEN_LEADS = (LeadStatus.OPEN, LeadStatus.ACCEPTED, LeadStatus.APPROVED)
GRADE_ORDER = {"A": 0, "B": 1, "M": 2, "C": 3, "D": 4}


@dataclass
class RefreshReport:
    firms: int = 0
    changed: int = 0
    flagged_leads: int = 0
    warnings: list[str] = field(default_factory=list)


def due_firms(limit: int) -> list[Firm]:
    """The firms whose facts are oldest, never-fetched first."""
    return list(
        db.session.scalars(
            select(Firm)
            .order_by(Firm.facts_checked_at.is_not(None), Firm.facts_checked_at, Firm.id)
            .limit(limit)
        )
    )


def refresh(today: dt.date, limit: int = BATCH) -> RefreshReport:
    """Re-verify up to `limit` firms; one commit per bulk call, so a failure loses one batch."""
    client = require_client()
    report = RefreshReport()
    firms = due_firms(limit)
    for start in range(0, len(firms), BULK):
        chunk = firms[start : start + BULK]
        try:
            found = client.bulk([f.credit_code for f in chunk], ALL_SOURCES)
        except ExchangeUnavailable as error:
            raise VerificationUnavailable(str(error)) from error
        for firm in chunk:
            _refresh_one(firm, found.get(firm.credit_code, {}), today, report)
        db.session.commit()
    return report


def _refresh_one(
    firm: Firm, found: Mapping[Source, Envelope | None], today: dt.date, report: RefreshReport
) -> None:
    before = latest(firm.id)
    facts = store(firm, found)
    changes = apply(firm, facts, today)
    report.firms += 1
    warnings = significant_changes(before, facts)
    if changes or warnings:
        report.changed += 1
        audit.record(
            "firm.reverify",
            obj=firm,
            firm_id=firm.id,
            changed=",".join(c.field for c in changes),
            warnings=";".join(warnings),
        )
    if warnings:
        report.flagged_leads += _tell_banks(firm, warnings)


def significant_changes(
    before: Mapping[Source, FirmFact], after: Mapping[Source, FirmFact]
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


def _data(facts: Mapping[Source, FirmFact], source: Source) -> Mapping[str, object]:
    fact = facts.get(source)
    return fact.data if fact is not None and fact.found else {}


def _status_label(status: str) -> str:
    return {"cancelled": _("注销"), "revoked": _("吊销")}.get(status, status)


def _tell_banks(firm: Firm, warnings: Sequence[str]) -> int:
    """Notify the banks holding the firm's open leads, once per new set of records."""
    leads = db.session.scalars(
        select(Lead)
        .join(FinancingNeed, FinancingNeed.id == Lead.need_id)
        .where(
            FinancingNeed.firm_id == firm.id,
            Lead.status.in_(OPEN_LEADS),
            Lead.institution_id.is_not(None),
        )
    ).all()
    # Keyed by what changed: a run that finds the same change again tells nobody twice.
    change = hashlib.sha256("；".join(sorted(warnings)).encode()).hexdigest()[:16]
    for lead in leads:
        notify(
            bank_user_ids(lead.institution_id),
            "lead.firm_facts_changed",
            _(
                "线索 #%(id)s 的企业政务数据有重要变化：%(what)s",
                id=lead.id,
                what="；".join(warnings),
            ),
            link=path_for("leads.detail", lead_id=lead.id),
            dedupe_key=f"facts-{lead.id}-{change}",
        )
    return len(leads)
