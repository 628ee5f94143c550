"""Data leaving the portal is recorded: dashboard exports, audit exports and PDF downloads."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.audit.labels import ACTION_LABELS
from portal.audit.models import AuditEntry
from portal.enums import Role
from portal.extensions import db
from tests.authz.world import build_world

TABLES = ("months", "banks", "regions", "industries", "alerts")


def entries(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_dashboard_export_is_recorded_with_its_filters(app, client, auth, fmt):
    """Each table exported (CSV or XLSX) leaves an entry: who, which table, format and cut."""
    world = build_world(app)
    auth.login(world.regulator)
    for table in TABLES:
        response = client.get(
            f"/dashboard/export/{table}.{fmt}",
            query_string={"start": "2026-01", "end": "2026-06", "region": "350100"},
        )
        assert response.status_code == 200, table
    recorded = entries(app, "dashboard.export")
    assert [e.detail["table"] for e in recorded] == list(TABLES)
    first = recorded[0]
    assert first.actor_role == Role.REGULATOR.value and first.remote_addr == "127.0.0.1"
    assert first.detail["format"] == fmt
    assert first.detail["filter_start"] == "2026-01" and first.detail["filter_end"] == "2026-06"
    assert first.detail["filter_region_code"] == "350100"
    assert isinstance(first.detail["rows"], int)


def test_a_bank_admins_export_records_its_own_bank(app, client, auth):
    """A bank admin's export is recorded with the bank its figures were cut to."""
    world = build_world(app)
    auth.login(world.email(Role.BANK_ADMIN))
    assert client.get("/dashboard/export/months.csv").status_code == 200
    [entry] = entries(app, "dashboard.export")
    assert entry.detail["filter_institution_id"] == str(world.a.bank)


def test_a_pdf_download_is_recorded(app, client, auth):
    """Downloading an archived monthly report records the report, its month and scope."""
    world = build_world(app)
    auth.login(world.regulator)
    response = client.get(f"/reports/{world.province_report}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    [entry] = entries(app, "monthly_report.download")
    assert (entry.object_type, entry.object_id) == ("MonthlyReport", world.province_report)
    assert entry.detail["scope"] == "province"
    assert entry.detail["period"] == world.period.isoformat()
    assert entry.actor_role == Role.REGULATOR.value


def test_a_refused_download_records_no_download(app, client, auth):
    """Another bank's report is a 404 and nothing was downloaded, so nothing says it was."""
    world = build_world(app)
    auth.login(world.email(Role.BANK_ADMIN, "B"))
    assert client.get(f"/reports/{world.a.bank_report}.pdf").status_code == 404
    assert entries(app, "monthly_report.download") == []


def test_an_audit_export_is_recorded(app, client, auth):
    """The audit log's own CSV export is recorded too (with the filters used)."""
    world = build_world(app)
    auth.login(world.admin)
    response = client.get("/admin/audit/export.csv", query_string={"action": "lead.accept"})
    assert response.status_code == 200
    [entry] = entries(app, "audit.export")
    assert entry.detail["filter_action"] == "lead.accept"


@pytest.mark.parametrize("action", ["dashboard.export", "monthly_report.download", "audit.export"])
def test_recorded_reads_have_labels_for_the_search_page(action):
    """Admins can pick these actions on the audit page, with a Chinese label."""
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(ACTION_LABELS[action]))
