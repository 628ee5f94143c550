"""Firm services: building and updating a firm's profile, with its size class derived."""

from __future__ import annotations

from typing import Any

from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.db import assign_changed
from portal.extensions import db
from portal.firms.models import Firm
from portal.firms.standards import classify_size


def build_firm(credit_code: str, **profile: Any) -> Firm:
    """A new firm; its size class comes from the 2011 standard, never from the form."""
    firm = Firm(credit_code=credit_code, **profile)
    firm.size_class = _size_of(firm)
    return firm


def update_profile(actor: User, firm: Firm, profile: dict[str, Any]) -> Firm:
    """Change a firm's profile and re-derive its size class, in one transaction."""
    before = firm.size_class
    changed = assign_changed(firm, profile)
    firm.size_class = _size_of(firm)
    audit.record(
        AuditAction.FIRM_PROFILE_UPDATE,
        actor=actor,
        obj=firm,
        firm_id=firm.id,
        fields=",".join(sorted(changed)),
        size_before=before,
        size_after=firm.size_class,
    )
    db.session.commit()
    return firm


def _size_of(firm: Firm) -> Any:
    return classify_size(firm.industry_code, firm.employees, firm.revenue, firm.total_assets)
