"""Facts with provenance, against the real exchange: verified fields are marked with source,
as-of date and reference, locked on the profile form (posted values are ignored) and may be
disputed; platform staff close a dispute once, an upheld one re-verified from its source. The
tax grade has no default. The bank's view of an accepted lead marks every fact too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text

from portal.accounts.models import User
from portal.audit.models import AuditEntry
from portal.datasources.models import FactDispute, FirmFact
from portal.enums import GuaranteeType, Role
from portal.extensions import db
from portal.firms.models import Firm
from portal.leads import services as leads
from portal.matching.catalogue import invalidate_catalogue_cache
from portal.needs import services as needs
from portal.notifications.models import Notification
from tests.conftest import signed_in
from tests.datasources.identity_support import CLEAN, FIRMS, identity_exchange, registration
from tests.exchange_server import ExchangeServer
from tests.factories import InstitutionFactory, UserFactory, published_product

CLEAN_FIRM = next(firm for firm in FIRMS if firm["credit_code"] == CLEAN)
EMAIL = registration()["email"]


@pytest.fixture(scope="module")
def exchange_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExchangeServer]:
    with identity_exchange(tmp_path_factory.mktemp("profile-exchange")) as server:
        yield server


@pytest.fixture
def firm_client(app, client, exchange) -> Any:
    """The CLEAN firm registered through the form, its user signed in."""
    assert client.post("/register", data=registration()).status_code == 302
    return client


def the_firm() -> Firm:
    return db.session.scalar(select(Firm).where(Firm.credit_code == CLEAN))


def profile_post(**changes: Any) -> dict[str, Any]:
    """Everything the profile form ever had, with values the registry and bureaus contradict."""
    form = {
        "name": "随便改的名字有限公司",
        "legal_representative": "张三",
        "region_code": "350900",
        "industry_code": "13",
        "employees": "9999",
        "revenue_wan": "99999",
        "total_assets_wan": "3100",
        "established_on": "2001-01-01",
        "tax_credit_grade": "D",
        "qualifications": ["high_tech", "green"],
    }
    return form | changes


def test_the_profile_marks_each_fact_verified_or_declared(app, firm_client):
    """Verified: source, as-of date, reference and a dispute link; declared: 企业自报."""
    page = firm_client.get("/firm/profile").get_data(as_text=True)
    with app.app_context():
        tax = the_firm().verified_fields["tax_credit_grade"]
    assert "已核验的信息" in page
    assert f"税务 · 截至 {tax['as_of']} · {tax['reference']}" in page
    assert "市场监管（工商登记）" in page and "社会保险" in page
    assert page.count("对此数据有异议") >= 8
    assert "企业自报" in page
    # Locked fields are not inputs any more; declared ones are.
    assert 'name="name"' not in page and 'name="tax_credit_grade"' not in page
    assert 'name="total_assets_wan"' in page
    home = firm_client.get("/firm").get_data(as_text=True)
    assert "已核验" in home and "企业自报" in home


def test_posted_values_for_verified_fields_are_ignored(app, firm_client):
    """Only declared fields change: total assets and the 涉农/绿色 labels; a certified
    qualification cannot be ticked, nor a verified one dropped."""
    with app.app_context():
        before = the_firm()
        verified_values = {
            name: getattr(before, name)
            for name in ("name", "legal_representative", "region_code", "industry_code")
        } | {
            "employees": before.employees,
            "revenue": before.revenue,
            "established_on": before.established_on,
            "tax_credit_grade": before.tax_credit_grade,
        }
    response = firm_client.post("/firm/profile", data=profile_post())
    assert response.status_code == 302
    with app.app_context():
        firm = the_firm()
        for name, value in verified_values.items():
            assert getattr(firm, name) == value, name
        assert firm.total_assets == Decimal("31000000")
        assert set(firm.qualifications) == {"specialised", "green"}


def test_the_tax_grade_has_no_default(app, client, create):
    """Neither form chooses a grade for the firm: registration offers a blank one, and a declared
    profile without a grade is refused."""
    page = client.get("/register").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*name="tax_credit_grade".*?</select>', page, re.S).group(0)
    assert "selected" not in select_html.split("</option>", 1)[1]
    assert '<option value="">' in select_html or '<option selected value="">' in select_html
    user = create(UserFactory, role=Role.SME, firm__verified_fields={})
    own = signed_in(app, user.email)
    form = own.get("/firm/profile").get_data(as_text=True)
    assert "请选择纳税信用等级" in form
    refused = own.post("/firm/profile", data=profile_post(tax_credit_grade=""))
    assert refused.status_code == 200
    assert 'id="tax_credit_grade-error"' in refused.get_data(as_text=True)


def _dispute(client: Any, field: str, note: str = "本企业去年已补缴，评级应为 A，请核实。") -> Any:
    return client.post(f"/firm/profile/dispute?field={field}", data={"note": note})


def _close(staff: Any, dispute_id: int, outcome: str, note: str) -> Any:
    data = {"outcome": outcome, "note": note, "confirmed": "y"}
    return staff.post(f"/admin/reviews/disputes/{dispute_id}", data=data, follow_redirects=True)


def test_a_dispute_goes_to_platform_staff_and_is_closed_once(app, firm_client, create):
    """The firm disputes its verified tax grade (a note is required, one open dispute a field);
    staff see it, reject it with a note the firm is told, and cannot decide it again."""
    assert "请填写异议说明" in _dispute(firm_client, "tax_credit_grade", "").get_data(as_text=True)
    assert _dispute(firm_client, "tax_credit_grade").status_code == 302
    again = firm_client.get("/firm/profile/dispute?field=tax_credit_grade").get_data(as_text=True)
    assert "异议处理中" in again and 'name="note"' not in again
    assert "异议处理中" in firm_client.get("/firm/profile").get_data(as_text=True)
    declared = firm_client.get("/firm/profile/dispute?field=total_assets")
    assert declared.status_code == 302  # a declared field is edited, not disputed
    with app.app_context():
        dispute = db.session.scalar(select(FactDispute))
        assert (dispute.field, dispute.source, dispute.status) == (
            "tax_credit_grade",
            "tax",
            "open",
        )
        assert dispute.fact_id == the_firm().verified_fields["tax_credit_grade"]["fact_id"]
    admin = create(UserFactory, role=Role.ADMIN)
    staff = signed_in(app, admin.email)
    listing = staff.get("/admin/reviews?show=disputes").get_data(as_text=True)
    assert CLEAN_FIRM["name"] in listing and "纳税信用等级" in listing
    done = _close(staff, dispute.id, "rejected", "税务部门确认评级无误。")
    assert "异议不成立" in done.get_data(as_text=True)
    twice = _close(staff, dispute.id, "upheld", "再处理一次不应生效。")
    assert "已经处理过" in twice.get_data(as_text=True)
    with app.app_context():
        closed = db.session.get(FactDispute, dispute.id)
        assert closed.status == "rejected" and closed.decision_note == "税务部门确认评级无误。"
        told = db.session.scalars(select(Notification.title)).all()
        assert any("未获支持" in title for title in told)
        actions = set(db.session.scalars(select(AuditEntry.action)))
        assert {"fact.dispute_open", "fact.dispute_rejected"} <= actions


def test_an_upheld_dispute_fetches_the_fact_again(app, firm_client, create, exchange):
    """The bureau corrects its record; upholding the dispute re-verifies from the source and the
    profile follows. With the source down, nothing is decided."""
    _dispute(firm_client, "tax_credit_grade")
    with app.app_context():
        dispute_id = db.session.scalar(select(FactDispute.id))
        facts_before = len(db.session.scalars(select(FirmFact)).all())
    admin = create(UserFactory, role=Role.ADMIN)
    staff = signed_in(app, admin.email)
    exchange.set_switches(fail=["tax"])
    down = _close(staff, dispute_id, "upheld", "已联系税务部门更正。")
    assert "暂时无法访问" in down.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(FactDispute, dispute_id).status == "open"
    exchange.reset_switches()
    engine = exchange.app.extensions["exchange"].engine
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE tax_records SET credit_grade = 'B' WHERE credit_code = :c"), {"c": CLEAN}
        )
    try:
        done = _close(staff, dispute_id, "upheld", "已联系税务部门更正。")
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE tax_records SET credit_grade = 'A' WHERE credit_code = :c"),
                {"c": CLEAN},
            )
    assert "以下信息已更新：纳税信用等级" in done.get_data(as_text=True)
    with app.app_context():
        firm = the_firm()
        assert firm.tax_credit_grade == "B"
        assert db.session.get(FactDispute, dispute_id).status == "upheld"
        assert len(db.session.scalars(select(FirmFact)).all()) == facts_before + 1
        assert firm.verified_fields["tax_credit_grade"]["fact_id"] > 0


def test_the_bank_sees_each_fact_marked_after_accepting(app, firm_client, create):
    """An accepted lead's firm profile marks verified facts 已核验 with their source and declared
    ones (total assets) 企业自报."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == EMAIL))
        bank = InstitutionFactory()
        product = published_product(bank, "核验信用贷", "3.50")
        officer = UserFactory(role=Role.BANK_OFFICER, institution=bank)
        db.session.commit()
        invalidate_catalogue_cache()
        need = needs.submit_need(
            user,
            user.firm,
            needs.NeedInput(Decimal("500000"), 12, "采购原材料", GuaranteeType.CREDIT, None),
            "verified-profile",
        )
        [lead] = leads.apply_to_products(user, need, [product.id])
        leads.accept(officer, lead)
        lead_id, officer_email = lead.id, officer.email
    page = signed_in(app, officer_email).get(f"/bank/leads/{lead_id}").get_data(as_text=True)
    section = page.split('id="firm-title"', 1)[1]
    assert section.count("已核验") >= 8
    assert "税务 · 截至" in section
    assert "企业自报" in section  # total assets
    # The public registers are on the card once verified; tax paid stays behind authorisation.
    assert "登记状态" in section and "存续（在营）" in section
    assert "司法记录" in section
    assert "近12个月纳税额" not in section
