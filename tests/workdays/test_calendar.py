"""The working-day calendar: the packaged notices, notices entered by administrators, a year with
no notice at all, and the monthly reporting deadline that follows the calendar."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal import settings
from portal.accounts.models import User
from portal.admin.services import save_calendar_notice
from portal.enums import Role
from portal.extensions import db
from portal.notifications.models import Notification
from portal.reporting.services import latest_past_due, past_due, reports_due_on
from portal.workdays import (
    UNCOVERED_KIND,
    add_business_days,
    calendar_covers,
    forget_entered_calendar,
    is_working_day,
    working_day_on_or_after,
)
from tests.factories import UserFactory

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# A notice for 2030, which no release of the package carries: 春节 2月2日至9日放假,
# 2月10日（周日）上班.
REF_2030 = "国办发明电〔2029〕7号"
NOTICE_2030 = "2030-02-02 至 2030-02-09 春节\n2030-02-10 上班 春节\n2030-10-01 至 2030-10-07 国庆节"


def deadline(start: dt.datetime, days: int) -> dt.datetime:
    local = add_business_days(start.replace(tzinfo=SHANGHAI), days).astimezone(SHANGHAI)
    return local.replace(tzinfo=None)


# 国办发明电〔2025〕7号 (2026): 春节 2月15日至23日放假，2月14日（周六）、2月28日（周六）上班.
def test_a_deadline_across_the_spring_festival_skips_the_holiday(app):
    """From Friday 13 February 2026, three working days are the 调休 Saturday, the 24th and
    the 25th."""
    with app.app_context():
        assert deadline(dt.datetime(2026, 2, 13, 10, 0), 3) == dt.datetime(2026, 2, 25, 10, 0)
        assert not is_working_day(dt.date(2026, 2, 16))


def test_a_tiaoxiu_saturday_counts_as_a_working_day(app):
    """Saturday 14 February 2026 is worked: a day's deadline from Friday ends on it."""
    with app.app_context():
        assert is_working_day(dt.date(2026, 2, 14))
        assert deadline(dt.datetime(2026, 2, 13, 10, 0), 1) == dt.datetime(2026, 2, 14, 10, 0)


def test_an_entered_notice_for_a_year_the_package_lacks_changes_deadlines(app, admin):
    """2030 counts Monday to Friday until its notice is entered; then the holiday is skipped and
    the worked Sunday counts."""
    start = dt.datetime(2030, 2, 1, 10, 0)  # a Friday
    with app.app_context():
        assert not calendar_covers(2030)
        assert deadline(start, 2) == dt.datetime(2030, 2, 5, 10, 0)
        save_calendar_notice(db.session.get(User, admin.id), 2030, REF_2030, NOTICE_2030)
        assert calendar_covers(2030)
        assert deadline(start, 2) == dt.datetime(2030, 2, 11, 10, 0)


def test_an_entered_day_overrides_the_package(app, admin):
    """A correction entered for a packaged year wins over the package for its dates only."""
    with app.app_context():
        assert is_working_day(dt.date(2026, 2, 24))
        save_calendar_notice(db.session.get(User, admin.id), 2026, "更正示例", "2026-02-24 春节")
        assert not is_working_day(dt.date(2026, 2, 24))
        assert not is_working_day(dt.date(2026, 2, 16))  # the package's days still count
        assert is_working_day(dt.date(2026, 2, 14))


def test_a_notice_without_tiaoxiu_still_marks_its_year_covered(app, admin):
    """A year whose notice lists only days off is known to be loaded."""
    with app.app_context():
        save_calendar_notice(db.session.get(User, admin.id), 2031, "示例通知", "2031-01-01 元旦")
        assert calendar_covers(2031)
        assert not is_working_day(dt.date(2031, 1, 1))


def _uncovered_notices(year: int) -> list[tuple[int, str]]:
    return db.session.execute(
        select(Notification.user_id, Notification.kind).where(
            Notification.dedupe_key.like(f"{UNCOVERED_KIND}:{year}:%")
        )
    ).all()


def test_counting_into_a_year_without_a_calendar_tells_the_admins_once(app, admin, create):
    """The first deadline counted into 2099 notifies every active admin; later ones, in this
    process or another, do not. Counting still goes Monday to Friday."""
    other = create(UserFactory, role=Role.ADMIN)
    create(UserFactory, role=Role.ADMIN, is_active=False)
    with app.app_context():
        assert deadline(dt.datetime(2099, 1, 2, 10, 0), 2) == dt.datetime(2099, 1, 6, 10, 0)
        db.session.commit()
        deadline(dt.datetime(2099, 3, 2, 10, 0), 5)
        db.session.commit()
        forget_entered_calendar()  # as another process would, reading the calendar afresh
        deadline(dt.datetime(2099, 6, 1, 10, 0), 1)
        db.session.commit()
        notices = _uncovered_notices(2099)
        assert sorted(user_id for user_id, _ in notices) == sorted([admin.id, other.id])
        assert {kind for _, kind in notices} == {UNCOVERED_KIND}


def test_a_packaged_year_tells_nobody(app, admin):
    """Deadlines within covered years send no calendar warning."""
    with app.app_context():
        deadline(dt.datetime(2026, 9, 30, 10, 0), 3)
        db.session.commit()
        assert (
            db.session.scalar(
                select(func.count(Notification.id)).where(Notification.kind == UNCOVERED_KIND)
            )
            == 0
        )


def test_a_page_that_only_reads_leaves_the_warning_to_a_writer(app, admin):
    """A GET page counting into 2099 writes nothing (its transaction only reads); the next
    request that saves does, although this process has already logged the year."""
    start = dt.datetime(2099, 1, 2, 10, 0)
    with app.test_request_context("/admin/calendar", method="GET"):
        deadline(start, 2)
        assert _uncovered_notices(2099) == []
    with app.test_request_context("/admin/calendar", method="POST"):
        deadline(start, 2)
        assert [user_id for user_id, _ in _uncovered_notices(2099)] == [admin.id]


# --- the monthly reporting deadline ------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "due"),
    [
        # 10 January 2026 is a Saturday: December's reports are due on Monday the 12th.
        (dt.date(2025, 12, 1), dt.date(2026, 1, 12)),
        # 10 May 2026 is a Sunday.
        (dt.date(2026, 4, 1), dt.date(2026, 5, 11)),
        # 10 October 2026 is a Saturday, but a 调休 working day: the deadline stays.
        (dt.date(2026, 9, 1), dt.date(2026, 10, 10)),
        # 10 November 2026 is a Tuesday.
        (dt.date(2026, 10, 1), dt.date(2026, 11, 10)),
    ],
)
def test_the_reporting_deadline_moves_to_the_next_working_day(app, period, due):
    """The deadline day of the next month, moved off weekends that are not worked."""
    with app.app_context():
        assert reports_due_on(period) == due


def test_a_reporting_deadline_on_a_holiday_moves_past_it(app, admin):
    """With the 5th as the deadline, September's reports are due after National Day (1–7 Oct)."""
    with app.app_context():
        settings.set_report_deadline_day(db.session.get(User, admin.id), 5)
        assert reports_due_on(dt.date(2026, 9, 1)) == dt.date(2026, 10, 8)
        assert not past_due(dt.date(2026, 9, 1), dt.date(2026, 10, 8))
        assert past_due(dt.date(2026, 9, 1), dt.date(2026, 10, 9))
        assert latest_past_due(dt.date(2026, 10, 8)) == dt.date(2026, 8, 1)
        assert latest_past_due(dt.date(2026, 10, 9)) == dt.date(2026, 9, 1)


def test_the_reporting_deadline_follows_an_entered_notice(app, admin):
    """With the 4th as the deadline, January 2030's reports are due on Monday 4 February until
    the notice makes 2–9 February a holiday; then on the worked Sunday, the 10th."""
    with app.app_context():
        settings.set_report_deadline_day(db.session.get(User, admin.id), 4)
        assert reports_due_on(dt.date(2030, 1, 1)) == dt.date(2030, 2, 4)  # a Monday
        save_calendar_notice(db.session.get(User, admin.id), 2030, REF_2030, NOTICE_2030)
        assert reports_due_on(dt.date(2030, 1, 1)) == dt.date(2030, 2, 10)  # the worked Sunday


def test_a_working_day_stays_put(app):
    """A deadline that falls on a working day is not moved."""
    with app.app_context():
        assert working_day_on_or_after(dt.date(2026, 2, 24)) == dt.date(2026, 2, 24)
        assert working_day_on_or_after(dt.date(2026, 2, 15)) == dt.date(2026, 2, 24)
