"""Jinja filters and globals: money (portal/money.py), local dates, labels, navigation."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask_babel import get_locale
from flask_login import current_user

from portal import enums
from portal.audit.labels import action_label, detail_items
from portal.catalog.policy_state import policy_state
from portal.datasources import instant
from portal.dates import SHANGHAI
from portal.firms import standards
from portal.i18n import return_path
from portal.money import money, money_range, percent, to_wan
from portal.navigation import navigation_for
from portal.notifications import service as notifications


def local_date(value: dt.date | dt.datetime | None) -> str:
    """A date as 2026-11-27; datetimes are first moved to Asia/Shanghai."""
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        value = value.astimezone(SHANGHAI).date()
    return value.isoformat()


def local_datetime(value: dt.datetime | None) -> str:
    """A UTC timestamp shown in Asia/Shanghai: 2026-11-27 14:05."""
    if value is None:
        return "—"
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


LABELS = {
    "role": enums.ROLE_LABELS,
    "report_edition": enums.REPORT_EDITION_LABELS,
    "onboarding": enums.ONBOARDING_LABELS,
    "institution_kind": enums.INSTITUTION_KIND_LABELS,
    "product_status": enums.PRODUCT_STATUS_LABELS,
    "product_kind": enums.PRODUCT_KIND_LABELS,
    "benefit_kind": enums.BENEFIT_KIND_LABELS,
    "policy_kind": enums.POLICY_KIND_LABELS,
    "guarantee": enums.GUARANTEE_LABELS,
    "need_status": enums.NEED_STATUS_LABELS,
    "lead_status": enums.LEAD_STATUS_LABELS,
    "document_kind": enums.DOCUMENT_KIND_LABELS,
    "institution_document": enums.INSTITUTION_DOCUMENT_LABELS,
    "document_request_status": enums.DOCUMENT_REQUEST_STATUS_LABELS,
    "five_tier": enums.FIVE_TIER_LABELS,
    "loan_status": enums.LOAN_STATUS_LABELS,
    "size_class": enums.SIZE_CLASS_LABELS,
    "qualification": enums.QUALIFICATION_LABELS,
    "tax_grade": enums.TAX_GRADE_LABELS,
    "registry_status": enums.REGISTRY_STATUS_LABELS,
    "court_record": enums.COURT_RECORD_LABELS,
    "lead_origin": enums.LEAD_ORIGIN_LABELS,
    "decline_reason": enums.DECLINE_REASON_LABELS,
    "lead_close_reason": enums.LEAD_CLOSE_REASON_LABELS,
    "guarantee_mode": enums.GUARANTEE_MODE_LABELS,
    "claim_status": enums.CLAIM_STATUS_LABELS,
    "guarantee_request_status": enums.GUARANTEE_REQUEST_STATUS_LABELS,
}


def label(value: object, kind: str) -> str:
    """The display label of an enum value: {{ firm.size_class|label('size_class') }}."""
    if value is None:
        return "—"
    return str(LABELS[kind].get(value, value))


def is_english() -> bool:
    """Whether the page is being shown in English (the other language is Chinese)."""
    locale = get_locale()
    return locale is not None and locale.language == "en"


def unread_notifications() -> int:
    """The signed-in user's unread notifications, for the header; 0 for visitors."""
    if not current_user.is_authenticated:
        return 0
    return notifications.unread_count(current_user) or 0


@functools.cache
def _static_digest(path: str) -> str:
    """A short hash of a static file's content (read once per process)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def version_static_urls(endpoint: str, values: dict[str, Any]) -> None:
    """Add ?v=<content hash> to static URLs, so nginx may cache /static for a year.

    A changed file gets a new URL at the next deploy; an unchanged one stays cached.
    """
    if endpoint != "static" or "filename" not in values or "v" in values:
        return
    path = Path(current_app.static_folder or "") / values["filename"]
    if path.is_file():
        values["v"] = _static_digest(str(path))


def register(app: Flask) -> None:
    app.url_defaults(version_static_urls)
    app.add_template_filter(to_wan, "wan")
    app.add_template_filter(money, "money")
    app.add_template_global(money_range)
    app.add_template_filter(local_date, "date")
    app.add_template_filter(local_datetime, "datetime")
    app.add_template_filter(percent, "percent")
    app.add_template_filter(label, "label")
    app.add_template_filter(standards.region_name, "region")
    app.add_template_filter(standards.industry_name, "industry")
    app.add_template_global(navigation_for)
    app.add_template_filter(instant.fact_label, "fact_label")
    app.add_template_global(instant.fact_label)
    app.add_template_global(instant.source_label)
    app.add_template_global(is_english)
    app.add_template_global(action_label, name="audit_action_label")
    app.add_template_global(detail_items, name="audit_detail_items")
    app.add_template_global(policy_state, name="policy_state_of")
    app.add_template_global(return_path, name="language_return_path")
    app.add_template_global(unread_notifications)
