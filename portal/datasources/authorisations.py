"""The firm's authorisation (授权书) of its government data, and every bank's query of it.

A firm holds at most one active authorisation: the sources it covers, whether banks see the
full records or derived indicators only (可用不可见), and an end (90 days unless the firm says
otherwise, at most 365). Granting again replaces it; the firm may revoke it at any time. Its
needs go to banks only while one is active (`require_authorisation`).

A bank whose lead on one of the firm's needs is accepted (the firm is revealed to it) may query
the sources the active authorisation covers. Every query, allowed, refused or failed, is a
`DataQuery` row and an audit entry about the firm, and the firm sees it on its "who viewed my
data" page. The exchange is called outside any write transaction: the checks are made, the
read transaction ends, the record is fetched, and the checks are made again before it is kept,
so a revocation that lands in between still refuses the query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.authz.scoping import LEAD_STATUSES_REVEALING_FIRM
from portal.datasources.client import Envelope, ExchangeUnavailable
from portal.datasources.indicators import Indicator, derive
from portal.datasources.models import DataAuthorisation, DataQuery, FirmFact
from portal.datasources.sources import SOURCE_LABELS, Source
from portal.datasources.verification import exchange_client, store
from portal.dates import SHANGHAI, today_in_china
from portal.db import utcnow
from portal.extensions import db
from portal.firms.models import Firm
from portal.leads.models import Lead
from portal.needs.models import FinancingNeed

DEFAULT_DAYS = 90
MAX_DAYS = 365

PURPOSES: dict[str, object] = {
    "pre_loan": _l("贷前调查"),
    "in_loan": _l("贷中审查"),
    "post_loan": _l("贷后管理"),
}

OK, REFUSED, FAILED = "ok", "refused", "failed"
OUTCOME_LABELS: dict[str, object] = {
    OK: _l("已查询"),
    REFUSED: _l("已拒绝"),
    FAILED: _l("查询失败"),
}

# Why a query was refused or failed, kept in `DataQuery.detail` as a code (an allowed query
# keeps the record's reference there) and said in the reader's language when shown.
NOT_ACCEPTED = "not_accepted"
NO_AUTHORISATION = "no_authorisation"
EXPIRED = "expired"
REVOKED = "revoked"
NOT_COVERED = "not_covered"
UNAVAILABLE = "unavailable"
NOT_CONFIGURED = "not_configured"
NOT_FOUND = "not_found"
DETAIL_LABELS: dict[str, object] = {
    NOT_ACCEPTED: _l("线索未受理"),
    NO_AUTHORISATION: _l("企业未授权"),
    EXPIRED: _l("授权已到期"),
    REVOKED: _l("授权已撤回"),
    NOT_COVERED: _l("授权不含该类数据"),
    UNAVAILABLE: _l("数据源暂时无法访问"),
    NOT_CONFIGURED: _l("未接入数据共享平台"),
    NOT_FOUND: _l("数据源无该企业记录"),
}


class AuthorisationError(Exception):
    """The firm's request about its authorisation cannot be done; the message says why."""


class AuthorisationRequired(Exception):
    """A need may not go to banks: its firm has no active authorisation."""


class QueryRefused(Exception):
    """The bank may not query this now (recorded); the message says why."""


class QueryFailed(Exception):
    """The exchange did not answer (recorded); the message says what to do."""


@dataclass(frozen=True)
class QueryResult:
    """What an allowed query shows: the record's provenance and either indicators or data."""

    query: DataQuery
    fact: FirmFact
    full_records: bool
    indicators: list[Indicator]


# --- the firm's authorisation ----------------------------------------------------------------


def is_active(authorisation: DataAuthorisation, now: dt.datetime | None = None) -> bool:
    """Whether the authorisation lets banks query now: not revoked, not yet ended."""
    now = now or utcnow()
    return authorisation.revoked_at is None and authorisation.valid_until > now


def state(authorisation: DataAuthorisation, now: dt.datetime | None = None) -> str:
    """active, revoked or expired (an authorisation replaced by a newer one has expired)."""
    if authorisation.revoked_at is not None:
        return REVOKED
    return "active" if is_active(authorisation, now) else EXPIRED


def latest_authorisation(firm_id: int) -> DataAuthorisation | None:
    """The firm's most recent authorisation, whatever its state."""
    return db.session.scalar(
        select(DataAuthorisation)
        .where(DataAuthorisation.firm_id == firm_id)
        .order_by(DataAuthorisation.granted_at.desc(), DataAuthorisation.id.desc())
        .limit(1)
    )


def active_authorisation(firm_id: int, now: dt.datetime | None = None) -> DataAuthorisation | None:
    """The firm's authorisation in force now, or None."""
    latest = latest_authorisation(firm_id)
    return latest if latest is not None and is_active(latest, now) else None


def grant(
    actor: User,
    firm: Firm,
    sources: Iterable[str],
    *,
    full_records: bool = False,
    days: int = DEFAULT_DAYS,
) -> DataAuthorisation:
    """Grant a new authorisation; the one in force (if any) ends now. Commits."""
    authorisation = _grant(actor, firm, sources, full_records=full_records, days=days)
    db.session.commit()
    return authorisation


def grant_with_need(actor: User, firm: Firm) -> DataAuthorisation | None:
    """The need form's consent, when no authorisation is in force: the default one (every
    source, derived indicators only, 90 days), which the firm may narrow or revoke at any time.
    An authorisation already in force is left as the firm set it. The caller commits."""
    if active_authorisation(firm.id) is not None:
        return None
    return _grant(actor, firm, [source.value for source in Source])


def _grant(
    actor: User,
    firm: Firm,
    sources: Iterable[str],
    *,
    full_records: bool = False,
    days: int = DEFAULT_DAYS,
) -> DataAuthorisation:
    chosen = _sources(sources)
    if not 1 <= days <= MAX_DAYS:
        raise AuthorisationError(_("授权期限应在 1 至 %(max)s 天之间", max=MAX_DAYS))
    now = utcnow()
    replaced = active_authorisation(firm.id, now)
    if replaced is not None:
        replaced.valid_until = now
    authorisation = DataAuthorisation(
        firm_id=firm.id,
        granted_by_id=actor.id,
        sources=[source.value for source in chosen],
        full_records=full_records,
        granted_at=now,
        valid_until=now + dt.timedelta(days=days),
    )
    db.session.add(authorisation)
    audit.record(
        AuditAction.DATA_AUTHORISE,
        actor=actor,
        obj=authorisation,
        firm_id=firm.id,
        sources=",".join(source.value for source in chosen),
        full_records=full_records,
        days=days,
        replaced=replaced.id if replaced is not None else None,
    )
    return authorisation


def revoke(actor: User, firm: Firm) -> DataAuthorisation:
    """End the firm's authorisation now: banks' queries are refused from here on. Commits."""
    authorisation = active_authorisation(firm.id)
    if authorisation is None:
        db.session.rollback()
        raise AuthorisationError(_("当前没有生效的数据授权，无需撤回"))
    authorisation.revoked_at = utcnow()
    audit.record(AuditAction.DATA_REVOKE, actor=actor, obj=authorisation, firm_id=firm.id)
    db.session.commit()
    return authorisation


def require_authorisation(need: FinancingNeed) -> DataAuthorisation:
    """The authorisation that lets the need go to banks; raises AuthorisationRequired if none."""
    authorisation = active_authorisation(need.firm_id)
    if authorisation is None:
        raise AuthorisationRequired(
            _("推送给银行前，请先在“数据授权”中授权银行查询本企业的政务数据")
        )
    return authorisation


def _sources(values: Iterable[str]) -> list[Source]:
    try:
        chosen = {Source(value) for value in values}
    except ValueError:
        raise AuthorisationError(_("所选数据不在可授权范围内，请重新勾选")) from None
    if not chosen:
        raise AuthorisationError(_("请至少选择一类数据"))
    return [source for source in Source if source in chosen]  # in the sources' own order


# --- a bank's query --------------------------------------------------------------------------


def query(actor: User, lead: Lead, source: Source, purpose: str) -> QueryResult:
    """Query one source of the lead's firm for the bank; recorded whatever the outcome.

    The caller has loaded the lead through the scoping layer (so it is the actor's bank's).
    Raises QueryRefused or QueryFailed after recording; commits.
    """
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    need = db.session.get(FinancingNeed, lead.need_id)
    firm = db.session.get(Firm, need.firm_id)
    firm_id, credit_code = firm.id, firm.credit_code
    asked = Asked(actor, lead, firm_id, source, purpose)
    _check(asked)
    client = exchange_client()
    if client is None:
        _fail(asked, NOT_CONFIGURED)
    db.session.rollback()  # end the read transaction (nothing written): no lock held meanwhile
    try:
        envelope = client.fetch(source, credit_code)
    except ExchangeUnavailable:
        _fail(asked, UNAVAILABLE)
    authorisation = _check(asked)  # revoked while the exchange answered? refused all the same
    return _keep(asked, authorisation, envelope)


def refusal_message(
    code: str, authorisation: DataAuthorisation | None, source: Source | None = None
) -> str:
    """Why a query is refused, in the reader's language, with the date where there is one."""
    if code == EXPIRED and authorisation is not None:
        return _("企业的数据授权已于 %(at)s 到期", at=_local(authorisation.valid_until))
    if code == REVOKED and authorisation is not None and authorisation.revoked_at is not None:
        return _("企业的数据授权已于 %(at)s 撤回", at=_local(authorisation.revoked_at))
    if code == NOT_COVERED and source is not None:
        return _("企业的数据授权不包括“%(source)s”数据", source=SOURCE_LABELS[source])
    if code == NOT_ACCEPTED:
        return _("受理该线索后才能查询企业的政务数据")
    return _("企业尚未授权银行查询其政务数据")


@dataclass(frozen=True)
class Asked:
    """Who asks for which source of which firm, through which lead, and why."""

    actor: User
    lead: Lead
    firm_id: int
    source: Source
    purpose: str


def _check(asked: Asked) -> DataAuthorisation:
    """The authorisation that allows the query now; else record the refusal and raise."""
    db.session.refresh(asked.lead)
    if asked.lead.status not in LEAD_STATUSES_REVEALING_FIRM:
        _refuse(asked, NOT_ACCEPTED, None)
    latest = latest_authorisation(asked.firm_id)
    if latest is None:
        _refuse(asked, NO_AUTHORISATION, None)
    current = state(latest)
    if current != "active":
        _refuse(asked, current, latest)
    if asked.source.value not in (latest.sources or []):
        _refuse(asked, NOT_COVERED, latest)
    return latest


def _query_row(
    asked: Asked, outcome: str, detail: str | None, authorisation: DataAuthorisation | None
) -> DataQuery:
    """The query's row, added to the session; the caller records the audit entry and commits."""
    row = DataQuery(
        firm_id=asked.firm_id,
        authorisation_id=authorisation.id if authorisation is not None else None,
        institution_id=asked.actor.institution_id,
        user_id=asked.actor.id,
        lead_id=asked.lead.id,
        source=asked.source,
        purpose=asked.purpose,
        outcome=outcome,
        detail=detail,
        created_at=utcnow(),
    )
    db.session.add(row)
    return row


def _entry(asked: Asked, row: DataQuery) -> dict[str, Any]:
    """The audit entry's fields for a query: about the firm, so the firm's views show it."""
    return {
        "actor": asked.actor,
        "obj": row,
        "firm_id": asked.firm_id,
        "lead": asked.lead.id,
        "source": asked.source.value,
        "purpose": asked.purpose,
        "outcome": row.outcome,
        "detail": row.detail,
    }


def _refuse(asked: Asked, code: str, authorisation: DataAuthorisation | None) -> NoReturn:
    message = refusal_message(code, authorisation, asked.source)
    row = _query_row(asked, REFUSED, code, authorisation)
    audit.record(AuditAction.DATA_QUERY, **_entry(asked, row))
    db.session.commit()
    raise QueryRefused(message)


def _fail(asked: Asked, code: str) -> NoReturn:
    row = _query_row(asked, FAILED, code, active_authorisation(asked.firm_id))
    audit.record(AuditAction.DATA_QUERY, **_entry(asked, row))
    db.session.commit()
    if code == NOT_CONFIGURED:
        raise QueryFailed(_("平台尚未接入政务数据共享平台，暂时无法查询"))
    raise QueryFailed(
        _(
            "“%(source)s”数据源暂时无法访问，本次查询未成功，请稍后重试",
            source=SOURCE_LABELS[asked.source],
        )
    )


def _keep(asked: Asked, authorisation: DataAuthorisation, envelope: Envelope | None) -> QueryResult:
    """Store the record as a fact, record the allowed query, and say what the bank sees."""
    firm = db.session.get(Firm, asked.firm_id)
    checked = firm.facts_checked_at  # one source fetched for a bank is not a re-verification
    fact = store(firm, {asked.source: envelope})[asked.source]
    firm.facts_checked_at = checked
    detail = envelope.reference if envelope is not None else NOT_FOUND
    row = _query_row(asked, OK, detail, authorisation)
    audit.record(AuditAction.DATA_QUERY, **_entry(asked, row))
    full = authorisation.full_records
    db.session.commit()
    shown = derive(asked.source, fact.data, today_in_china()) if fact.found and not full else []
    return QueryResult(query=row, fact=fact, full_records=full, indicators=shown)


def _local(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def describe(rows: Iterable[DataQuery]) -> Mapping[int, str]:
    """Each query's detail in words: the record's reference, or why it was refused or failed."""
    return {row.id: str(DETAIL_LABELS.get(row.detail or "", row.detail or "—")) for row in rows}
