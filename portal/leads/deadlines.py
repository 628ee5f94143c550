"""Response deadlines in business days (Monday to Friday, Asia/Shanghai).

Public holidays are not in the calendar yet: a deadline that falls on one is not moved.
"""

from __future__ import annotations

import datetime as dt

from portal.dates import SHANGHAI


def add_business_days(start: dt.datetime, days: int) -> dt.datetime:
    """The same local time `days` business days later; a weekend start counts from Monday 09:00."""
    local = start.astimezone(SHANGHAI)
    if local.weekday() >= 5:
        local = _next_monday_morning(local)
    remaining = days
    while remaining > 0:
        local += dt.timedelta(days=1)
        if local.weekday() < 5:
            remaining -= 1
    return local.astimezone(dt.UTC)


def _next_monday_morning(local: dt.datetime) -> dt.datetime:
    monday = local.date() + dt.timedelta(days=7 - local.weekday())
    return dt.datetime.combine(monday, dt.time(9, 0), tzinfo=SHANGHAI)
