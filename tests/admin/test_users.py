"""Admins create bank, government and regulator accounts; nobody else can."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.enums import Role
from portal.extensions import db
from tests.factories import AgencyFactory, InstitutionFactory, UserFactory


def staff_form(**overrides):
    form = {
        "role": "bank_officer",
        "full_name": "陈立",
        "email": "chen.li@bank.example.com",
        "phone": "",
        "password": "officer password 1",
        "password_confirm": "officer password 1",
        "institution_id": "0",
        "agency_id": "0",
    }
    form.update(overrides)
    return form


@pytest.fixture
def admin_client(client, auth, create):
    admin = create(UserFactory, role=Role.ADMIN)
    auth.login(admin.email)
    return client


def test_admin_creates_bank_officer_who_can_sign_in(app, admin_client, create, auth):
    """A bank officer created by an admin belongs to the chosen bank and can sign in."""
    bank = create(InstitutionFactory)
    response = admin_client.post("/admin/users/new", data=staff_form(institution_id=str(bank.id)))
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "chen.li@bank.example.com"))
        assert (user.role, user.institution_id, user.agency_id) == ("bank_officer", bank.id, None)
    auth.logout()
    auth.login("chen.li@bank.example.com", "officer password 1")
    assert admin_client.get("/bank").status_code == 200


def test_gov_user_needs_an_agency(app, admin_client, create):
    """A government user without an agency is refused with a message naming the field."""
    response = admin_client.post("/admin/users/new", data=staff_form(role="gov_staff"))
    assert "政府部门用户须选择所属部门" in response.get_data(as_text=True)
    agency = create(AgencyFactory)
    ok = admin_client.post(
        "/admin/users/new", data=staff_form(role="gov_staff", agency_id=str(agency.id))
    )
    assert ok.status_code == 302


def test_regulator_account_has_no_tenant(app, admin_client, create):
    """A regulator is created without bank or agency even if one is picked by mistake."""
    bank = create(InstitutionFactory)
    admin_client.post(
        "/admin/users/new", data=staff_form(role="regulator", institution_id=str(bank.id))
    )
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "chen.li@bank.example.com"))
        assert (user.role, user.institution_id) == ("regulator", None)


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN])
def test_only_admins_create_users(client, auth, create, role):
    """No other role can open or post the user-creation form."""
    user = create(UserFactory, role=role)
    auth.login(user.email)
    assert client.get("/admin/users/new").status_code == 403
    assert client.post("/admin/users/new", data=staff_form(role="admin")).status_code == 403


def test_deactivating_a_user_ends_their_session(app, admin_client, create):
    """A disabled user's open session stops working at once."""
    victim = create(UserFactory, role=Role.SME)
    victim_client = app.test_client()
    victim_client.post("/login", data={"email": victim.email, "password": "correct-horse-battery"})
    assert victim_client.get("/firm").status_code == 200
    asked = admin_client.post(f"/admin/users/{victim.id}/active", data={"active": "0"})
    assert "我确认停用该用户" in asked.get_data(as_text=True)
    assert victim_client.get("/firm").status_code == 200  # not yet: the admin has not confirmed
    admin_client.post(f"/admin/users/{victim.id}/active", data={"active": "0", "confirmed": "y"})
    assert victim_client.get("/firm").status_code == 302


def test_lpr_is_saved_and_corrected(app, admin_client):
    """Saving an LPR twice for the same date corrects it rather than adding a row."""
    from portal.lpr import LprRate

    for rate, reason in (("3.10", ""), ("3.00", "按公告更正")):
        admin_client.post(
            "/admin/lpr",
            data={
                "effective_on": "2026-10-20",
                "one_year": rate,
                "over_five_years": "3.50",
                "reason": reason,
            },
        )
    with app.app_context():
        rows = db.session.scalars(select(LprRate)).all()
        assert [(str(r.one_year), str(r.over_five_years)) for r in rows] == [("3.0000", "3.5000")]
    bad = admin_client.post(
        "/admin/lpr", data={"effective_on": "2026-10-20", "one_year": "35", "over_five_years": "3"}
    )
    assert "利率应在 0% 到 20% 之间" in bad.get_data(as_text=True)
