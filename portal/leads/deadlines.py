"""Response deadlines in working days of China's official calendar (Asia/Shanghai).

Public holidays are skipped and the 调休 weekends that are worked count, as the State Council's
yearly notice says; the notices come packaged by `chinesecalendar` (one release a year, after
the notice). A year the installed release does not cover yet is counted Monday to Friday, and
that is logged once per year so the operators know to upgrade the package.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import cache

import chinese_calendar

from portal.dates import SHANGHAI

log = logging.getLogger(__name__)
WORKDAY_STARTS = dt.time(9, 0)


def add_business_days(start: dt.datetime, days: int) -> dt.datetime:
    """The same local time `days` working days later; a start on a day off counts from the next
    working day at 09:00."""
    local = start.astimezone(SHANGHAI)
    if not is_working_day(local.date()):
        local = dt.datetime.combine(_next_working_day(local.date()), WORKDAY_STARTS, SHANGHAI)
    day = local.date()
    for _ in range(days):
        day = _next_working_day(day)
    return dt.datetime.combine(day, local.timetz()).astimezone(dt.UTC)


def is_working_day(day: dt.date) -> bool:
    """Whether people work on the day in mainland China (holidays off, 调休 weekends on)."""
    if not calendar_covers(day.year):
        return day.weekday() < 5
    return chinese_calendar.is_workday(day)


@cache
def calendar_covers(year: int) -> bool:
    """Whether the installed calendar has the State Council's notice for the year."""
    try:
        chinese_calendar.is_workday(dt.date(year, 7, 1))
    except NotImplementedError:
        log.warning("no official working-day calendar for %s: counting Monday to Friday", year)
        return False
    return True


def _next_working_day(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day
