"""The firm's profile as the bank decided on it.

A bank's credit decision (or its decline after looking) rests on the facts it saw then; the firm
may edit its profile or have facts re-verified later. The snapshot keeps those facts with their
provenance marks, so the lead page shows what the decision was made on beside what is true now.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from portal.accounts.models import User
from portal.authz.scoping import scoped
from portal.channel.models import ProfileSnapshot
from portal.extensions import db
from portal.firms.models import Firm, whole_years
from portal.leads.models import Lead

# What the bank sees of a firm (templates/leads/_firm_card.html), in the card's order.
FIELDS = (
    "name",
    "credit_code",
    "legal_representative",
    "size_class",
    "region_code",
    "industry_code",
    "employees",
    "revenue",
    "total_assets",
    "established_on",
    "tax_credit_grade",
    "qualifications",
    "registry_status",
    "court_records",
)
_DECIMALS = ("revenue", "total_assets")


def take(lead: Lead, decision: str) -> None:
    """Keep the firm's profile with the lead's decision ("offer" or "decline"), in the
    decision's transaction. A lead is decided once; a second call keeps the first."""
    if snapshot_of(lead) is not None:
        return
    firm = lead.need.firm
    db.session.add(ProfileSnapshot(lead_id=lead.id, decision=decision, profile=profile_of(firm)))


def snapshot_of(lead: Lead) -> ProfileSnapshot | None:
    return db.session.scalar(select(ProfileSnapshot).where(ProfileSnapshot.lead_id == lead.id))


def seen_by(actor: User, lead: Lead) -> ProfileSnapshot | None:
    """The lead's snapshot, if the actor may read it (the scoping layer decides)."""
    statement = select(ProfileSnapshot).where(ProfileSnapshot.lead_id == lead.id)
    return db.session.scalar(scoped(statement, ProfileSnapshot, actor))


def profile_of(firm: Firm) -> dict[str, Any]:
    """The facts a bank sees of the firm, with the provenance of each verified one."""
    values: dict[str, Any] = {}
    for name in FIELDS:
        value = getattr(firm, name)
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, list):
            value = list(value)
        elif value is not None:
            value = str(value)
        values[name] = value
    marks = {k: v for k, v in (firm.verified_fields or {}).items() if k in FIELDS}
    return {"values": values, "verified_fields": marks}


@dataclass(frozen=True)
class FirmAsSeen:
    """A snapshot read back with the names the firm card uses."""

    values: dict[str, Any]
    verified_fields: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        if name not in FIELDS:
            raise AttributeError(name)
        value = self.values.get(name)
        if name in _DECIMALS and value is not None:
            return Decimal(value)
        if name == "established_on" and value is not None:
            return dt.date.fromisoformat(value)
        return value

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    def years_in_business(self, on: dt.date) -> int:
        return whole_years(self.established_on, on)


def as_seen(snapshot: ProfileSnapshot) -> FirmAsSeen:
    return FirmAsSeen(snapshot.profile["values"], snapshot.profile.get("verified_fields", {}))


def changed_since(snapshot: ProfileSnapshot, firm: Firm) -> list[str]:
    """The fields whose value differs now from the snapshot's, in the card's order."""
    now = profile_of(firm)["values"]
    then = snapshot.profile["values"]
    return [name for name in FIELDS if now.get(name) != then.get(name)]
