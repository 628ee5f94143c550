"""Admin services: the LPR table, the working-day calendar and user listing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from portal import workdays
from portal.accounts.models import User
from portal.admin.calendar_notice import NoticeRefused, Period, notice_lines, periods, read_notice
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.db import utcnow
from portal.extensions import db
from portal.lpr import LprRate
from portal.numbers import plain
from portal.workdays import CalendarDay, CalendarYear


class LprRefused(Exception):
    """An LPR change that cannot be saved; the message says what to do."""


def save_lpr(
    actor: User,
    effective_on: dt.date,
    one_year: Decimal,
    over_five_years: Decimal,
    reason: str = "",
) -> LprRate:
    """Add a month's LPR; or correct (or reinstate) the row of that date, which needs a reason.
    Audited with the rates before and after, as percentages."""
    rate = db.session.scalar(select(LprRate).where(LprRate.effective_on == effective_on))
    reason = reason.strip()
    correcting = rate is not None
    if rate is None:
        rate = LprRate(effective_on=effective_on)
        db.session.add(rate)
    elif not reason:
        raise LprRefused(_("%(day)s 已有 LPR 记录：更正或恢复须填写原因", day=effective_on))
    before = _rates_text(rate) if correcting else None
    rate.one_year, rate.over_five_years = one_year, over_five_years
    rate.withdrawn_at, rate.withdrawn_reason = None, None
    db.session.flush()
    audit.record(
        AuditAction.LPR_SAVE,
        actor=actor,
        obj=rate,
        effective_on=effective_on,
        before=before,
        after=_rates_text(rate),
        reason=reason or None,
    )
    db.session.commit()
    return rate


def withdraw_lpr(actor: User, rate: LprRate, reason: str) -> None:
    """Take a row entered by mistake out of use; it stays in the table, marked, with its reason."""
    reason = reason.strip()
    if not reason:
        raise LprRefused(_("请填写撤回原因"))
    if rate.withdrawn_at is not None:
        raise LprRefused(_("该记录已撤回"))
    rate.withdrawn_at, rate.withdrawn_reason = utcnow(), reason[:200]
    audit.record(
        AuditAction.LPR_WITHDRAW,
        actor=actor,
        obj=rate,
        effective_on=rate.effective_on,
        rates=_rates_text(rate),
        reason=rate.withdrawn_reason,
    )
    db.session.commit()


def _rates_text(rate: LprRate) -> str:
    """The row's rates for the audit log, in any language: "1Y 3.1% / 5Y+ 3.6%"."""
    return f"1Y {plain(rate.one_year)}% / 5Y+ {plain(rate.over_five_years)}%"


def save_calendar_notice(actor: User, year: int, notice: str, text: str) -> CalendarYear:
    """Enter a year's holiday notice, or correct it: the year's entered days are replaced by the
    notice's, in one transaction. NoticeRefused (nothing saved) when a line is wrong."""
    days = read_notice(year, text)
    loaded = db.session.scalar(
        select(CalendarYear).where(CalendarYear.year == year).with_for_update()
    )
    before = _entered_counts(year)
    correcting = loaded is not None
    if loaded is None:
        loaded = CalendarYear(year=year)
        db.session.add(loaded)
    before_notice = loaded.notice
    now = utcnow()
    loaded.notice, loaded.entered_by_id, loaded.entered_at = notice, actor.id, now
    db.session.execute(delete(CalendarDay).where(*_in_year(year)))
    db.session.add_all(
        CalendarDay(
            day=d.day,
            is_working_day=d.working,
            holiday=d.name,
            notice=notice,
            entered_by_id=actor.id,
            entered_at=now,
        )
        for d in days
    )
    try:
        db.session.flush()
    except IntegrityError:
        # Another administrator entered the same year a moment ago.
        db.session.rollback()
        raise NoticeRefused(
            [_("另一位管理员刚刚保存了该年的安排，请刷新页面核对后再保存。")]
        ) from None
    audit.record(
        AuditAction.CALENDAR_NOTICE_CORRECT if correcting else AuditAction.CALENDAR_NOTICE_ENTER,
        actor=actor,
        obj=loaded,
        year=year,
        notice=notice,
        before_notice=before_notice,
        before_days_off=before[False],
        before_days_worked=before[True],
        days_off=sum(not d.working for d in days),
        days_worked=sum(d.working for d in days),
    )
    db.session.commit()
    workdays.forget_entered_calendar()
    return loaded


def _in_year(year: int) -> tuple[Any, ...]:
    return CalendarDay.day >= dt.date(year, 1, 1), CalendarDay.day <= dt.date(year, 12, 31)


def _entered_counts(year: int) -> dict[bool, int]:
    counts = dict.fromkeys((False, True), 0)
    rows = db.session.execute(
        select(CalendarDay.is_working_day, func.count())
        .where(*_in_year(year))
        .group_by(CalendarDay.is_working_day)
    ).tuples()
    counts.update(rows.all())
    return counts


@dataclass(frozen=True)
class CalendarYearView:
    """One year of the working-day calendar as the admin page shows it."""

    year: int
    in_package: bool
    loaded: CalendarYear | None  # the notice an administrator entered

    @property
    def covered(self) -> bool:
        return self.in_package or self.loaded is not None


@dataclass(frozen=True)
class CalendarPage:
    years: list[CalendarYearView]  # newest first
    chosen: CalendarYearView
    periods: list[Period]
    entered_lines: str  # the chosen year's entered days, as lines to correct
    warn_years: list[int]
    package_release: str


def calendar_page(year: int | None, today: dt.date) -> CalendarPage:
    """The years known, the chosen year's holidays and 调休 days, and the years to warn about.

    Without a chosen year: the first year warned about, else this year.
    """
    warn_years = workdays.years_to_warn(today)
    chosen_year = year or (warn_years[0] if warn_years else today.year)
    entered = workdays.entered_years()
    known = {*workdays.package_years(), *entered, today.year, today.year + 1, chosen_year}
    years = [
        CalendarYearView(y, workdays.package_covers(y), entered.get(y))
        for y in sorted(known, reverse=True)
    ]
    special = workdays.special_days(chosen_year)
    return CalendarPage(
        years=years,
        chosen=next(view for view in years if view.year == chosen_year),
        periods=periods(special),
        entered_lines=notice_lines([d for d in special if d.entered]),
        warn_years=warn_years,
        package_release=workdays.package_release(),
    )


def user_query(text: str | None, role: str | None) -> Select[tuple[User]]:
    """All users (admins see everything), filtered by a search text and a role."""
    statement = select(User).order_by(User.created_at.desc(), User.id.desc())
    if text:
        pattern = f"%{text.strip().lower()}%"
        statement = statement.where(or_(User.email.like(pattern), User.full_name.like(pattern)))
    if role:
        statement = statement.where(User.role == role)
    return statement
