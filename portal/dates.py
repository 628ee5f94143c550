"""Calendar helpers: times are stored in UTC, but days and months are Asia/Shanghai's."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def today_in_china() -> dt.date:
    """Today's date in Asia/Shanghai, the calendar every deadline and report uses."""
    return dt.datetime.now(SHANGHAI).date()
