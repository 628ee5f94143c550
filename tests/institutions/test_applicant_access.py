"""An applicant sees its application only; bank powers begin at a sign-in with a second factor
after approval, and end (status page only) when the bank is rejected or suspended."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from flask import Flask
from sqlalchemy import select

from portal.accounts.models import User
from portal.enums import Role
from portal.extensions import db
from portal.institutions import services
from portal.institutions.models import FinancialInstitution
from portal.notifications.models import Notification
from portal.notifications.service import notify
from portal.templating import local_datetime
from tests.authz.matrix import (
    DENIED,
    MATRIX,
    answer_of,
    request,
    routes,
    unapproved_bank_answer,
    url_for_rule,
)
from tests.authz.world import build_world
from tests.conftest import signed_in
from tests.factories import PASSWORD as FACTORY_PASSWORD
from tests.factories import InstitutionFactory, UserFactory, application_documents
from tests.institutions.test_onboarding import application_form

EMAIL = "wang.lei@haixia-bank.example.com"
PASSWORD = "a long enough password"
# Pages only an approved bank reaches: its home, products, leads, reports, dashboard, exports.
BANK_PAGES = (
    "/bank/admin",
    "/bank/products/",
    "/bank/products/new",
    "/bank/leads/",
    "/bank/leads/pool",
    "/bank/loan-reports/",
    "/dashboard/",
    "/reports/",
)


def apply(client) -> int:
    """Submit the public application; returns the new institution's id."""
    response = client.post("/institutions/apply", data=application_form())
    assert response.headers["Location"].endswith("/bank/onboarding")
    return applicant(client.application).institution_id


def applicant(app: Flask) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == EMAIL))
        db.session.expunge(user)
        return user


def password_step(client) -> Any:
    return client.post("/login", data={"email": EMAIL, "password": PASSWORD})


def decide(app: Flask, institution_id: int, action: str, reason: str | None = None) -> None:
    """A government reviewer's decision, through the service the review pages call."""
    with app.test_request_context():
        reviewer = UserFactory(role=Role.GOV_STAFF)
        institution = db.session.get(FinancialInstitution, institution_id)
        if action == "approve":
            application_documents(institution_id)  # the applicant uploaded its licences
        services.decide(reviewer, institution, action, reason)


def status_codes(client, urls: tuple[str, ...]) -> dict[str, int]:
    return {url: client.get(url).status_code for url in urls}


def assert_status_page_only(client, *texts: str) -> str:
    """Home is the application's status page; every bank page is refused."""
    home = client.get("/home")
    assert home.headers["Location"].endswith("/bank/onboarding")
    page = client.get("/bank/onboarding")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in texts:
        assert text in html, text
    assert status_codes(client, BANK_PAGES) == dict.fromkeys(BANK_PAGES, 403)
    return html


def test_applying_signs_in_to_the_status_page_only(app, client):
    """The new applicant sees what it submitted, its status and what happens next; no bank menu."""
    apply(client)
    html = assert_status_page_only(
        client, "海峡农商银行股份有限公司", "待审核", "接下来", "开启两步验证", "0591-87654321"
    )
    assert "产品管理" not in html and "线索收件箱" not in html and "监管看板" not in html
    assert applicant(app).totp_secret is None


def test_applicant_calling_any_bank_url_directly_is_refused(app, client):
    """Every route the matrix opens to bank admins is refused to a pending applicant."""
    world = build_world(app)
    apply(client)
    wrong = []
    for rule, method in routes(app):
        key = (rule.endpoint, method)
        if key not in MATRIX or unapproved_bank_answer(*key, Role.BANK_ADMIN) != DENIED:
            continue
        url = url_for_rule(app, rule, world.args_for(Role.BANK_ADMIN, endpoint=rule.endpoint))
        got = answer_of(request(client, method, url), method)
        if got != DENIED:
            wrong.append(f"{method} {url}: {got}")
    assert not wrong, "\n".join(wrong)
    # Still the applicant's session: its own status page answers.
    assert client.get("/bank/onboarding").status_code == 200


def test_pending_applicant_signs_in_with_a_password_to_its_status_page(app, client):
    """Before approval no code is asked (nothing to protect yet) and no bank power is given."""
    apply(client)
    client.post("/logout")
    response = password_step(client)
    assert response.headers["Location"].endswith("/home")
    assert_status_page_only(client, "待审核")


def test_approval_ends_the_applicants_session(app, client):
    """A session begun before approval, with the password alone, is over once approved."""
    institution_id = apply(client)
    decide(app, institution_id, "approve")
    response = client.get("/bank/admin")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_approved_bank_without_a_code_this_session_has_no_bank_power(app, client):
    """Even if approval lands while a password-only session lives on, the session stays shut."""
    institution_id = apply(client)
    with app.app_context():  # approved behind the session's back (no sign-out)
        db.session.get(FinancialInstitution, institution_id).onboarding_status = "approved"
        db.session.commit()
    html = assert_status_page_only(client, "已批准", "请退出后重新登录")
    assert "进入机构管理首页</a>" not in html


def test_after_approval_sign_in_enrols_the_second_factor_then_opens_bank_admin_home(app, client):
    """Approval → password → enrolment (TOTP) → recovery codes → the bank admin home."""
    institution_id = apply(client)
    client.post("/logout")
    decide(app, institution_id, "approve", "材料齐全")
    response = password_step(client)
    assert response.headers["Location"].endswith("/login/enrol")
    # Half-way through, nothing of the bank opens.
    assert client.get("/bank/admin").headers["Location"].startswith("/login")
    assert client.get("/login/enrol").status_code == 200
    code = pyotp.TOTP(applicant(app).totp_secret).now()
    codes_page = client.post("/login/enrol", data={"code": code})
    assert codes_page.status_code == 200
    assert "请保存您的恢复码" in codes_page.get_data(as_text=True)
    assert client.get("/home").headers["Location"].endswith("/bank/admin")
    assert status_codes(client, BANK_PAGES) == dict.fromkeys(BANK_PAGES, 200)
    assert "进入机构管理首页" in client.get("/bank/onboarding").get_data(as_text=True)


def test_approval_notifies_the_applicant_with_what_to_do_next(app, client):
    """The government's approval reaches the applicant: sign in again and enrol the code."""
    institution_id = apply(client)
    decide(app, institution_id, "approve", "材料齐全")
    user_id = applicant(app).id
    with app.app_context():
        notice = db.session.scalar(select(Notification).where(Notification.user_id == user_id))
    assert notice.kind == "institution.approve"
    assert notice.title == "机构准入申请已通过"
    assert "请重新登录并按提示开启两步验证" in notice.body and "材料齐全" in notice.body


def test_rejected_applicant_sees_the_reason_and_date_on_its_status_page(app, client):
    """A rejection's reason and date are on the status page; the bank pages stay shut."""
    institution_id = apply(client)
    decide(app, institution_id, "reject", "缺少金融许可证复印件")
    with app.app_context():
        changed = db.session.get(FinancialInstitution, institution_id).status_changed_at
    html = assert_status_page_only(client, "已拒绝", "驳回理由", "缺少金融许可证复印件")
    assert local_datetime(changed) in html
    assert "修改并重新提交" in html
    client.post("/logout")
    assert password_step(client).headers["Location"].endswith("/home")
    assert_status_page_only(client, "缺少金融许可证复印件")


@pytest.fixture
def approved_bank(create) -> tuple[User, User]:
    """An approved bank's admin and officer, both enrolled in the second factor."""
    bank = create(InstitutionFactory, name="闽江银行福建分行")
    admin = create(UserFactory, role=Role.BANK_ADMIN, institution=bank)
    officer = create(UserFactory, role=Role.BANK_OFFICER, institution=bank)
    assert admin.institution_id == officer.institution_id
    return admin, officer


def test_suspended_bank_gets_the_status_page_only(app, approved_bank):
    """Suspension shuts the bank pages of signed-in users; they see the reason instead."""
    admin, officer = approved_bank
    admin_client, officer_client = signed_in(app, admin.email), signed_in(app, officer.email)
    assert admin_client.get("/bank/admin").status_code == 200
    assert officer_client.get("/bank/leads/").status_code == 200
    decide(app, admin.institution_id, "suspend", "月度报送连续三个月缺失")

    assert_status_page_only(admin_client, "已暂停", "暂停理由", "月度报送连续三个月缺失")
    home = officer_client.get("/home")
    assert home.status_code == 200, home.headers.get("Location")
    html = home.get_data(as_text=True)
    assert "已暂停" in html and "月度报送连续三个月缺失" in html
    assert status_codes(officer_client, BANK_PAGES) == dict.fromkeys(BANK_PAGES, 403)
    assert officer_client.get("/bank/onboarding").status_code == 403


def test_suspended_bank_hears_nothing_of_its_leads(app, approved_bank):
    """Lead notices sent before the suspension are hidden; the suspension notice is shown."""
    admin, officer = approved_bank
    with app.app_context():
        notify([admin.id, officer.id], "lead.new", "新线索：某制造企业 200 万元")
        db.session.commit()
    admin_client = signed_in(app, admin.email)
    assert "新线索" in admin_client.get("/notifications/").get_data(as_text=True)
    decide(app, admin.institution_id, "suspend", "月度报送连续三个月缺失")
    html = admin_client.get("/notifications/").get_data(as_text=True)
    assert "新线索" not in html
    assert "本机构已被暂停" in html
    assert "通知 (1)" in html


def test_reinstated_bank_signs_in_again_with_its_code(app, client, auth, approved_bank):
    """Reinstatement ends the suspended sessions; the next sign-in with a code opens the bank."""
    admin, _officer = approved_bank
    auth.login(admin.email)
    decide(app, admin.institution_id, "suspend", "月度报送连续三个月缺失")
    assert client.get("/bank/admin").status_code == 403
    decide(app, admin.institution_id, "reinstate")
    assert "/login" in client.get("/bank/admin").headers["Location"]
    auth.login(admin.email)
    assert client.get("/bank/admin").status_code == 200


def test_suspended_admin_enrolled_earlier_still_gives_the_code(app, client, approved_bank):
    """A user who has a second factor is always asked for it, suspended or not."""
    admin, _officer = approved_bank
    decide(app, admin.institution_id, "suspend", "月度报送连续三个月缺失")
    response = client.post("/login", data={"email": admin.email, "password": FACTORY_PASSWORD})
    assert response.headers["Location"].endswith("/login/verify")
