"""Admins search the audit log and export what they found; nobody else may."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from sqlalchemy import select

from portal.audit import queries
from portal.audit.models import AuditEntry
from portal.enums import Role
from portal.extensions import db
from tests.factories import FirmFactory, UserFactory

UTC = dt.UTC


@pytest.fixture
def log(app):
    """Three entries by two people about two firms, at known times and addresses."""
    with app.app_context():
        officer = UserFactory(
            role=Role.BANK_OFFICER,
            email="lin.officer@bank.example.com",
            full_name="=cmd|' /C calc'!A0",
        )
        admin = UserFactory(role=Role.ADMIN, email="root.admin@example.com")
        firm = FirmFactory(name="厦门鹭岛光电科技有限公司")
        other = FirmFactory(name="泉州石材有限公司")
        entries = [
            # 2026-11-26 17:30 UTC is 2026-11-27 01:30 in Beijing.
            AuditEntry(
                at=dt.datetime(2026, 11, 26, 17, 30, tzinfo=UTC),
                action="firm.profile_view",
                actor_id=officer.id,
                actor_role="bank_officer",
                remote_addr="10.0.3.17",
                object_type="Firm",
                object_id=firm.id,
                firm_id=firm.id,
                detail={"lead": 41, "备注": "查看企业信息"},
            ),
            AuditEntry(
                at=dt.datetime(2026, 11, 25, 8, 0, tzinfo=UTC),
                action="lead.accept",
                actor_id=officer.id,
                actor_role="bank_officer",
                remote_addr="@SUM(1+1)",
                object_type="Lead",
                object_id=41,
                firm_id=other.id,
                detail={},
            ),
            AuditEntry(
                at=dt.datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
                action="lpr.save",
                actor_id=admin.id,
                actor_role="admin",
                remote_addr="192.0.2.1",
                object_type="LprRate",
                object_id=3,
                detail={"one_year": "3.00"},
            ),
        ]
        db.session.add_all(entries)
        db.session.commit()
        return {
            "admin": admin.email,
            "officer": officer.email,
            "firm": firm,
            "other": other,
            "ids": [e.id for e in entries],
        }


@pytest.fixture
def admin_client(client, auth, log):
    auth.login(log["admin"])
    return client


def found_ids(client, **args) -> list[int]:
    """The ids of the entries listed, in page order (each row names its object)."""
    response = client.get("/admin/audit/", query_string=args)
    assert response.status_code == 200
    return [int(i) for i in re.findall(r'data-entry="(\d+)"', response.get_data(as_text=True))]


def test_everything_newest_first(admin_client, log):
    """Without filters every entry is listed, newest first."""
    ids = found_ids(admin_client)
    view, accept, lpr = log["ids"]
    assert [i for i in ids if i in log["ids"]] == [view, accept, lpr]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"actor": "LIN.officer"}, [0, 1]),
        ({"action": "lpr.save"}, [2]),
        ({"object_type": "Lead", "object_id": "41"}, [1]),
        ({"object_id": "3"}, [2]),
        ({"address": "10.0.3."}, [0]),
        ({"firm": "鹭岛"}, [0]),
        ({"date_from": "2026-11-27"}, [0]),  # 01:30 Beijing time on the 27th
        ({"date_to": "2026-11-26"}, [1, 2]),  # the 27th's entry is not on the 26th in Beijing
        ({"date_from": "2026-11-21", "date_to": "2026-11-26"}, [1]),
        ({"actor": "lin", "action": "lead.accept"}, [1]),
    ],
)
def test_filters(admin_client, log, args, expected):
    """Each filter narrows the list; several filters all apply."""
    ids = [i for i in found_ids(admin_client, **args) if i in log["ids"]]
    assert ids == [log["ids"][n] for n in expected]


def test_firm_by_credit_code(admin_client, log):
    """A firm is found by its unified social credit code too."""
    ids = found_ids(admin_client, firm=log["other"].credit_code.lower())
    assert ids == [log["ids"][1]]


def test_like_wildcards_are_plain_text(admin_client, log):
    """A % or _ typed into a filter matches only itself."""
    assert found_ids(admin_client, actor="%") == []
    assert found_ids(admin_client, address="_") == []


def test_page_shows_labels_details_and_paging(app, admin_client, log, monkeypatch):
    """Every field has a label; actions and details read in Chinese; long lists page."""
    page = admin_client.get("/admin/audit/").get_data(as_text=True)
    for name in ("actor", "action", "object_type", "object_id", "firm", "address"):
        assert f'<label class="field__label" for="{name}">' in page
    assert '<label class="field__label" for="date_from">' in page
    assert "金融机构查看企业信息" in page and "<code>firm.profile_view</code>" not in page
    assert "<dt>备注:</dt><dd>查看企业信息</dd>" in page
    assert "厦门鹭岛光电科技有限公司" in page and "10.0.3.17" in page
    assert '<form class="toolbar" method="get"' in page
    monkeypatch.setitem(app.config, "PAGE_SIZE", 1)
    first = admin_client.get("/admin/audit/", query_string={"actor": "lin.officer"})
    assert 'rel="next"' in first.get_data(as_text=True)
    assert "actor=lin.officer" in first.get_data(as_text=True)  # the filters stay on every page
    assert found_ids(admin_client, actor="lin.officer", page=2) == [log["ids"][1]]


def test_bad_filters_say_what_to_fix(admin_client, log):
    """An end date before the start date is refused with a message; nothing is listed."""
    response = admin_client.get(
        "/admin/audit/", query_string={"date_from": "2026-11-27", "date_to": "2026-11-01"}
    )
    page = response.get_data(as_text=True)
    assert "截止日期不能早于起始日期" in page and 'data-entry="' not in page
    unknown = admin_client.get("/admin/audit/", query_string={"action": "bogus"})
    assert unknown.status_code == 200 and 'data-entry="' not in unknown.get_data(as_text=True)


def test_csv_export_of_the_filtered_entries(app, admin_client, log):
    """The export holds the filtered entries, formulas neutralised, and is itself recorded."""
    response = admin_client.get("/admin/audit/export.csv", query_string={"actor": "lin.officer"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header, body = rows[0], rows[1:]
    assert header[0] == "时间（北京时间）" and len(body) == 2
    by_action = {row[2]: dict(zip(header, row, strict=True)) for row in body}
    view = by_action["firm.profile_view"]
    assert view["时间（北京时间）"] == "2026-11-27 01:30:00"
    assert view["操作"] == "金融机构查看企业信息"
    assert view["操作人姓名"] == "'=cmd|' /C calc'!A0"  # shown as text, never run
    assert view["企业名称"] == "厦门鹭岛光电科技有限公司"
    assert '"备注": "查看企业信息"' in view["详情"]
    assert by_action["lead.accept"]["来源地址"] == "'@SUM(1+1)"
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry)
            .where(AuditEntry.action == "audit.export")
            .order_by(AuditEntry.id.desc())
        )
        assert entry.detail == {"rows": 2, "filter_actor": "lin.officer"}
        assert entry.remote_addr == "127.0.0.1" and entry.actor_role == "admin"


def test_export_refuses_more_than_its_limit(admin_client, log, monkeypatch):
    """An export larger than the limit asks for narrower filters instead of cutting silently."""
    monkeypatch.setattr(queries, "EXPORT_MAX_ROWS", 1)
    response = admin_client.get("/admin/audit/export.csv", follow_redirects=True)
    assert response.mimetype == "text/html"
    assert "超过单次导出上限" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN])
def test_only_admins_search_or_export(client, auth, create, role):
    """Every other role is refused the search and the export."""
    auth.login(create(UserFactory, role=role).email)
    assert client.get("/admin/audit/").status_code == 403
    assert client.get("/admin/audit/export.csv").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    """Signed-out visitors are redirected to the sign-in page."""
    response = client.get("/admin/audit/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_home_links_to_the_log(admin_client):
    """The admin home page and the navigation lead to the audit log."""
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert page.count('href="/admin/audit/"') >= 2
