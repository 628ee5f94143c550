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
