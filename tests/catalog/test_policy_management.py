"""Government staff draft, check, publish and close policies of their own agency."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.catalog.models import PolicyProduct, RuleVersion
from portal.enums import Role
from portal.extensions import db
from tests.factories import FirmFactory, UserFactory


def policy_form(**overrides):
    form = {
        "slug": "green-loan-2026",
        "title": "绿色贷款贴息",
        "kind": "interest_subsidy",
        "summary": "对绿色企业的贷款给予贴息",
        "source_document": "闽金融〔2026〕3号",
        "source_date": "2026-01-10",
        "valid_from": "2026-02-01",
        "valid_to": "2027-12-31",
        "budget_wan": "5000",
        "benefit_kind": "rate_points",
        "benefit_formula": "min(rate * 0.3, 1)",
        "benefit_cap_wan": "20",
        "eligibility": '"green" in qualifications',
        "applies_to_kinds": ["credit"],
    }
    form.update(overrides)
    return form


@pytest.fixture
def gov_user(client, auth, create):
    user = create(UserFactory, role=Role.GOV_STAFF)
    auth.login(user.email)
    return user


def _policy(app, slug="green-loan-2026") -> PolicyProduct:
    with app.app_context():
        return db.session.scalar(select(PolicyProduct).where(PolicyProduct.slug == slug))


def test_draft_publish_and_close(app, client, gov_user):
    """A policy is drafted, published, then closed with a reason."""
    assert client.post("/gov/policies/new", data=policy_form()).status_code == 302
    policy = _policy(app)
    assert (policy.status, policy.budget, policy.agency_id) == (
        "draft",
        50_000_000,
        gov_user.agency_id,
    )
    client.post(f"/gov/policies/{policy.id}/publish", data={"confirmed": "y"})
    assert _policy(app).status == "published"
    refused = client.post(f"/gov/policies/{policy.id}/close", data={"reason": ""})
    assert refused.status_code == 302 and _policy(app).status == "published"
    client.post(f"/gov/policies/{policy.id}/close", data={"reason": "资金已用完", "confirmed": "y"})
    closed = _policy(app)
    assert closed.status == "archived" and closed.closed_at is not None


def test_bad_formula_and_dates_are_refused(app, client, gov_user):
    """A broken benefit formula and an end date before the start are reported; nothing saved."""
    response = client.post(
        "/gov/policies/new",
        data=policy_form(benefit_formula="rate *", valid_to="2026-01-01"),
    )
    page = response.get_data(as_text=True)
    assert "截止日期不能早于生效日期" in page
    assert "列" in page  # the rule error names the column
    assert _policy(app) is None


def test_edit_makes_new_rule_version(app, client, gov_user):
    """Editing the eligibility creates version 2 and keeps version 1."""
    client.post("/gov/policies/new", data=policy_form())
    policy = _policy(app)
    client.post(
        f"/gov/policies/{policy.id}/edit",
        data=policy_form(eligibility='"green" in qualifications and size_class != "large"'),
    )
    with app.app_context():
        versions = db.session.scalars(
            select(RuleVersion.version).where(RuleVersion.policy_id == policy.id)
        ).all()
    assert sorted(versions) == [1, 2]


def test_what_if_counts_eligible_firms(app, client, create, gov_user):
    """The what-if check counts registered firms the draft rule admits, by city."""
    create(FirmFactory, qualifications=["green"], region_code="350400")
    create(FirmFactory, qualifications=["green"], region_code="350400")
    create(FirmFactory, qualifications=[])
    client.post("/gov/policies/new", data=policy_form())
    policy = _policy(app)
    page = client.get(f"/gov/policies/{policy.id}?what_if=1").get_data(as_text=True)
    assert "在 3 家注册企业中，2 家符合条件" in page
    assert "三明市" in page


def test_other_agency_policy_is_404(app, client, auth, create, gov_user):
    """Staff of another agency cannot open or change this agency's policy."""
    client.post("/gov/policies/new", data=policy_form())
    policy = _policy(app)
    other = create(UserFactory, role=Role.GOV_STAFF)
    auth.logout()
    auth.login(other.email)
    assert client.get(f"/gov/policies/{policy.id}").status_code == 404
    assert client.post(f"/gov/policies/{policy.id}/publish").status_code == 404


@pytest.mark.parametrize("role", [Role.SME, Role.BANK_ADMIN, Role.REGULATOR])
def test_only_gov_staff_manage_policies(client, auth, create, role):
    """Other roles, regulators included, cannot draft policies."""
    user = create(UserFactory, role=role)
    auth.login(user.email)
    assert client.post("/gov/policies/new", data=policy_form()).status_code == 403


def test_what_if_leaves_out_conditions_on_the_need(app, client, create, gov_user):
    """Clauses about the amount are decided at application, so the what-if ignores them."""
    create(FirmFactory, qualifications=["green"])
    client.post(
        "/gov/policies/new",
        data=policy_form(eligibility='"green" in qualifications and amount <= 1000000'),
    )
    page = client.get(f"/gov/policies/{_policy(app).id}?what_if=1").get_data(as_text=True)
    assert "在 1 家注册企业中，1 家符合条件" in page


def test_close_waits_for_confirmation_and_keeps_the_reason(app, client, gov_user):
    """Closing without the ticked box asks again, carrying the reason; nothing changes."""
    client.post("/gov/policies/new", data=policy_form())
    policy = _policy(app)
    asked = client.post(f"/gov/policies/{policy.id}/publish").get_data(as_text=True)
    assert "我确认发布该政策" in asked and _policy(app).status == "draft"
    client.post(f"/gov/policies/{policy.id}/publish", data={"confirmed": "y"})
    asked = client.post(f"/gov/policies/{policy.id}/close", data={"reason": "资金已用完"})
    html = asked.get_data(as_text=True)
    assert "我确认关闭该政策" in html and 'name="reason" value="资金已用完"' in html
    assert _policy(app).status == "published"


def test_a_draft_is_deleted_with_its_rules_after_confirmation(app, client, gov_user):
    client.post("/gov/policies/new", data=policy_form())
    policy = _policy(app)
    page = client.post(f"/gov/policies/{policy.id}/delete")
    assert page.status_code == 200 and "我确认删除该草稿" in page.get_data(as_text=True)
    assert _policy(app) is not None  # the confirmation page alone deletes nothing
    done = client.post(f"/gov/policies/{policy.id}/delete", data={"confirmed": "y"})
    assert done.headers["Location"].endswith("/gov/policies/")
    assert _policy(app) is None
    with app.app_context():
        assert (
            db.session.scalars(select(RuleVersion).where(RuleVersion.policy_id == policy.id)).all()
            == []
        )
        from portal.audit.models import AuditEntry

        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "policy.delete")
        ).one()
    assert entry.detail["slug"] == "green-loan-2026"


@pytest.mark.parametrize("state", ["published", "closed"])
def test_a_policy_once_in_force_is_never_deleted(app, client, gov_user, state):
    client.post("/gov/policies/new", data=policy_form())
    policy = _policy(app)
    client.post(f"/gov/policies/{policy.id}/publish", data={"confirmed": "y"})
    if state == "closed":
        client.post(
            f"/gov/policies/{policy.id}/close", data={"reason": "资金已用完", "confirmed": "y"}
        )
    client.post(f"/gov/policies/{policy.id}/delete", data={"confirmed": "y"})
    assert _policy(app) is not None
