"""Platform settings an administrator may change, kept as text in `system_settings`.

Every operational parameter is one `Setting` in SETTINGS: its label, its range (read through the
portal's one number parser, so a refusal states both bounds), its default (a fresh database works
before anyone saves a value) and how it is shown. The settings page lists SETTINGS; the code reads
each through its accessor (`npl_alert_threshold()`, …). A value edited by hand into the table
that is out of range reads as the default, so a bad row cannot stop routing or the reports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.db import Base, utcnow
from portal.extensions import db
from portal.numbers import N_, NumberError, Quantity, parse_number, plain


class SystemSetting(Base):
    """A platform setting an administrator may change (e.g. the NPL alert threshold)."""

    __tablename__ = "system_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


HUNDRED = Decimal(100)


class InvalidSetting(ValueError):
    """A value that the setting cannot take; the message says what to enter."""


@dataclass(frozen=True)
class Setting:
    """One operational parameter: what it is called, what it may be, and its default.

    `quantity` bounds a number as people type it (a percentage for a fraction kept as 0.03);
    a setting without one is a switch, stored as "on" or "off".
    """

    key: str
    label: Any
    help: Any
    default: str
    quantity: Quantity | None = None
    percent: bool = False  # typed and shown as a percentage, kept as a fraction
    # How a value reads when a number and its unit do not ("每月 10 日"); %(value)s is the value.
    reads: Any = None

    def parse(self, text: str) -> str:
        """The stored text for what a person typed, or InvalidSetting saying what to type."""
        if self.quantity is None:
            if text not in ("on", "off"):
                raise InvalidSetting(_("请选择开启或关闭"))
            return text
        try:
            number = parse_number(text, self.quantity)
        except NumberError:
            # Whatever was wrong (not a number, out of range), say what to type: the range.
            raise InvalidSetting(self.quantity.error().render(_)) from None
        if self.percent:
            number /= HUNDRED
        return plain(number)

    def read(self, stored: str | None) -> Any:
        """The typed value of stored text; the default for text that is missing or out of range."""
        try:
            return self._typed(stored if stored is not None else self.default)
        except (InvalidSetting, ArithmeticError, ValueError):
            return self._typed(self.default)

    def _typed(self, stored: str) -> Any:
        if self.quantity is None:
            if stored not in ("on", "off"):
                raise InvalidSetting(stored)
            return stored == "on"
        typed = stored
        if self.percent:
            typed = format(Decimal(stored) * HUNDRED, "f")
        number = parse_number(typed, self.quantity)
        return Decimal(stored) if self.percent else int(number)

    def shown(self, stored: str | None) -> str:
        """The value as the settings page and the audit log show it: 3%, 10, 开启."""
        value = self.read(stored)
        if self.quantity is None:
            return _("开启") if value else _("关闭")
        if self.percent:
            return f"{plain(value * HUNDRED)}%"
        if self.reads is not None:
            return str(self.reads) % {"value": value}
        return f"{value} {self.unit}".strip()

    @property
    def unit(self) -> str:
        """The unit the value is typed in, in the reader's language ("" for a switch)."""
        if self.quantity is None or not self.quantity.unit:
            return ""
        return _(self.quantity.unit)

    def typed_text(self, stored: str | None) -> str:
        """The value as it goes into the form field (a percentage without its sign)."""
        value = self.read(stored)
        if self.quantity is None:
            return "on" if value else "off"
        return plain(value * HUNDRED) if self.percent else str(value)


def _whole(name: str, low: int, high: int, unit: str) -> Quantity:
    return Quantity(name, Decimal(low), Decimal(high), 0, unit, whole=True)


NPL_ALERT_THRESHOLD = "npl_alert_threshold"
MAX_BANKS_PER_NEED = "max_banks_per_need"
INSTANT_REQUIRES_VERIFIED = "instant_requires_verified"
REPORT_DEADLINE_DAY = "report_deadline_day"
OFFER_VALID_DAYS = "offer_valid_days"
NEW_INSTITUTION_RESPONSE_DAYS = "new_institution_response_days"
BANKS_PER_NEED_RANGE = (1, 10)
REPORT_DEADLINE_RANGE = (1, 28)  # a day every month has

SETTINGS: tuple[Setting, ...] = (
    Setting(
        NPL_ALERT_THRESHOLD,
        _l("不良贷款率预警阈值"),
        _l("某月或某银行的不良贷款率高于此值时，监管看板和月度报告列为预警。"),
        "0.03",
        Quantity("npl_threshold", Decimal("0.01"), Decimal("99.99"), 2, "%"),
        percent=True,
    ),
    Setting(
        MAX_BANKS_PER_NEED,
        _l("每笔需求最多推送的银行数"),
        _l("企业申请、平台推荐、抢单池与超时转派合计，一笔融资需求最多到达的银行数。"),
        "3",
        _whole("banks_per_need", *BANKS_PER_NEED_RANGE, N_("家")),
    ),
    Setting(
        INSTANT_REQUIRES_VERIFIED,
        _l("秒批仅依据已核验数据"),
        _l("开启时，秒批预授信只依据政务数据平台核验且仍在有效期内的企业数据。"),
        "on",
    ),
    Setting(
        REPORT_DEADLINE_DAY,
        _l("贷款月报报送截止日"),
        _l(
            "银行在次月此日前报送上月贷款状态（遇节假日顺延至下一个工作日）；此后生成正式月报并结算贴息。"
        ),
        "10",
        _whole("report_deadline_day", *REPORT_DEADLINE_RANGE, N_("日")),
        reads=_l("每月 %(value)s 日"),
    ),
    Setting(
        OFFER_VALID_DAYS,
        _l("授信方案默认有效期"),
        _l("银行给出授信方案而未写有效期时，企业可在批复日后这么多天内接受。"),
        "15",
        _whole("offer_valid_days", 1, 90, N_("天")),
    ),
    Setting(
        NEW_INSTITUTION_RESPONSE_DAYS,
        _l("新入驻机构的默认响应时限"),
        _l("机构申请入驻时的默认线索响应时限（工作日），机构管理员之后可以自行修改。"),
        "2",
        _whole("response_days", 1, 30, N_("个工作日")),
    ),
)
BY_KEY: dict[str, Setting] = {setting.key: setting for setting in SETTINGS}
DEFAULTS: dict[str, str] = {setting.key: setting.default for setting in SETTINGS}


def stored(key: str) -> str | None:
    """The text saved for a setting, or None when nobody has saved one."""
    if key not in BY_KEY:
        raise KeyError(f"unknown setting {key!r}")
    row = db.session.get(SystemSetting, key)
    return row.value if row is not None else None


def value(key: str) -> Any:
    """A setting's typed value: the saved one, or its default."""
    return BY_KEY[key].read(stored(key))


def get_setting(key: str) -> str:
    """The stored text of a setting, or its default when none has been saved."""
    text = stored(key)
    return text if text is not None else DEFAULTS[key]


def save(actor: User, key: str, text: str) -> SystemSetting:
    """Save what an administrator typed for a setting, audited with the values before and
    after as people read them, and commit. InvalidSetting (nothing saved) when out of range."""
    setting = BY_KEY[key]
    return set_setting(actor, key, setting.parse(text.strip()))


def set_setting(actor: User, key: str, text: str) -> SystemSetting:
    """Save a setting's stored text as is, audited, and commit."""
    setting = BY_KEY[key]
    row = db.session.get(SystemSetting, key)
    before = row.value if row is not None else None
    if row is None:
        row = SystemSetting(key=key, value=text)
        db.session.add(row)
    row.value = text
    db.session.flush()
    audit.record(
        AuditAction.SETTING_SAVE,
        actor=actor,
        key=key,
        before=setting.shown(before),
        after=setting.shown(text),
    )
    db.session.commit()
    return row


def _percent_text(fraction: Decimal) -> str:
    return plain(fraction * HUNDRED) if fraction.is_finite() else "NaN"


# --- what the code reads -----------------------------------------------------------------------


def npl_alert_threshold() -> Decimal:
    """The NPL ratio (a fraction, 0.03 = 3%) above which the dashboard raises an alert."""
    return value(NPL_ALERT_THRESHOLD)


def max_banks_per_need() -> int:
    """How many banks one financing need may reach in all (default 3)."""
    return value(MAX_BANKS_PER_NEED)


def instant_requires_verified() -> bool:
    """Whether a pre-approval (秒批) may rest only on verified, fresh facts (on by default)."""
    return value(INSTANT_REQUIRES_VERIFIED)


def report_deadline_day() -> int:
    """The day of the next month by which banks report a month's loans (default the 10th)."""
    return value(REPORT_DEADLINE_DAY)


def offer_valid_days() -> int:
    """How long an offer stays open when the bank names no date (default 15 days)."""
    return value(OFFER_VALID_DAYS)


def new_institution_response_days() -> int:
    """The response deadline an institution starts with when it applies (default 2)."""
    return value(NEW_INSTITUTION_RESPONSE_DAYS)


# --- saving from code (tests, commands) with typed values --------------------------------------


def set_npl_alert_threshold(actor: User, threshold: Decimal) -> SystemSetting:
    """Save the NPL alert threshold (a fraction strictly between 0 and 1)."""
    return save(actor, NPL_ALERT_THRESHOLD, _percent_text(threshold))


def set_max_banks_per_need(actor: User, count: int) -> SystemSetting:
    return save(actor, MAX_BANKS_PER_NEED, str(count))


def set_report_deadline_day(actor: User, day: int) -> SystemSetting:
    return save(actor, REPORT_DEADLINE_DAY, str(day))
