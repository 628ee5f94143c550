"""A firm keeps its profile; the size class follows the figures."""

from __future__ import annotations

from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.firms.models import Firm
from tests.factories import UserFactory


def test_profile_edit_reclassifies_size(app, client, auth, create):
    """Raising headcount and revenue past the medium thresholds makes the firm medium."""
    # A declared profile: verified fields are locked (tests/datasources/test_verified_profile.py).
    user = create(
        UserFactory, firm__employees=30, firm__revenue=5_000_000, firm__verified_fields={}
    )
    auth.login(user.email)
    assert client.get("/firm/profile").status_code == 200
    response = client.post(
        "/firm/profile",
        data={
            "name": user.firm.name,
            "region_code": "350500",
            "industry_code": "13",
            "employees": "320",
            "revenue_wan": "2500",
            "total_assets_wan": "3000",
            "established_on": "2015-03-01",
            "tax_credit_grade": "B",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        firm = db.session.get(Firm, user.firm_id)
        assert (firm.size_class, firm.region_code, firm.employees) == ("medium", "350500", 320)
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "firm.profile_update")
        )
        assert entry.detail["size_after"] == "medium"
    assert "中型" in client.get("/firm").get_data(as_text=True)


def test_bad_profile_input_saves_nothing(app, client, auth, create):
    """An invalid edit is shown with messages and leaves the stored profile as it was."""
    user = create(UserFactory, firm__employees=30, firm__verified_fields={})
    auth.login(user.email)
    response = client.post(
        "/firm/profile",
        data={
            "name": "",
            "region_code": "350100",
            "industry_code": "13",
            "employees": "999999999",
            "revenue_wan": "1",
            "total_assets_wan": "1",
            "established_on": "2015-03-01",
            "tax_credit_grade": "A",
        },
    )
    page = response.get_data(as_text=True)
    assert "请填写企业名称" in page
    assert "从业人员数应在 0 到 1000 万之间" in page
    with app.app_context():
        assert db.session.get(Firm, user.firm_id).employees == 30
