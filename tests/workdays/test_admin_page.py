"""The admin page of the working-day calendar: the years known, a year's holidays and 调休 days,
entering and correcting a notice (strictly read, all or nothing, audited), and the warning of a
year without a calendar."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal.admin import routes as admin_routes
from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.workdays import CalendarDay, CalendarYear

NOTICE = "国办发明电〔2026〕9号"
LINES_2027 = "\n".join(
    [
        "2027-01-01 至 2027-01-03 元旦",
        "2027-02-06 至 2027-02-13 春节",
        "",
        "2027-02-14 上班",
        "2027-02-20 上班 春节",
    ]
)

SIXTY_ONE_LINES = "\n".join(
    (dt.date(2027, 3, 1) + dt.timedelta(days=i)).isoformat() + " 假日" for i in range(61)
)


def post_notice(client, year="2027", notice=NOTICE, lines=LINES_2027):
    return client.post("/admin/calendar", data={"year": year, "notice": notice, "lines": lines})


def entered(app) -> list[tuple[dt.date, bool, str | None, str]]:
    with app.app_context():
        return db.session.execute(
            select(
                CalendarDay.day, CalendarDay.is_working_day, CalendarDay.holiday, CalendarDay.notice
            ).order_by(CalendarDay.day)
        ).all()


def calendar_entries(app) -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("calendar.%")).order_by(AuditEntry.id)
        ).all()


def on_day(monkeypatch, day: dt.date) -> None:
    monkeypatch.setattr(admin_routes, "today_in_china", lambda: day)


def test_the_page_lists_the_packaged_years_and_a_years_holidays(admin_client):
    """The package's years are listed; 2026 shows the Spring Festival and its worked Saturdays."""
    html = admin_client.get("/admin/calendar?year=2026").get_data(as_text=True)
    for year in ("2004", "2025", "2026"):
        assert f"?year={year}" in html
    assert "2026-02-15 至 2026-02-23" in html
    assert "春节" in html and "国庆节" in html
    assert "2026-02-14" in html and "调休上班" in html


def test_an_entered_notice_is_saved_whole_and_shown(app, admin_client, admin):
    """Each line becomes days; the year is marked loaded with its notice; the page shows them."""
    response = post_notice(admin_client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/calendar?year=2027")
    days = entered(app)
    assert len(days) == 3 + 8 + 2
    assert days[3] == (dt.date(2027, 2, 6), False, "春节", NOTICE)
    assert days[-2:] == [
        (dt.date(2027, 2, 14), True, None, NOTICE),
        (dt.date(2027, 2, 20), True, "春节", NOTICE),
    ]
    with app.app_context():
        loaded = db.session.scalar(select(CalendarYear).where(CalendarYear.year == 2027))
        assert (loaded.notice, loaded.entered_by_id) == (NOTICE, admin.id)
    html = admin_client.get("/admin/calendar?year=2027").get_data(as_text=True)
    assert "2027-02-06 至 2027-02-13" in html and NOTICE in html
    [entry] = calendar_entries(app)
    assert entry.action == "calendar.notice_enter"
    assert entry.detail["days_off"] == 11 and entry.detail["days_worked"] == 2


def test_correcting_a_year_replaces_its_entered_days(app, admin_client):
    """A second notice for the year replaces every day the first entered, audited with counts."""
    post_notice(admin_client)
    response = post_notice(
        admin_client, notice="国办发明电〔2026〕10号", lines="2027-02-07 至 2027-02-14 春节"
    )
    assert response.status_code == 302
    days = entered(app)
    assert [d for d, *_ in days] == [dt.date(2027, 2, 7) + dt.timedelta(days=i) for i in range(8)]
    assert {notice for *_, notice in days} == {"国办发明电〔2026〕10号"}
    first, correction = calendar_entries(app)
    assert correction.action == "calendar.notice_correct"
    assert correction.detail["before_notice"] == NOTICE
    assert (correction.detail["before_days_off"], correction.detail["before_days_worked"]) == (
        11,
        2,
    )
    assert (correction.detail["days_off"], correction.detail["days_worked"]) == (8, 0)


def test_the_form_offers_the_entered_lines_to_correct(admin_client):
    """Opening an entered year fills the form with its notice and lines, periods joined."""
    post_notice(admin_client)
    html = admin_client.get("/admin/calendar?year=2027").get_data(as_text=True)
    assert "2027-02-06 至 2027-02-13 春节\n2027-02-14 上班\n2027-02-20 上班 春节" in html


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("2027-02-06 至 2027-02-13 春节\n2027-02-30 上班", "第 2 行：2027-02-30 这一天不存在"),
        ("2027-02-06 至 2027-02-13 春节\n\n2028-01-01 元旦", "第 3 行：2028-01-01 不在 2027 年内"),
        ("2027-02-06 春节\n2027-02-06 至 2027-02-08 春节", "第 2 行：2027-02-06 已在第 1 行列出"),
        ("2027-02-06 至 2027-02-13 春节\n2027-02-15 上班", "第 2 行：2027-02-15 是周一至周五"),
        ("2027-02-13 至 2027-02-06 春节", "第 1 行：结束日期 2027-02-06 早于开始日期"),
        ("2027-01-01 至 2027-03-01 春节", "第 1 行：一段假期最长 31 天"),
        ("2027/02/06 春节", "第 1 行：“2027/02/06”不是日期"),
        ("2027-02-06 至 2027-02-13", "第 1 行：格式应为"),
        ("2027-02-06 至 2027-02-08 上班", "第 1 行：调休上班的日期请每天写一行"),
        (SIXTY_ONE_LINES, "最多 60 行，现有 61 行"),
    ],
)
def test_a_bad_line_is_refused_by_number_and_nothing_is_saved(app, admin_client, lines, message):
    """A notice with one bad line is refused whole, the line named; no day, year or entry."""
    response = post_notice(admin_client, lines=lines)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert entered(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count(CalendarYear.id))) == 0
    assert calendar_entries(app) == []


def test_a_refused_correction_keeps_the_year_as_it_was(app, admin_client):
    """Correcting an entered year with a bad line leaves every entered day in place."""
    post_notice(admin_client)
    before = entered(app)
    response = post_notice(admin_client, lines="2027-02-07 至 2027-02-14 春节\n2027-13-01 上班")
    assert "第 2 行" in response.get_data(as_text=True)
    assert entered(app) == before


def test_a_year_outside_the_range_is_refused_beside_the_field(admin_client):
    """The year is read as a bounded whole number; the message names the range."""
    response = post_notice(admin_client, year="1999")
    html = response.get_data(as_text=True)
    assert 'id="year-error"' in html and "2000" in html and "2100" in html


def test_the_next_years_absence_is_warned_from_october(admin_client, monkeypatch):
    """From 1 October the page warns that next year's notice is missing, until it is entered."""
    on_day(monkeypatch, dt.date(2026, 9, 30))
    assert "2027 年的节假日安排尚未录入" not in admin_client.get("/admin/calendar").get_data(
        as_text=True
    )
    on_day(monkeypatch, dt.date(2026, 10, 1))
    html = admin_client.get("/admin/calendar").get_data(as_text=True)
    assert "2027 年的节假日安排尚未录入" in html
    assert "2027 年的节假日安排尚未录入" in admin_client.get("/admin/").get_data(as_text=True)
    post_notice(admin_client)
    assert "2027 年的节假日安排尚未录入" not in admin_client.get("/admin/calendar").get_data(
        as_text=True
    )


def test_the_current_years_absence_is_always_warned(admin_client, monkeypatch):
    """A year under way without a calendar is warned whatever the month."""
    on_day(monkeypatch, dt.date(2031, 3, 2))
    html = admin_client.get("/admin/calendar").get_data(as_text=True)
    assert "2031 年的节假日安排尚未录入" in html
    assert "2032 年的节假日安排尚未录入" not in html


def test_a_blank_notice_reference_is_refused(app, admin_client):
    """Spaces are not a notice reference: refused beside the field, nothing saved."""
    html = post_notice(admin_client, notice="   ").get_data(as_text=True)
    assert 'id="notice-error"' in html and "请填写通知文号" in html
    assert entered(app) == []


def test_the_notice_reads_english_keywords_and_offers_them_in_english(app, admin_client):
    """An administrator working in English writes "to" and "work"; the lines offered back for
    correction use the English keywords, the Chinese ones stay accepted."""
    admin_client.post("/language", data={"locale": "en"})
    lines = "2027-02-06 to 2027-02-13 Spring Festival\n2027-02-14 work\n2027-04-05 清明节"
    assert post_notice(admin_client, lines=lines).status_code == 302
    days = entered(app)
    assert (days[0][0], days[0][2]) == (dt.date(2027, 2, 6), "Spring Festival")
    assert (dt.date(2027, 2, 14), True, None, NOTICE) in days
    html = admin_client.get("/admin/calendar?year=2027").get_data(as_text=True)
    assert "2027-02-06 to 2027-02-13 Spring Festival" in html and "2027-02-14 work" in html
