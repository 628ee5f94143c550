"""A bank admin sets the bank's default response deadline, working hours and notification
mailboxes: strictly validated, audited with values before and after, and used."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.enums import Role
from portal.extensions import db
from portal.institutions.models import FinancialInstitution
from portal.leads.models import Lead
from portal.matching.catalogue import invalidate_catalogue_cache
from portal.notifications.service import notify
from portal.workdays import add_business_days
from tests.conftest import signed_in
from tests.factories import UserFactory, published_product
from tests.mail.conftest import send_outbox

MAILBOX = "credit-team@bank.example.com"


def settings_form(**overrides: str) -> dict[str, str]:
    form = {
        "response_days": "3",
        "work_starts_at": "08:30",
        "work_ends_at": "17:30",
        "notify_emails": f"{MAILBOX}\nduty@bank.example.com",
    }
    form.update(overrides)
    return form


def institution(app, bank_id: int) -> FinancialInstitution:
    with app.app_context():
        return db.session.get(FinancialInstitution, bank_id)


def settings_entries(app) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "institution.settings_save")
                .order_by(AuditEntry.id)
            )
        )


def test_settings_are_saved_and_audited_with_before_and_after(app, bank, admin_client):
    page = admin_client.get("/team/settings").get_data(as_text=True)
    assert 'value="2"' in page  # the default deadline, ready to change
    saved = admin_client.post("/team/settings", data=settings_form())
    assert saved.headers["Location"].endswith("/team/settings")
    row = institution(app, bank.id)
    assert row.response_days == 3
    assert (row.work_starts_at, row.work_ends_at) == (dt.time(8, 30), dt.time(17, 30))
    assert row.notify_emails == [MAILBOX, "duty@bank.example.com"]
    [entry] = settings_entries(app)
    assert (entry.actor_id, entry.object_type, entry.object_id) == (
        bank.admin.id,
        "FinancialInstitution",
        bank.id,
    )
    assert entry.detail == {
        "response_days_before": 2,
        "response_days_after": 3,
        "work_hours_before": None,
        "work_hours_after": "08:30-17:30",
        "notify_emails_before": None,
        "notify_emails_after": f"{MAILBOX}, duty@bank.example.com",
    }

    # Changing one setting records that one; saving the same values records nothing.
    admin_client.post("/team/settings", data=settings_form(work_ends_at="18:00"))
    assert settings_entries(app)[-1].detail == {
        "work_hours_before": "08:30-17:30",
        "work_hours_after": "08:30-18:00",
    }
    admin_client.post("/team/settings", data=settings_form(work_ends_at="18:00"))
    assert len(settings_entries(app)) == 2
    # Clearing the hours and the mailboxes is a change too.
    admin_client.post(
        "/team/settings",
        data=settings_form(work_starts_at="", work_ends_at="", notify_emails=""),
    )
    row = institution(app, bank.id)
    assert (row.work_starts_at, row.work_ends_at, row.notify_emails) == (None, None, [])


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("response_days", "0", "响应时限应在 1 到 30 个工作日之间"),
        ("response_days", "31", "响应时限应在 1 到 30 个工作日之间"),
        ("response_days", "", "请填写默认响应时限"),
        ("response_days", "二", "请输入整数"),
        ("work_starts_at", "9:00", "“9:00”不是有效的时间"),
        ("work_starts_at", "24:00", "“24:00”不是有效的时间"),
        ("work_ends_at", "17:60", "“17:60”不是有效的时间"),
        ("work_ends_at", "", "请同时填写开始和结束时间，或都不填"),
        ("work_ends_at", "08:30", "结束时间应晚于开始时间"),
        ("work_ends_at", "07:00", "结束时间应晚于开始时间"),
        ("notify_emails", "team@", "“team@”不是有效的邮箱地址"),
        ("notify_emails", "a b@bank.example.com", "不是有效的邮箱地址"),
        ("notify_emails", "team@bank.example.com\nTEAM@bank.example.com", "填写了两次"),
        (
            "notify_emails",
            "\n".join(f"box{n}@bank.example.com" for n in range(6)),
            "最多填写 5 个通知邮箱",
        ),
    ],
)
def test_bad_settings_are_refused_with_a_message(app, bank, admin_client, field, value, message):
    """Each mistake is named beside its field, and nothing is saved."""
    response = admin_client.post("/team/settings", data=settings_form(**{field: value}))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert re.search(r'id="' + field + r'-error"', page), field
    row = institution(app, bank.id)
    assert (row.response_days, row.work_starts_at, row.notify_emails) == (2, None, [])
    assert settings_entries(app) == []


def test_five_mailboxes_separated_by_commas_are_accepted(app, bank, admin_client):
    """Five addresses separated by (full-width) commas are five mailboxes."""
    boxes = [f"box{n}@bank.example.com" for n in range(5)]
    admin_client.post("/team/settings", data=settings_form(notify_emails="，".join(boxes)))
    assert institution(app, bank.id).notify_emails == boxes


@pytest.fixture
def firm(app, bank) -> SimpleNamespace:
    """A firm signed in, and a published product of the bank that every firm qualifies for."""
    with app.app_context():
        bank_row = db.session.get(FinancialInstitution, bank.id)
        product = published_product(bank_row, "甲银行信用贷", "3.50")
        firm_user = UserFactory(role=Role.SME)
        db.session.commit()
        product_id, email = product.id, firm_user.email
    invalidate_catalogue_cache()  # the matcher keeps the catalogue per process
    return SimpleNamespace(client=signed_in(app, email), product_id=product_id)


def apply_for_a_loan(firm: SimpleNamespace) -> int:
    """Submit a need and apply to the bank's product through the pages; the need's id."""
    page = firm.client.get("/firm/needs/new").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page).group(1)
    need = {
        "amount_wan": "80",
        "term_months": "12",
        "guarantee_type": "credit",
        "max_rate": "",
        "purpose": "采购原材料",
        "consent": "y",
        "idempotency_key": key,
    }
    made = firm.client.post("/firm/needs/new", data=need)
    need_id = int(made.headers["Location"].rsplit("/", 1)[1])
    firm.client.post(f"/firm/needs/{need_id}/apply", data={"product_id": [str(firm.product_id)]})
    return need_id


def test_the_mailboxes_receive_new_lead_mail(app, bank, admin_client, firm, sink):
    """A firm's application reaches the bank's mailboxes as a new-lead e-mail over SMTP."""
    admin_client.post("/team/settings", data=settings_form())
    apply_for_a_loan(firm)
    send_outbox(app)
    boxes = sorted([MAILBOX, "duty@bank.example.com"])
    to_boxes = [m for m in sink.messages() if m["To"] in boxes]
    assert sorted(m["To"] for m in to_boxes) == boxes
    for message in to_boxes:
        assert "新的融资线索" in message["Subject"]
        body = message.get_content()
        assert "甲银行福建分行" in body
        assert re.search(r"http://portal\.test/bank/leads/\d+", body)
        assert "团队与机构设置" in body


def test_mailboxes_get_work_mail_of_an_approved_bank_only(app, bank, admin_client, sink):
    """A decision is not work; a suspended bank hears of no work, nor do its mailboxes."""
    admin_client.post("/team/settings", data=settings_form())
    with app.app_context():
        notify([bank.officer.id], "lead.accepted", _l("线索已受理"))
        db.session.get(FinancialInstitution, bank.id).onboarding_status = "suspended"
        notify([bank.officer.id], "lead.new", _l("新的融资线索 #%(id)s，请在时限内响应", id=7))
        db.session.commit()
    assert send_outbox(app) == 0
    with app.app_context():
        db.session.get(FinancialInstitution, bank.id).onboarding_status = "approved"
        notify([bank.officer.id], "lead.new", _l("新的融资线索 #%(id)s，请在时限内响应", id=7))
        db.session.commit()
    assert send_outbox(app) == 2


def test_the_deadline_and_hours_reach_the_firm(app, bank, admin_client, firm):
    """New leads get the bank's default deadline; the firm sees its contact hours."""
    admin_client.post("/team/settings", data=settings_form(response_days="5"))
    need_id = apply_for_a_loan(firm)
    with app.app_context():
        lead = db.session.scalar(select(Lead).where(Lead.need_id == need_id))
        assert lead.deadline_at == add_business_days(lead.created_at, 5)
    page = firm.client.get(f"/firm/needs/{need_id}").get_data(as_text=True)
    assert "联系时间：工作日 08:30–17:30" in page
