"""Platform settings an administrator may change, kept as text in `system_settings`.

Each setting has a default here, so a fresh database works before anyone has saved a value.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.db import Base, utcnow
from portal.extensions import db


class SystemSetting(Base):
    """A platform setting an administrator may change (e.g. the NPL alert threshold)."""

    __tablename__ = "system_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


NPL_ALERT_THRESHOLD = "npl_alert_threshold"
MAX_BANKS_PER_NEED = "max_banks_per_need"
INSTANT_REQUIRES_VERIFIED = "instant_requires_verified"
REPORT_DEADLINE_DAY = "report_deadline_day"
BANKS_PER_NEED_RANGE = (1, 10)
REPORT_DEADLINE_RANGE = (1, 28)  # a day every month has

DEFAULTS: dict[str, str] = {
    # A month or bank whose NPL ratio is above this fraction is listed as an alert (3%).
    NPL_ALERT_THRESHOLD: "0.03",
    # Banks one need may reach in all: applications, routing, the pool and reroutes.
    MAX_BANKS_PER_NEED: "3",
    # 秒批 only on facts the government data exchange verified and that are still fresh.
    INSTANT_REQUIRES_VERIFIED: "on",
    # Banks report a month's loans by this day of the next month; the month's subsidies are
    # settled and its final supervision report made after it.
    REPORT_DEADLINE_DAY: "10",
}


class InvalidSetting(ValueError):
    """A value that the setting cannot take."""


def get_setting(key: str) -> str:
    """The stored value of a setting, or its default when none has been saved."""
    if key not in DEFAULTS:
        raise KeyError(f"unknown setting {key!r}")
    stored = db.session.get(SystemSetting, key)
    return stored.value if stored is not None else DEFAULTS[key]


def set_setting(actor: User, key: str, value: str) -> SystemSetting:
    """Save a setting's value, audited, and commit."""
    if key not in DEFAULTS:
        raise KeyError(f"unknown setting {key!r}")
    row = db.session.get(SystemSetting, key)
    before = row.value if row is not None else None
    if row is None:
        row = SystemSetting(key=key, value=value)
        db.session.add(row)
    row.value = value
    db.session.flush()
    audit.record(AuditAction.SETTING_SAVE, actor=actor, key=key, before=before, after=value)
    db.session.commit()
    return row


def npl_alert_threshold() -> Decimal:
    """The NPL ratio (a fraction, 0.03 = 3%) above which the dashboard raises an alert."""
    try:
        value = Decimal(get_setting(NPL_ALERT_THRESHOLD))
    except InvalidOperation:
        value = Decimal(DEFAULTS[NPL_ALERT_THRESHOLD])
    if not value.is_finite() or not Decimal(0) < value < Decimal(1):
        # A value edited by hand into the table must not break the dashboard.
        value = Decimal(DEFAULTS[NPL_ALERT_THRESHOLD])
    return value


def set_npl_alert_threshold(actor: User, threshold: Decimal) -> SystemSetting:
    """Save the default NPL alert threshold (a fraction strictly between 0 and 1)."""
    if not threshold.is_finite() or not Decimal(0) < threshold < Decimal(1):
        raise InvalidSetting("不良率预警阈值应大于 0% 且小于 100%")
    return set_setting(actor, NPL_ALERT_THRESHOLD, format(threshold.normalize(), "f"))


def max_banks_per_need() -> int:
    """How many banks one financing need may reach in all (default 3)."""
    low, high = BANKS_PER_NEED_RANGE
    value = get_setting(MAX_BANKS_PER_NEED)
    if not value.isdigit() or not low <= int(value) <= high:
        # A value edited by hand into the table must not stop routing.
        return int(DEFAULTS[MAX_BANKS_PER_NEED])
    return int(value)


def set_max_banks_per_need(actor: User, count: int) -> SystemSetting:
    """Save how many banks one need may reach (1 to 10)."""
    low, high = BANKS_PER_NEED_RANGE
    if not low <= count <= high:
        raise InvalidSetting(f"每笔需求可推送的银行数应在 {low} 至 {high} 家之间")
    return set_setting(actor, MAX_BANKS_PER_NEED, str(count))


def instant_requires_verified() -> bool:
    """Whether a pre-approval (秒批) may rest only on verified, fresh facts (on by default)."""
    return get_setting(INSTANT_REQUIRES_VERIFIED) != "off"


def report_deadline_day() -> int:
    """The day of the next month by which banks report a month's loans (default the 10th)."""
    low, high = REPORT_DEADLINE_RANGE
    value = get_setting(REPORT_DEADLINE_DAY)
    if not value.isdigit() or not low <= int(value) <= high:
        # A value edited by hand into the table must not stop settlement or the reports.
        return int(DEFAULTS[REPORT_DEADLINE_DAY])
    return int(value)


def set_report_deadline_day(actor: User, day: int) -> SystemSetting:
    """Save the reporting deadline (a day from 1 to 28 of the next month)."""
    low, high = REPORT_DEADLINE_RANGE
    if not low <= day <= high:
        raise InvalidSetting(f"报送截止日应在每月 {low} 日至 {high} 日之间")
    return set_setting(actor, REPORT_DEADLINE_DAY, str(day))
