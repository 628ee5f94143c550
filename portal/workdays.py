"""Working days of China's official calendar (Asia/Shanghai): the one home of the rule.

Public holidays are off and the 调休 weekends are worked, as the State Council's yearly notice
says. The notices come packaged by `chinesecalendar` (one release a year, some weeks after the
notice); until a release carries a year, an administrator enters that year's notice in the
portal (`calendar_years` marks the year as loaded, `calendar_days` holds the days it changes).
A day an administrator entered overrides the package; any other day of a year the package
covers follows the package; a year neither covers is counted Monday to Friday, so the portal
keeps working, and the administrators are told once per year (a notification) that deadlines
are being counted without the notice.

Deadlines are computed on every routing, so what administrators entered is read once per
process and kept for `ENTERED_KEPT_SECONDS`: saving a notice forgets it at once in the process
that saved it, and other processes see the change within that time.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import version

import chinese_calendar
from flask import has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from portal.accounts.models import User
from portal.dates import SHANGHAI
from portal.db import Base, request_may_write, utcnow
from portal.enums import Role
from portal.extensions import db
from portal.notifications.service import notify, path_for

log = logging.getLogger(__name__)

WORKDAY_STARTS = dt.time(9, 0)
ENTERED_KEPT_SECONDS = 60.0
# From this day of the year on, next year's notice is expected (the State Council publishes it
# in October to December) and its absence is warned on the admin page.
NEXT_YEAR_WARNED_FROM = (10, 1)
PACKAGE_NAME = "chinesecalendar"
UNCOVERED_KIND = "calendar.uncovered"

# The package names its holidays in English; people read them in the page's language.
PACKAGE_HOLIDAY_NAMES = {
    "New Year's Day": _l("元旦"),
    "Spring Festival": _l("春节"),
    "Tomb-sweeping Day": _l("清明节"),
    "Labour Day": _l("劳动节"),
    "Dragon Boat Festival": _l("端午节"),
    "Mid-autumn Festival": _l("中秋节"),
    "National Day": _l("国庆节"),
    "Anti-Fascist 70th Day": _l("中国人民抗日战争暨世界反法西斯战争胜利 70 周年纪念日"),
}


class CalendarYear(Base):
    """A year whose State Council notice an administrator has entered (with or without 调休)."""

    __tablename__ = "calendar_years"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    notice: Mapped[str] = mapped_column(String(120))  # e.g. 国办发明电〔2025〕7号
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    entered_by: Mapped[User | None] = relationship()


class CalendarDay(Base):
    """A day an administrator entered from a notice: a holiday off or a weekend worked."""

    __tablename__ = "calendar_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(unique=True)
    is_working_day: Mapped[bool]
    holiday: Mapped[str | None] = mapped_column(String(40))  # 春节; the holiday a 调休 makes up for
    notice: Mapped[str] = mapped_column(String(120))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --- the rule ------------------------------------------------------------------------------------


def is_working_day(day: dt.date) -> bool:
    """Whether people work on the day in mainland China (holidays off, 调休 weekends on)."""
    calendar = _Calendar.now()
    working = calendar.works(day)
    calendar.warn_of_fallbacks()
    return working


def add_business_days(start: dt.datetime, days: int) -> dt.datetime:
    """The same local time `days` working days later; a start on a day off counts from the next
    working day at 09:00."""
    calendar = _Calendar.now()
    local = start.astimezone(SHANGHAI)
    if not calendar.works(local.date()):
        local = dt.datetime.combine(
            calendar.next_working_day(local.date()), WORKDAY_STARTS, SHANGHAI
        )
    day = local.date()
    for _ in range(days):
        day = calendar.next_working_day(day)
    calendar.warn_of_fallbacks()
    return dt.datetime.combine(day, local.timetz()).astimezone(dt.UTC)


def working_day_on_or_after(day: dt.date) -> dt.date:
    """The day itself when it is a working day, else the next working day (a deadline that falls
    on a day off moves to the next working day)."""
    calendar = _Calendar.now()
    if not calendar.works(day):
        day = calendar.next_working_day(day)
    calendar.warn_of_fallbacks()
    return day


def calendar_covers(year: int) -> bool:
    """Whether the year's notice is known: packaged, or entered by an administrator."""
    return package_covers(year) or year in _entered().years


def package_covers(year: int) -> bool:
    """Whether the installed `chinesecalendar` release carries the year's notice."""
    return _PACKAGE_FIRST_YEAR <= year <= _PACKAGE_LAST_YEAR


def package_release() -> str:
    """The installed release of the packaged calendar, e.g. "chinesecalendar 1.11.0"."""
    return f"{PACKAGE_NAME} {version(PACKAGE_NAME)}"


def _package_works(day: dt.date) -> bool:
    # chinese_calendar.is_workday() would do the same after scanning every date it holds for the
    # years it covers: about 200 times slower (215 µs a day against 1 µs), on every day counted.
    return day in chinese_calendar.workdays or (
        day.weekday() < 5 and day not in chinese_calendar.holidays
    )


_PACKAGE_FIRST_YEAR = min(chinese_calendar.holidays).year
_PACKAGE_LAST_YEAR = max(chinese_calendar.holidays).year


# --- what administrators entered, kept per process -----------------------------------------------


@dataclass
class Entered:
    """The administrators' calendar as read at `read_at`: loaded years and the days they set."""

    years: frozenset[int]
    days: Mapping[dt.date, bool]
    read_at: float
    engine_id: int
    # Years this process has already logged, and told the administrators, as uncovered.
    logged: set[int] = field(default_factory=set)
    warned: set[int] = field(default_factory=set)


_lock = threading.Lock()
_kept: Entered | None = None


def forget_entered_calendar() -> None:
    """Read the administrators' calendar afresh at the next use (after a notice is saved)."""
    global _kept
    with _lock:
        _kept = None


def _entered() -> Entered:
    """The administrators' calendar, read at most every ENTERED_KEPT_SECONDS per process.

    Without an application (a script, a unit test of the rule) only the package counts.
    """
    global _kept
    if not has_app_context():
        return Entered(frozenset(), {}, read_at=0.0, engine_id=0)
    engine_id = id(db.engine)
    with _lock:
        kept = _kept
    if (
        kept is not None
        and kept.engine_id == engine_id
        and time.monotonic() - kept.read_at < ENTERED_KEPT_SECONDS
    ):
        return kept
    fresh = _read_entered(engine_id)
    with _lock:
        _kept = fresh
    return fresh


def _read_entered(engine_id: int) -> Entered:
    # No autoflush: deadlines are computed while callers build rows that are not complete yet.
    with db.session.no_autoflush:
        years = frozenset(db.session.scalars(select(CalendarYear.year)))
        days = dict(
            db.session.execute(select(CalendarDay.day, CalendarDay.is_working_day)).tuples().all()
        )
    return Entered(years, days, read_at=time.monotonic(), engine_id=engine_id)


class _Calendar:
    """One computation's view of the calendar; it notes the years it had to count Monday to
    Friday, so the caller's deadline can warn of them once it is computed."""

    def __init__(self, entered: Entered) -> None:
        self.entered = entered
        self.fell_back: set[int] = set()

    @classmethod
    def now(cls) -> _Calendar:
        return cls(_entered())

    def works(self, day: dt.date) -> bool:
        entered = self.entered.days.get(day)
        if entered is not None:
            return entered
        if package_covers(day.year):
            return _package_works(day)
        if day.year not in self.entered.years:
            self.fell_back.add(day.year)
        return day.weekday() < 5

    def next_working_day(self, day: dt.date) -> dt.date:
        day += dt.timedelta(days=1)
        while not self.works(day):
            day += dt.timedelta(days=1)
        return day

    def warn_of_fallbacks(self) -> None:
        for year in sorted(self.fell_back):
            _warn_uncovered(self.entered, year)


# --- a year without a calendar ------------------------------------------------------------------


def _warn_uncovered(entered: Entered, year: int) -> None:
    """Log once per process, and tell the administrators once per year, that `year` is counted
    Monday to Friday.

    The notification joins the caller's transaction, in a savepoint: a twin another process sent
    a moment ago (the dedupe key is unique) must not fail the deadline being saved. A page that
    only reads never writes it (its transaction is not committed, and on SQLite may not take the
    write lock); the next routing or scheduled job that counts into the year does.
    """
    if year not in entered.logged:
        entered.logged.add(year)
        log.warning("no official working-day calendar for %s: counting Monday to Friday", year)
    if year in entered.warned or not has_app_context() or not request_may_write():
        return
    entered.warned.add(year)
    try:
        with db.session.begin_nested():
            notify(
                _admin_ids(),
                UNCOVERED_KIND,
                _l("%(year)s 年的节假日安排尚未录入，期限暂按周一至周五计算", year=year),
                _l(
                    "平台计算的期限已进入 %(year)s 年，但还没有该年的国务院办公厅节假日安排通知，"
                    "期限暂按周一至周五计算（不含节假日和调休）。请在“工作日日历”录入该年通知。",
                    year=year,
                ),
                link=path_for("admin.calendar", year=year),
                dedupe_key=f"{UNCOVERED_KIND}:{year}",
            )
    except IntegrityError:
        pass


def _admin_ids() -> list[int]:
    return list(
        db.session.scalars(select(User.id).where(User.role == Role.ADMIN, User.is_active.is_(True)))
    )


def years_to_warn(today: dt.date) -> list[int]:
    """The years the admin pages warn about: this year without a calendar, and from 1 October
    next year too."""
    years = [today.year]
    if (today.month, today.day) >= NEXT_YEAR_WARNED_FROM:
        years.append(today.year + 1)
    return [year for year in years if not calendar_covers(year)]


# --- reading a year, for the admin pages ---------------------------------------------------------


@dataclass(frozen=True)
class SpecialDay:
    """A day the official calendar sets apart: a holiday off or a weekend worked."""

    day: dt.date
    working: bool
    name: str
    entered: bool  # by an administrator (else: from the package)


def special_days(year: int) -> list[SpecialDay]:
    """The year's holidays and 调休 working days, the administrators' days over the package's."""
    days = {day.day: day for day in _package_days(year)}
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    for row in db.session.scalars(
        select(CalendarDay).where(CalendarDay.day >= start, CalendarDay.day <= end)
    ):
        days[row.day] = SpecialDay(row.day, row.is_working_day, row.holiday or "", entered=True)
    return [days[day] for day in sorted(days)]


def _package_days(year: int) -> Iterable[SpecialDay]:
    for table, working in ((chinese_calendar.holidays, False), (chinese_calendar.workdays, True)):
        for day, name in table.items():
            if day.year == year:
                yield SpecialDay(day, working, str(PACKAGE_HOLIDAY_NAMES.get(name, name)), False)


def entered_years() -> dict[int, CalendarYear]:
    """The years whose notice an administrator entered, by year."""
    rows = db.session.scalars(select(CalendarYear).options(selectinload(CalendarYear.entered_by)))
    return {row.year: row for row in rows}


def package_years() -> range:
    """The years the installed package covers."""
    return range(_PACKAGE_FIRST_YEAR, _PACKAGE_LAST_YEAR + 1)
