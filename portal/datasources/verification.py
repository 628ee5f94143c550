"""Verifying a firm: fetch its records, keep them with their provenance, and let them decide.

Each source verifies some profile fields. A verified value replaces what the firm declared, the
field is locked on the profile form, and `Firm.verified_fields` names the record it came from
(source, as-of date, reference, the stored fact). Fields no source covers (total assets, the
涉农 and 绿色 labels) stay as declared. The matcher reads the profile, so it uses verified
values wherever they exist.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.datasources.client import Envelope, ExchangeClient, ExchangeUnavailable
from portal.datasources.models import FirmFact
from portal.datasources.sources import CONFIRMED_BY_CHECKING, Source, is_fresh
from portal.db import utcnow
from portal.enums import RegistryStatus, TaxCreditGrade
from portal.extensions import db
from portal.firms.models import Firm
from portal.firms.standards import classify_size, size_standard
from portal.numbers import MONEY_YUAN, NumberError, parse_number

ALL_SOURCES = tuple(Source)
# Qualifications the lists of the industry and science authorities certify; 涉农 and 绿色 have
# no list and stay as declared.
CERTIFIED = frozenset({"specialised", "high_tech", "tech_sme"})
ACTIVE = "active"

# The profile fields each source verifies.
FIELDS: Mapping[Source, tuple[str, ...]] = {
    Source.REGISTRY: (
        "name",
        "legal_representative",
        "region_code",
        "industry_code",
        "established_on",
        "registry_status",
    ),
    Source.TAX: ("tax_credit_grade", "revenue", "tax_paid_12m", "tax_paid_24m"),
    Source.SOCIAL_INSURANCE: ("employees",),
    Source.QUALIFICATIONS: ("qualifications",),
    Source.COURTS: ("court_records", "enforcement_amount"),
}
# The rule facts each profile field feeds: what a 秒批 rule reading them needs verified.
RULE_FACTS: Mapping[str, str] = {
    "region_code": "region_code",
    "industry_code": "industry_code",
    "industry_division": "industry_code",
    "years_in_business": "established_on",
    "employees": "employees",
    "revenue": "revenue",
    "tax_credit_grade": "tax_credit_grade",
    "qualifications": "qualifications",
    "size_class": "employees",  # and the other measures of its size standard: `_fields_behind`
    "total_assets": "total_assets",
    "registry_status": "registry_status",
    "tax_paid_12m": "tax_paid_12m",
    "tax_paid_24m": "tax_paid_24m",
    "court_records": "court_records",
    "enforcement_amount": "enforcement_amount",
}
# The grade and the revenue of the year it assessed stay fresh while that year is the latest
# assessed; tax paid comes from monthly returns and goes stale by its as-of date.
GRADED_FIELDS = frozenset({"tax_credit_grade", "revenue"})
REGISTRY_STATUSES = frozenset(status.value for status in RegistryStatus)


class VerificationUnavailable(Exception):
    """The exchange is not configured or did not answer; the message says what happens next."""


_clients: dict[tuple[str, str], ExchangeClient] = {}


def exchange_client() -> ExchangeClient | None:
    """The configured exchange's client, or None when no exchange is configured."""
    config = current_app.config
    url, client_id = config.get("EXCHANGE_URL"), config.get("EXCHANGE_CLIENT_ID")
    if not url or not client_id:
        return None
    key = (url, client_id)
    client = _clients.get(key)
    if client is None:
        client = _clients[key] = ExchangeClient(url, client_id, config["EXCHANGE_CLIENT_SECRET"])
    return client


def require_client() -> ExchangeClient:
    client = exchange_client()
    if client is None:
        raise VerificationUnavailable("exchange not configured")
    return client


# --- fetching and storing -------------------------------------------------------------------


def fetch(
    client: ExchangeClient, credit_code: str, sources: Iterable[Source] = ALL_SOURCES
) -> dict[Source, Envelope | None]:
    """Each source's record of the code (None where the source does not know it)."""
    return {source: client.fetch(source, credit_code) for source in sources}


def store(firm: Firm, found: Mapping[Source, Envelope | None]) -> dict[Source, FirmFact]:
    """Keep each answer as a fact row (one per source per fetch); the caller commits."""
    now = utcnow()
    rows = {source: fact_row(firm.id, source, envelope, now) for source, envelope in found.items()}
    db.session.add_all(rows.values())
    db.session.flush()
    if set(found) == set(ALL_SOURCES):
        # Every source answered: the firm's registers are confirmed as of now (see `_fresh`),
        # and its next full re-check is due from now. One source fetched again (a dispute)
        # confirms only that source.
        firm.facts_checked_at = now
    return rows


def fact_row(firm_id: int, source: Source, envelope: Envelope | None, now: Any) -> FirmFact:
    """One source's answer about one firm as a fact row (found or not)."""
    return FirmFact(
        firm_id=firm_id,
        source=source,
        found=envelope is not None,
        as_of=envelope.as_of if envelope else None,
        reference=envelope.reference if envelope else None,
        data=dict(envelope.data) if envelope else {},
        fetched_at=now,
    )


@dataclass(frozen=True)
class KnownRecord:
    """Which record a firm's newest fact from a source is, without its data."""

    id: int
    found: bool
    as_of: dt.date | None
    reference: str | None

    def is_given_again(self, envelope: Envelope | None) -> bool:
        """Whether the source answered with this same record (a record is known by its as-of
        date and reference: a bureau that changes a record gives it a new one)."""
        if envelope is None:
            return not self.found
        return self.found and (self.as_of, self.reference) == (envelope.as_of, envelope.reference)

    def with_data(self, source: Source, envelope: Envelope | None) -> CheckedRecord:
        """The stored fact with the data of the answer that confirmed it (a plain value: a
        quarter of a million ORM objects a pass cost a fifth of the pass)."""
        data = dict(envelope.data) if envelope else {}
        return CheckedRecord(self.id, source, self.found, self.as_of, self.reference, data)


@dataclass(frozen=True)
class CheckedRecord:
    """A stored fact confirmed again, read like a `FirmFact` (never saved)."""

    id: int
    source: Source
    found: bool
    as_of: dt.date | None
    reference: str | None
    data: Mapping[str, Any]


# A fact as `apply` and the change checks read it: a stored row, or one confirmed again.
Record = FirmFact | CheckedRecord


def known_records(firm_ids: Sequence[int]) -> dict[int, dict[Source, KnownRecord]]:
    """Each firm's newest record from each source, by key only (no data read), in one query."""
    newest = (
        select(func.max(FirmFact.id).label("id"))
        .where(FirmFact.firm_id.in_(firm_ids))
        .group_by(FirmFact.firm_id, FirmFact.source)
        .subquery()
    )
    rows = db.session.execute(
        select(
            FirmFact.firm_id,
            FirmFact.source,
            FirmFact.id,
            FirmFact.found,
            FirmFact.as_of,
            FirmFact.reference,
        ).join(newest, FirmFact.id == newest.c.id)
    )
    found: dict[int, dict[Source, KnownRecord]] = {}
    for firm_id, source, *key in rows:
        found.setdefault(firm_id, {})[Source(source)] = KnownRecord(*key)
    return found


# --- applying ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A profile field the records changed: what the firm had and what the source says."""

    field: str
    before: Any
    after: Any


def apply(firm: Firm, facts: Mapping[Source, Record], today: dt.date) -> list[Change]:
    """Write the verified values into the profile and record where each came from."""
    changes: list[Change] = []
    verified = dict(firm.verified_fields or {})
    for source, fact in facts.items():
        if not fact.found:
            continue
        for field, value in _values(source, fact.data, firm, today).items():
            before = getattr(firm, field)
            if before != value:
                changes.append(Change(field, before, value))
                setattr(firm, field, value)
            verified[field] = _provenance(fact, field)
    firm.verified_fields = verified
    firm.size_class = classify_size(
        firm.industry_code, firm.employees, firm.revenue, firm.total_assets
    )
    return changes


def _provenance(fact: Record, field: str) -> dict[str, Any]:
    provenance = {
        "source": str(fact.source),
        "as_of": fact.as_of.isoformat() if fact.as_of else None,
        "reference": fact.reference,
        "fact_id": fact.id,
    }
    grade_year = fact.data.get("grade_year")
    if field in GRADED_FIELDS and isinstance(grade_year, int):
        provenance["grade_year"] = grade_year  # fresh while the grade is the current one
    return provenance


def _values(source: Source, data: Mapping[str, Any], firm: Firm, today: dt.date) -> dict[str, Any]:
    """The profile values a source's record gives; a value it gives badly is left out."""
    if source == Source.REGISTRY:
        return _registry_values(data)
    if source == Source.TAX:
        return _tax_values(data)
    if source == Source.SOCIAL_INSURANCE:
        months = data.get("months") or []
        latest_month = months[-1] if months and isinstance(months[-1], dict) else {}
        insured = latest_month.get("insured")
        return {"employees": insured} if isinstance(insured, int) and insured >= 0 else {}
    if source == Source.QUALIFICATIONS:
        return {"qualifications": _qualifications(data, firm, today)}
    if source == Source.COURTS:
        return _court_values(data)
    return {}


def _registry_values(data: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in ("name", "legal_representative", "region_code", "industry_code"):
        text = data.get(field)
        if isinstance(text, str) and text.strip():
            values[field] = text.strip()
    region = values.get("region_code", "")
    if len(region) == 6 and region.isdigit():
        # The portal places firms by prefecture city: a district (350102) is its city (350100).
        values["region_code"] = region[:4] + "00"
    elif "region_code" in values:
        del values["region_code"]
    with contextlib.suppress(ValueError):
        values["established_on"] = dt.date.fromisoformat(str(data.get("established_on")))
    if data.get("status") in REGISTRY_STATUSES:
        values["registry_status"] = data["status"]
    return values


def _tax_values(data: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    grade = data.get("credit_grade")
    if grade in {g.value for g in TaxCreditGrade}:
        values["tax_credit_grade"] = TaxCreditGrade(grade)
    for field in ("revenue", "tax_paid_12m", "tax_paid_24m"):
        amount = _money(data.get(field))
        if amount is not None:
            values[field] = amount
    return values


def _court_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """失信 and the open enforcement cases with the sum they are for; closed cases are history."""
    cases = [case for case in data.get("cases") or [] if isinstance(case, dict)]
    open_amounts = [_money(case.get("amount")) for case in cases if case.get("status") == "open"]
    if not isinstance(data.get("dishonest"), bool) or None in open_amounts:
        return {}  # a record the portal cannot read decides nothing
    records = ["dishonest"] if data["dishonest"] else []
    if open_amounts:
        records.append("enforcement")
    return {"court_records": records, "enforcement_amount": sum(open_amounts, Decimal(0))}


def _qualifications(data: Mapping[str, Any], firm: Firm, today: dt.date) -> list[str]:
    """The certified kinds valid today, plus the declared labels no list covers."""
    certified = set()
    for item in data.get("items") or []:
        if not isinstance(item, dict) or item.get("kind") not in CERTIFIED:
            continue
        try:
            valid_to = dt.date.fromisoformat(str(item.get("valid_to")))
        except ValueError:
            continue
        if valid_to >= today:
            certified.add(item["kind"])
    declared = {q for q in firm.qualifications or () if q not in CERTIFIED}
    return sorted(certified | declared)


def _money(value: Any) -> Decimal | None:
    try:
        return parse_number(str(value), MONEY_YUAN)
    except NumberError:
        return None


# --- freshness, for decisions -----------------------------------------------------------------


def unverified_facts(firm: Firm, rule_facts: Iterable[str], today: dt.date) -> list[str]:
    """Of the rule facts a decision reads, those resting on a declared or stale profile field.

    A rule fact derived from several fields (size class) needs each of them verified; total
    assets have no source, so a size class that compares them (construction, real estate,
    leasing) can never be verified.
    """
    verified = firm.verified_fields or {}
    checked = firm.facts_checked_at.date() if firm.facts_checked_at else None
    missing = []
    for name in rule_facts:
        fields = _fields_behind(name, firm.industry_code)
        if fields is None:
            continue  # not a fact about the firm (the need, the price)
        if not all(_fresh(verified.get(field), today, checked) for field in fields):
            missing.append(name)
    return missing


def _fields_behind(rule_fact: str, industry_code: str) -> tuple[str, ...] | None:
    if rule_fact == "size_class":
        # The industry, and the measures its row of the 2011 size standard compares.
        measures = size_standard(industry_code).measures
        return ("industry_code", *(str(measure) for measure in measures))
    field = RULE_FACTS.get(rule_fact)
    return (field,) if field is not None else None


def _fresh(provenance: Mapping[str, Any] | None, today: dt.date, checked: dt.date | None) -> bool:
    if not provenance or not provenance.get("as_of"):
        return False
    source = Source(provenance["source"])
    as_of = dt.date.fromisoformat(provenance["as_of"])
    if checked is not None and source in CONFIRMED_BY_CHECKING:
        as_of = max(as_of, checked)  # the register gave the same record again on that day
    return is_fresh(source, as_of, today, provenance.get("grade_year"))


# --- the whole step ---------------------------------------------------------------------------


def verify(
    actor: User | None,
    firm: Firm,
    today: dt.date,
    sources: Iterable[Source] = ALL_SOURCES,
    client: ExchangeClient | None = None,
) -> list[Change]:
    """Fetch, keep and apply the firm's records, audited; the caller commits.

    Raises VerificationUnavailable when the exchange is not there: nothing is changed.
    """
    client = client or require_client()
    try:
        found = fetch(client, firm.credit_code, sources)
    except ExchangeUnavailable as error:
        raise VerificationUnavailable(str(error)) from error
    facts = store(firm, found)
    changes = apply(firm, facts, today)
    audit.record(
        AuditAction.FIRM_VERIFY,
        actor=actor,
        obj=firm,
        firm_id=firm.id,
        sources=",".join(sorted(str(s) for s in facts)),
        changed=",".join(change.field for change in changes),
    )
    return changes


def registry_status(facts: Mapping[Source, FirmFact]) -> str | None:
    """The registry's status of the firm (active, cancelled, revoked), None if unknown."""
    fact = facts.get(Source.REGISTRY)
    if fact is None or not fact.found:
        return None
    status = fact.data.get("status")
    return status if isinstance(status, str) else None
