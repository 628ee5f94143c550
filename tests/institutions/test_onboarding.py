"""Bank onboarding (准入): applications, government review, and who may publish."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.audit.models import AuditEntry
from portal.enums import OnboardingStatus, Role
from portal.extensions import db
from portal.institutions import services
from portal.institutions.models import FinancialInstitution
from portal.notifications.models import Notification
from tests.conftest import csrf_token_from
from tests.factories import InstitutionFactory, UserFactory, application_documents

APPLIED = OnboardingStatus.APPLIED
APPROVED = OnboardingStatus.APPROVED
REJECTED = OnboardingStatus.REJECTED
SUSPENDED = OnboardingStatus.SUSPENDED


def application_form(**overrides: Any) -> dict[str, Any]:
    form = {
        "name": "海峡农商银行股份有限公司",
        "short_name": "海峡农商行",
        "kind": "rural",
        "licence_no": "b0001h235010001",
        "region_code": "350000",
        "contact_name": "陈敏",
        "contact_phone": "0591-87654321",
        "application_note": "拟在平台发布科技信用贷、林业贷产品。",
        "full_name": "王磊",
        "email": "Wang.Lei@haixia-bank.example.com",
        "phone": "13900000000",
        "password": "a long enough password",
        "password_confirm": "a long enough password",
        "consent": "y",
    }
    form.update(overrides)
    return form


def count(app: Any, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def institution_state(app: Any, institution_id: int) -> tuple[OnboardingStatus, str | None]:
    with app.app_context():
        institution = db.session.get(FinancialInstitution, institution_id)
        return institution.onboarding_status, institution.status_reason


@pytest.fixture
def applicant(app, create):
    """An institution waiting for review, with its bank admin (and an officer, not notified)."""
    bank = create(InstitutionFactory, onboarding_status=APPLIED, name="闽东城市商业银行")
    with app.app_context():
        application_documents(bank.id)
        db.session.commit()
    admin = create(
        UserFactory, role=Role.BANK_ADMIN, email="admin@applicant.example.com", institution=bank
    )
    officer = create(UserFactory, role=Role.BANK_OFFICER, institution=bank)
    assert officer.institution_id == admin.institution_id
    return admin


@pytest.fixture
def reviewer(create, auth):
    """A signed-in government staff member."""
    user = create(UserFactory, role=Role.GOV_STAFF, email="reviewer@gov.example.com")
    auth.login(user.email)
    return user


def decide(client, institution_id: int, action: str, reason: str = "") -> Any:
    return client.post(
        f"/gov/onboarding/{institution_id}/{action}", data={"reason": reason, "confirmed": "y"}
    )


# Applying -------------------------------------------------------------------------------------


def test_application_creates_applied_institution_and_signed_in_bank_admin(app, client):
    """Applying creates an APPLIED institution and its bank admin, signs in and shows the status."""
    response = client.post("/institutions/apply", data=application_form())
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/bank/onboarding")
    with app.app_context():
        institution = db.session.scalar(
            select(FinancialInstitution).where(
                FinancialInstitution.name == "海峡农商银行股份有限公司"
            )
        )
        assert institution.onboarding_status == APPLIED
        assert institution.licence_no == "B0001H235010001"
        assert institution.region_code == "350000"
        assert institution.application_note == "拟在平台发布科技信用贷、林业贷产品。"
        user = db.session.scalar(select(User).where(User.institution_id == institution.id))
        assert user.role == Role.BANK_ADMIN
        assert user.email == "wang.lei@haixia-bank.example.com"
        assert user.password_hash != "a long enough password"
        actions = db.session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.object_type == "FinancialInstitution",
                AuditEntry.object_id == institution.id,
            )
        ).all()
        assert actions == ["institution.apply"]
    page = client.get("/bank/onboarding")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "海峡农商银行股份有限公司" in html
    assert "待审核" in html
    assert "审核通过后即可发布产品" in html


def test_application_form_labels_every_field(client):
    """Every input of the application form has a label, and the province itself is selectable."""
    html = client.get("/institutions/apply").get_data(as_text=True)
    for name in application_form():
        assert f'for="{name}"' in html, name
    assert 'value="350000"' in html
    assert "金融许可证编号" in html


def test_duplicate_name_licence_and_email_are_refused_and_nothing_saved(app, client, create):
    """A name, licence number or email already in use gets its own message; nothing is written."""
    create(InstitutionFactory, name="海峡农商银行股份有限公司", licence_no="B0001H235010001")
    create(UserFactory, email="wang.lei@haixia-bank.example.com")
    institutions, users = count(app, FinancialInstitution), count(app, User)
    response = client.post("/institutions/apply", data=application_form())
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "该机构名称已提交过申请或已入驻" in html
    assert "该金融许可证编号已被其他机构使用" in html
    assert "该邮箱已注册" in html
    assert (count(app, FinancialInstitution), count(app, User)) == (institutions, users)


def test_duplicate_email_alone_is_refused(app, client):
    """A second application with a new name but a used email saves nothing."""
    client.post("/institutions/apply", data=application_form())
    client.post("/logout")
    response = client.post(
        "/institutions/apply",
        data=application_form(name="另一家银行福建分行", licence_no=""),
    )
    assert "该邮箱已注册" in response.get_data(as_text=True)
    assert count(app, FinancialInstitution) == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "请填写机构全称"),
        ("kind", "", "请选择机构类型"),
        ("region_code", "110000", "不是有效的选择"),
        ("contact_phone", "call me", "请填写有效的电话号码"),
        ("licence_no", "许可证", "金融许可证编号应为 4 到 40 位"),
        ("password_confirm", "something else", "两次输入的密码不一致"),
    ],
)
def test_invalid_application_fields_say_what_to_fix(app, client, field, value, message):
    """Each invalid field gets a message and no institution is written."""
    response = client.post("/institutions/apply", data=application_form(**{field: value}))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(app, FinancialInstitution) == 0


def test_signed_in_user_is_not_offered_the_application(client, auth, create):
    """A signed-in user is sent home instead of creating a second account."""
    user = create(UserFactory, role=Role.SME)
    auth.login(user.email)
    response = client.get("/institutions/apply")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/home")


def test_csrf_protects_the_application_when_enabled(app, client, monkeypatch):
    """With CSRF on, an application without the token is refused; with it, accepted."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post("/institutions/apply", data=application_form()).status_code == 400
    assert count(app, FinancialInstitution) == 0
    token = csrf_token_from(client.get("/institutions/apply").get_data(as_text=True))
    accepted = client.post("/institutions/apply", data=application_form(csrf_token=token))
    assert accepted.status_code == 302


# The applicant's own page ---------------------------------------------------------------------


def test_rejected_application_can_be_edited_and_resubmitted(app, client, auth, applicant):
    """Editing a rejected application saves the fields and puts it back to APPLIED."""
    with app.app_context():
        institution = db.session.get(FinancialInstitution, applicant.institution_id)
        institution.onboarding_status = REJECTED
        institution.status_reason = "缺少金融许可证编号"
        db.session.commit()
    auth.login(applicant.email)
    html = client.get("/bank/onboarding").get_data(as_text=True)
    assert "缺少金融许可证编号" in html
    assert "修改并重新提交" in html
    response = client.post(
        "/bank/onboarding",
        data={
            "name": "闽东城市商业银行",
            "short_name": "闽东城商行",
            "kind": "city_commercial",
            "licence_no": "B1234H235090001",
            "region_code": "350900",
            "contact_name": "郑芳",
            "contact_phone": "0593-2888888",
            "application_note": "已补充许可证编号。",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        institution = db.session.get(FinancialInstitution, applicant.institution_id)
        assert institution.onboarding_status == APPLIED
        assert institution.status_reason is None
        assert institution.status_changed_at is not None
        assert institution.licence_no == "B1234H235090001"
        assert institution.region_code == "350900"


def test_approved_institution_cannot_edit_its_application(app, client, auth, create):
    """An approved institution sees its status read-only; a POST changes nothing."""
    admin = create(UserFactory, role=Role.BANK_ADMIN, institution__name="已准入银行")
    auth.login(admin.email)
    html = client.get("/bank/onboarding").get_data(as_text=True)
    assert "已批准" in html
    assert "保存修改" not in html
    response = client.post(
        "/bank/onboarding", data={"name": "改名银行", "short_name": "改名", "kind": "other"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(FinancialInstitution, admin.institution_id).name == "已准入银行"


def test_bank_admin_sees_only_its_own_application(client, auth, create, applicant):
    """/bank/onboarding shows the admin's own institution; review pages of others are refused."""
    other = create(UserFactory, role=Role.BANK_ADMIN, institution__name="另一家银行")
    auth.login(other.email)
    html = client.get("/bank/onboarding").get_data(as_text=True)
    assert "另一家银行" in html
    assert "闽东城市商业银行" not in html
    assert client.get(f"/gov/onboarding/{applicant.institution_id}").status_code == 403


def test_bank_officer_has_no_onboarding_page(client, auth, create):
    """Only the bank admin manages the application; an officer is refused."""
    officer = create(UserFactory, role=Role.BANK_OFFICER)
    auth.login(officer.email)
    assert client.get("/bank/onboarding").status_code == 403


# Government review ----------------------------------------------------------------------------


def test_review_list_shows_pending_applications_by_default(client, create, applicant, reviewer):
    """The review list defaults to applications waiting for review and filters by status."""
    create(InstitutionFactory, name="早已准入的银行")
    html = client.get("/gov/onboarding").get_data(as_text=True)
    assert "闽东城市商业银行" in html
    assert f"/gov/onboarding/{applicant.institution_id}" in html
    assert "早已准入的银行" not in html
    approved = client.get("/gov/onboarding?status=approved").get_data(as_text=True)
    assert "早已准入的银行" in approved
    assert "闽东城市商业银行" not in approved
    everything = client.get("/gov/onboarding?status=").get_data(as_text=True)
    assert "早已准入的银行" in everything
    assert "闽东城市商业银行" in everything


def test_review_list_empty_state_says_what_to_do(client, reviewer):
    """With nothing to review, the list says so and how to see decided institutions."""
    html = client.get("/gov/onboarding").get_data(as_text=True)
    assert "目前没有待审核的准入申请" in html


def test_approve_sets_status_notifies_admin_and_audits(app, client, applicant, reviewer):
    """Approving sets APPROVED, notifies each bank admin (not officers) and audits the decision."""
    institution_id = applicant.institution_id
    assert client.get(f"/gov/onboarding/{institution_id}/approve").status_code == 200
    response = decide(client, institution_id, "approve", "材料齐全")
    assert response.status_code == 302
    assert institution_state(app, institution_id) == (APPROVED, "材料齐全")
    with app.app_context():
        notes = db.session.scalars(select(Notification)).all()
        assert [n.user_id for n in notes] == [applicant.id]
        assert notes[0].kind == "institution.approve"
        assert notes[0].link == "/bank/onboarding"
        assert "材料齐全" in notes[0].body
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "institution.approve")
        )
        assert entry.actor_id == reviewer.id
        assert entry.object_type == "FinancialInstitution"
        assert entry.object_id == institution_id
        assert entry.detail["reason"] == "材料齐全"
        assert db.session.get(FinancialInstitution, institution_id).status_changed_at is not None
    detail = client.get(f"/gov/onboarding/{institution_id}").get_data(as_text=True)
    assert "批准入驻" in detail
    assert reviewer.full_name in detail


def test_reject_requires_a_reason_and_records_it(app, client, applicant, reviewer):
    """Rejecting without a reason (or with 3 characters) is refused; with one it is recorded."""
    institution_id = applicant.institution_id
    for reason in ("", "  太短 "):
        response = decide(client, institution_id, "reject", reason)
        assert response.status_code == 200
        assert "请填写理由，至少 4 个字" in response.get_data(as_text=True)
    too_long = decide(client, institution_id, "reject", "长" * 501)
    assert "理由不能超过 500 个字" in too_long.get_data(as_text=True)
    assert institution_state(app, institution_id) == (APPLIED, None)

    decide(client, institution_id, "reject", "缺少金融许可证编号")
    assert institution_state(app, institution_id) == (REJECTED, "缺少金融许可证编号")
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "institution.reject")
        )
        assert entry.detail["reason"] == "缺少金融许可证编号"
        assert db.session.scalar(select(func.count(Notification.id))) == 1
    detail = client.get(f"/gov/onboarding/{institution_id}").get_data(as_text=True)
    assert "缺少金融许可证编号" in detail


def test_suspend_and_reinstate(app, client, create, reviewer):
    """An approved institution can be suspended (with a reason) and reinstated."""
    admin = create(UserFactory, role=Role.BANK_ADMIN)
    institution_id = admin.institution_id
    assert "请填写理由" in decide(client, institution_id, "suspend").get_data(as_text=True)
    assert institution_state(app, institution_id)[0] == APPROVED

    decide(client, institution_id, "suspend", "月度报送连续三个月缺失")
    assert institution_state(app, institution_id) == (SUSPENDED, "月度报送连续三个月缺失")
    decide(client, institution_id, "reinstate")
    assert institution_state(app, institution_id) == (APPROVED, None)
    with app.app_context():
        kinds = db.session.scalars(select(Notification.kind).order_by(Notification.id)).all()
        assert kinds == ["institution.suspend", "institution.reinstate"]
        actions = db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_id == institution_id)
            .order_by(AuditEntry.id)
        ).all()
        assert actions == ["institution.suspend", "institution.reinstate"]


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (APPLIED, "suspend"),
        (APPLIED, "reinstate"),
        (APPROVED, "approve"),
        (APPROVED, "reject"),
        (APPROVED, "reinstate"),
        (REJECTED, "approve"),
        (REJECTED, "suspend"),
        (SUSPENDED, "approve"),
        (SUSPENDED, "reject"),
        (SUSPENDED, "suspend"),
    ],
)
def test_invalid_transitions_are_refused_without_change(
    app, client, create, reviewer, status, action
):
    """A decision that does not apply to the current status flashes an error and changes nothing."""
    institution = create(InstitutionFactory, onboarding_status=status, status_reason="原因")
    response = decide(client, institution.id, action, "一个足够长的理由")
    assert response.status_code == 302
    assert institution_state(app, institution.id) == (status, "原因")
    assert count(app, Notification) == 0
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).where(AuditEntry.action == f"institution.{action}")
            )
            == 0
        )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "不能进行此操作" in page


def test_service_raises_invalid_transition(app, create):
    """The service itself refuses a transition that does not apply, whoever calls it."""
    with app.app_context():
        staff = UserFactory(role=Role.GOV_STAFF)
        institution = InstitutionFactory(onboarding_status=REJECTED)
        with pytest.raises(services.InvalidTransition):
            services.approve(staff, institution)
        with pytest.raises(services.InvalidReason):
            services.reject(staff, InstitutionFactory(onboarding_status=APPLIED), "短")


def test_gov_detail_for_missing_institution_is_404(client, reviewer):
    """An id that does not exist is a 404 on the detail and action pages."""
    assert client.get("/gov/onboarding/999999").status_code == 404
    assert decide(client, 999999, "approve").status_code == 404


# Who may review -------------------------------------------------------------------------------

REVIEW_PAGES = ("/gov/onboarding", "/gov/onboarding/{id}", "/gov/onboarding/{id}/approve")


@pytest.mark.parametrize(
    "role", [Role.SME, Role.BANK_OFFICER, Role.BANK_ADMIN, Role.REGULATOR, Role.ADMIN]
)
def test_only_gov_staff_can_review(client, auth, create, applicant, role):
    """Every role but government staff gets 403 on the review pages."""
    user = create(UserFactory, role=role)
    auth.login(user.email)
    for url in REVIEW_PAGES:
        assert client.get(url.format(id=applicant.institution_id)).status_code == 403, url


def test_anonymous_visitors_are_sent_to_login(client, applicant):
    """Review pages and the applicant page ask an anonymous visitor to sign in."""
    urls = [u.format(id=applicant.institution_id) for u in REVIEW_PAGES] + ["/bank/onboarding"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("action", ["approve", "reject", "suspend", "reinstate"])
def test_regulator_cannot_change_state(app, client, auth, create, applicant, action):
    """A regulator's POST to any decision is 403 and changes nothing."""
    regulator = create(UserFactory, role=Role.REGULATOR)
    auth.login(regulator.email)
    response = decide(client, applicant.institution_id, action, "监管人员试图操作")
    assert response.status_code == 403
    assert institution_state(app, applicant.institution_id) == (APPLIED, None)


def test_csrf_protects_decisions_when_enabled(app, client, applicant, reviewer, monkeypatch):
    """With CSRF on, a decision without the token is refused; the confirm page's token works."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    url = f"/gov/onboarding/{applicant.institution_id}/approve"
    assert client.post(url, data={"reason": ""}).status_code == 400
    assert institution_state(app, applicant.institution_id)[0] == APPLIED
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    confirmed = {"reason": "", "csrf_token": token, "confirmed": "y"}
    assert client.post(url, data=confirmed).status_code == 302
    assert institution_state(app, applicant.institution_id)[0] == APPROVED


# Publishing and the catalogue -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (APPLIED, "本机构尚未通过准入审核，暂不能发布产品"),
        (REJECTED, "本机构尚未通过准入审核，暂不能发布产品"),
        (SUSPENDED, "本机构已被暂停，暂不能发布产品"),
    ],
)
def test_ensure_can_publish_refuses_unapproved(app, status, message):
    """Applied, rejected and suspended institutions may not publish, with a Chinese reason."""
    with app.test_request_context():
        with pytest.raises(services.NotApproved) as error:
            services.ensure_can_publish(FinancialInstitution(onboarding_status=status))
        assert str(error.value) == message


def test_ensure_can_publish_passes_for_approved(app):
    """An approved institution may publish."""
    with app.app_context():
        services.ensure_can_publish(FinancialInstitution(onboarding_status=APPROVED))


def test_catalogue_clause_keeps_only_approved_institutions(app, create):
    """visible_institution_ids_clause() selects approved institutions, hiding suspended ones."""
    ids = {
        status: create(InstitutionFactory, onboarding_status=status).id
        for status in OnboardingStatus
    }
    with app.app_context():
        visible = set(
            db.session.scalars(
                select(FinancialInstitution.id).where(services.visible_institution_ids_clause())
            )
        )
    assert ids[APPROVED] in visible
    assert not visible & {ids[APPLIED], ids[REJECTED], ids[SUSPENDED]}


def test_decision_needs_the_confirmation_box(app, client, applicant, reviewer):
    """A decision posted without the ticked box is refused beside the box; nothing changes."""
    url = f"/gov/onboarding/{applicant.institution_id}/approve"
    html = client.post(url, data={"reason": ""}).get_data(as_text=True)
    assert "请先勾选“我确认”一项再提交" in html and "我确认批准该机构准入" in html
    assert institution_state(app, applicant.institution_id)[0] == APPLIED
