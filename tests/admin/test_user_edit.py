"""Admins correct a user's name, e-mail, phone or employer, and send a password reset link."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.audit.models import AuditEntry
from portal.enums import OnboardingStatus, Role
from portal.extensions import db
from portal.mail.models import OutboxEmail
from tests.conftest import signed_in
from tests.factories import GuarantorFactory, InstitutionFactory, UserFactory


@pytest.fixture
def admin_client(client, auth, create):
    admin = create(UserFactory, role=Role.ADMIN)
    auth.login(admin.email)
    return client


def edit(client, user: User, **changes):
    data = {
        "full_name": user.full_name,
        "email": user.email,
        "phone": user.phone or "",
        "institution_id": str(user.institution_id or 0),
        "agency_id": str(user.agency_id or 0),
        **changes,
    }
    return client.post(f"/admin/users/{user.id}/edit", data=data)


def fresh(app, user_id: int) -> User:
    with app.app_context():
        return db.session.get(User, user_id)


def test_an_officer_moves_to_another_bank_and_is_signed_out(app, admin_client, create):
    officer = create(UserFactory, role=Role.BANK_OFFICER)
    other_bank = create(InstitutionFactory)
    session = signed_in(app, officer.email)
    assert session.get("/bank").status_code == 200
    response = edit(admin_client, officer, institution_id=str(other_bank.id), full_name="林新")
    assert response.status_code == 302
    moved = fresh(app, officer.id)
    assert (moved.institution_id, moved.full_name) == (other_bank.id, "林新")
    assert session.get("/bank").status_code == 302  # the old session is gone
    with app.app_context():
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "user.update")
        ).one()
    assert entry.detail["institution_id_after"] == other_bank.id
    assert entry.detail["full_name_before"] == officer.full_name


@pytest.mark.parametrize("problem", ["rejected", "guarantor", "missing"])
def test_an_officer_never_belongs_to_a_rejected_or_wrong_kind_of_institution(
    app, admin_client, create, problem
):
    officer = create(UserFactory, role=Role.BANK_OFFICER)
    target = {
        "rejected": lambda: create(
            InstitutionFactory, onboarding_status=OnboardingStatus.REJECTED
        ).id,
        "guarantor": lambda: create(GuarantorFactory).id,
        "missing": lambda: 10**7,
    }[problem]()
    page = edit(admin_client, officer, institution_id=str(target))
    assert "所选机构或部门不存在、与角色不符或入驻申请已被驳回" in page.get_data(as_text=True)
    assert fresh(app, officer.id).institution_id == officer.institution_id


def test_a_rejected_institution_is_not_offered(app, admin_client, create):
    officer = create(UserFactory, role=Role.BANK_OFFICER)
    rejected = create(InstitutionFactory, onboarding_status=OnboardingStatus.REJECTED)
    page = admin_client.get(f"/admin/users/{officer.id}/edit").get_data(as_text=True)
    assert rejected.name not in page


def test_a_new_email_must_be_confirmed_again(app, admin_client, create):
    import datetime as dt

    user = create(UserFactory, role=Role.GOV_STAFF, email_verified_at=dt.datetime.now(dt.UTC))
    edit(admin_client, user, email="New.Address@Agency.example")
    changed = fresh(app, user.id)
    assert changed.email == "new.address@agency.example"
    assert changed.email_verified_at is None
    with app.app_context():
        sent = db.session.scalars(select(OutboxEmail.to_address)).all()
    assert sent == ["new.address@agency.example"]


def test_an_email_in_use_is_refused(app, admin_client, create):
    user, other = create(UserFactory, role=Role.SME), create(UserFactory, role=Role.SME)
    page = edit(admin_client, user, email=other.email)
    assert "该邮箱已被使用" in page.get_data(as_text=True)


def test_saving_without_changes_records_nothing(app, admin_client, create):
    user = create(UserFactory, role=Role.REGULATOR)
    edit(admin_client, user)
    with app.app_context():
        assert (
            db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.update")).all()
            == []
        )


def test_an_admin_sends_a_reset_link_without_learning_the_password(app, admin_client, create):
    user = create(UserFactory, role=Role.SME)
    assert admin_client.post(f"/admin/users/{user.id}/password-reset").status_code == 302
    with app.app_context():
        mail = db.session.scalars(select(OutboxEmail)).one()
        actions = db.session.scalars(select(AuditEntry.action)).all()
    assert mail.to_address == user.email and "/password/reset/" in mail.body
    assert "user.password_reset_sent" in actions


def test_no_reset_link_for_a_disabled_account(app, admin_client, create):
    user = create(UserFactory, role=Role.SME, is_active=False)
    admin_client.post(f"/admin/users/{user.id}/password-reset")
    with app.app_context():
        assert db.session.scalars(select(OutboxEmail)).all() == []
