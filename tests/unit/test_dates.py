"""Month arithmetic: one module (portal.dates) for the reports, settlements, loans and figures."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.dates import add_months, month_end, month_of, month_start, next_month, shift_month


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),
        (dt.date(2026, 3, 15), 12, dt.date(2027, 3, 15)),
        (dt.date(2026, 12, 31), 2, dt.date(2027, 2, 28)),
        (dt.date(2026, 3, 31), -1, dt.date(2026, 2, 28)),
        (dt.date(2100, 1, 29), 1, dt.date(2100, 2, 28)),  # 2100 is not a leap year
    ],
)
def test_a_loan_term_ends_on_the_same_day_or_the_months_last(day, months, expected):
    assert add_months(day, months) == expected


def test_months_are_named_by_their_first_day():
    assert month_start(dt.date(2026, 11, 30)) == dt.date(2026, 11, 1)
    assert shift_month(dt.date(2026, 11, 30), 2) == dt.date(2027, 1, 1)
    assert shift_month(dt.date(2026, 1, 15), -1) == dt.date(2025, 12, 1)
    assert next_month(dt.date(2026, 12, 1)) == dt.date(2027, 1, 1)
    assert month_end(dt.date(2026, 2, 1)) == dt.date(2026, 2, 28)


def test_a_stored_time_falls_in_its_shanghai_month():
    """16:00 UTC on 31 January is midnight, 1 February, in Shanghai; naive times are UTC."""
    assert month_of(dt.datetime(2026, 1, 31, 16, tzinfo=dt.UTC)) == dt.date(2026, 2, 1)
    assert month_of(dt.datetime(2026, 1, 31, 15, 59)) == dt.date(2026, 1, 1)
    assert month_of(dt.date(2026, 1, 31)) == dt.date(2026, 1, 1)
