"""Calendar helpers: times are stored in UTC, but days and months are Asia/Shanghai's."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def today_in_china() -> dt.date:
    """Today's date in Asia/Shanghai, the calendar every deadline and report uses."""
    return dt.datetime.now(SHANGHAI).date()


def day_in_china(moment: dt.datetime | None) -> dt.date | None:
    """The Asia/Shanghai day of a stored time (naive values are UTC, as SQLite returns them)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(SHANGHAI).date()


# --- months: a month is named by its first day --------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    """The first day of the day's month."""
    return day.replace(day=1)


def shift_month(month: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after (negative: before) the given day's month."""
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def next_month(month: dt.date) -> dt.date:
    """The first day of the month after the given day's month."""
    return shift_month(month, 1)


def month_end(month: dt.date) -> dt.date:
    """The last day of the given day's month."""
    return next_month(month) - dt.timedelta(days=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (a loan's maturity), clamped to the month's length:
    31 January plus one month is 28 or 29 February."""
    first = shift_month(day, months)
    return first.replace(day=min(day.day, month_end(first).day))


def months_between(first: dt.date, last: dt.date) -> int:
    """How many months run from the month of `first` to the month of `last`, both included."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


def month_of(value: dt.date | dt.datetime) -> dt.date:
    """The month of a date, or of a stored time on the Shanghai calendar (naive: UTC)."""
    if isinstance(value, dt.datetime):
        value = day_in_china(value) or value.date()
    return month_start(value)
