"""The bank and the firm on an accepted lead: contacts, messages, document requests and uploads,
downloads the firm can see, and a channel that closes with the lead."""

from __future__ import annotations

import io
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.channel.models import DocumentRequest, LeadDocument, LeadMessage, ProfileSnapshot
from portal.enums import DocumentRequestStatus, LeadStatus, Role
from portal.extensions import db
from portal.firms.models import Firm
from portal.leads.models import Lead
from portal.matching.catalogue import invalidate_catalogue_cache
from portal.notifications.models import Notification
from tests.conftest import signed_in
from tests.factories import FirmFactory, InstitutionFactory, UserFactory
from tests.factories import published_product as _product

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def world(app: Flask) -> SimpleNamespace:
    """A firm, two banks with a product each and an officer each, and a second firm."""
    with app.app_context():
        firm = FirmFactory(name="闽江精密制造有限公司", employees=60)
        owner = UserFactory(role=Role.SME, firm=firm, phone="13800000001", full_name="林晓")
        other_firm_user = UserFactory(role=Role.SME, firm=FirmFactory())
        banks = [
            InstitutionFactory(name="闽海银行福建分行", short_name="闽海银行", contact_phone=None),
            InstitutionFactory(name="山海农村商业银行", short_name="山海农商"),
        ]
        officers = [
            UserFactory(
                role=Role.BANK_OFFICER,
                institution=banks[0],
                full_name="陈经理",
                phone="0591-87654321",
            ),
            UserFactory(role=Role.BANK_OFFICER, institution=banks[1]),
        ]
        products = [_product(bank, f"{bank.short_name}经营贷", "3.80", "") for bank in banks]
        db.session.commit()
        invalidate_catalogue_cache()
        return SimpleNamespace(
            firm_id=firm.id,
            owner=owner.email,
            other_firm=other_firm_user.email,
            officers=[o.email for o in officers],
            products=[p.id for p in products],
        )


@pytest.fixture
def firm(app: Flask, world: SimpleNamespace) -> FlaskClient:
    return signed_in(app, world.owner)


@pytest.fixture
def banks(app: Flask, world: SimpleNamespace) -> list[FlaskClient]:
    return [signed_in(app, email) for email in world.officers]


def _submit(firm: FlaskClient) -> int:
    page = firm.get("/firm/needs/new").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page).group(1)
    response = firm.post(
        "/firm/needs/new",
        data={
            "amount_wan": "80",
            "term_months": "12",
            "guarantee_type": "credit",
            "purpose": "采购数控机床",
            "consent": "y",
            "idempotency_key": key,
        },
    )
    return int(response.headers["Location"].rsplit("/", 1)[1])


@pytest.fixture
def accepted(app: Flask, world, firm, banks) -> list[Lead]:
    """A need applied to both banks, each of which has accepted its lead."""
    need_id = _submit(firm)
    firm.post(f"/firm/needs/{need_id}/apply", data={"product_id": [str(p) for p in world.products]})
    with app.app_context():
        leads = db.session.scalars(
            select(Lead).where(Lead.need_id == need_id).order_by(Lead.id)
        ).all()
        by_bank = sorted(leads, key=lambda lead: lead.product_id != world.products[0])
    for bank, lead in zip(banks, by_bank, strict=True):
        bank.post(f"/bank/leads/{lead.id}/accept")
    return by_bank


def _firm_page(lead: Lead) -> str:
    return f"/firm/needs/{lead.need_id}/banks/{lead.id}"


def _bank_page(lead: Lead) -> str:
    return f"/bank/leads/{lead.id}/channel"


def _ask(app: Flask, bank: FlaskClient, lead: Lead, kind: str = "business_licence") -> int:
    """The bank asks for a document; the request's id."""
    response = bank.post(
        f"{_bank_page(lead)}/requests", data={"kind": kind, "note": "请上传最新版"}
    )
    assert response.status_code == 302
    with app.app_context():
        return db.session.scalar(
            select(func.max(DocumentRequest.id)).where(DocumentRequest.lead_id == lead.id)
        )


def _upload(firm: FlaskClient, lead: Lead, request_id: int, content: bytes, name: str):
    return firm.post(
        f"{_firm_page(lead)}/requests/{request_id}/upload",
        data={"document": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def _count(app: Flask, model, **where) -> int:
    with app.app_context():
        statement = select(func.count()).select_from(model).filter_by(**where)
        return db.session.scalar(statement)


def _reload(app: Flask, model, object_id: int):
    with app.app_context():
        return db.session.get(model, object_id)


# --- contacts -----------------------------------------------------------------------------------


def test_firm_sees_the_officer_as_contact_after_acceptance(firm, accepted):
    """Accepting names the officer and their phone as the firm's contact at the bank."""
    page = firm.get(_firm_page(accepted[0])).get_data(as_text=True)
    assert "陈经理" in page and "0591-87654321" in page
    assert 'href="tel:0591-87654321"' in page


def test_bank_sees_who_submitted_the_need_and_can_name_another_contact(firm, banks, accepted):
    """The bank sees the firm's contact; a new bank contact is what the firm then sees."""
    page = banks[0].get(_bank_page(accepted[0])).get_data(as_text=True)
    assert "林晓" in page and "13800000001" in page
    response = banks[0].post(
        f"{_bank_page(accepted[0])}/contact",
        data={"contact_name": "王客户经理", "contact_phone": "0591-88880000"},
    )
    assert response.status_code == 302
    page = firm.get(_firm_page(accepted[0])).get_data(as_text=True)
    assert "王客户经理" in page and "0591-88880000" in page


def test_a_bad_phone_number_is_refused_beside_the_field(banks, accepted):
    page = (
        banks[0]
        .post(
            f"{_bank_page(accepted[0])}/contact",
            data={"contact_name": "王", "contact_phone": "call me"},
        )
        .get_data(as_text=True)
    )
    assert "请填写有效的电话号码" in page


def test_no_channel_before_a_bank_accepts(app, world, firm, banks):
    """An unanswered lead has no one to talk to: both sides get a 404."""
    need_id = _submit(firm)
    firm.post(f"/firm/needs/{need_id}/apply", data={"product_id": [str(world.products[0])]})
    with app.app_context():
        lead = db.session.scalar(select(Lead).where(Lead.need_id == need_id))
    assert firm.get(_firm_page(lead)).status_code == 404
    assert banks[0].get(_bank_page(lead)).status_code == 404
    assert banks[0].post(f"{_bank_page(lead)}/messages", data={"body": "你好"}).status_code == 404


# --- messages -----------------------------------------------------------------------------------


def test_messages_go_both_ways_and_each_side_is_notified(app, world, firm, banks, accepted):
    lead = accepted[0]
    assert (
        banks[0]
        .post(f"{_bank_page(lead)}/messages", data={"body": "请问何时方便面谈？"})
        .status_code
        == 302
    )
    assert (
        firm.post(f"{_firm_page(lead)}/messages", data={"body": "本周三下午可以。"}).status_code
        == 302
    )
    firm_view = firm.get(_firm_page(lead)).get_data(as_text=True)
    bank_view = banks[0].get(_bank_page(lead)).get_data(as_text=True)
    for page in (firm_view, bank_view):
        assert page.index("请问何时方便面谈？") < page.index("本周三下午可以。")
    with app.app_context():
        kinds = db.session.execute(
            select(Notification.user_id, Notification.link).where(
                Notification.kind == "lead.message"
            )
        ).all()
    links = {link for _user, link in kinds}
    assert links == {_firm_page(lead), _bank_page(lead)}


def test_the_other_bank_does_not_see_the_conversation(app, firm, banks, accepted):
    """Each bank talks with the firm on its own lead; another bank's messages stay hidden."""
    banks[0].post(f"{_bank_page(accepted[0])}/messages", data={"body": "闽海银行的私信"})
    page = banks[1].get(_bank_page(accepted[1])).get_data(as_text=True)
    assert "闽海银行的私信" not in page
    assert banks[1].get(_bank_page(accepted[0])).status_code == 404
    assert (
        banks[1].post(f"{_bank_page(accepted[0])}/messages", data={"body": "x"}).status_code == 404
    )
    assert _count(app, LeadMessage) == 1


def test_an_empty_or_overlong_message_is_refused_with_a_reason(app, banks, accepted):
    page = (
        banks[0]
        .post(f"{_bank_page(accepted[0])}/messages", data={"body": "   "})
        .get_data(as_text=True)
    )
    assert "请填写留言内容" in page
    page = (
        banks[0]
        .post(f"{_bank_page(accepted[0])}/messages", data={"body": "字" * 2001})
        .get_data(as_text=True)
    )
    assert "留言不超过 2000 个字" in page
    assert _count(app, LeadMessage) == 0


def test_another_firm_gets_a_404(app, world, accepted):
    stranger = signed_in(app, world.other_firm)
    assert stranger.get(_firm_page(accepted[0])).status_code == 404
    assert (
        stranger.post(f"{_firm_page(accepted[0])}/messages", data={"body": "hi"}).status_code == 404
    )


# --- documents ----------------------------------------------------------------------------------


def test_a_requested_document_is_uploaded_downloaded_and_the_download_shown_to_the_firm(
    app, firm, banks, accepted
):
    lead = accepted[0]
    request_id = _ask(app, banks[0], lead)
    assert "营业执照" in firm.get(_firm_page(lead)).get_data(as_text=True)
    assert _upload(firm, lead, request_id, PDF, "营业执照副本.pdf").status_code == 302
    assert _reload(app, DocumentRequest, request_id).status == DocumentRequestStatus.FULFILLED
    with app.app_context():
        document = db.session.scalar(select(LeadDocument))
        stored = Path(app.config["DOCUMENT_DIR"]) / document.storage_key[:2] / document.storage_key
        assert stored.read_bytes() == PDF
        assert "营业执照" not in document.storage_key and len(document.storage_key) == 48
    download = banks[0].get(f"/bank/leads/{lead.id}/documents/{document.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "private, no-store"
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "firm.document_download")
        )
        assert entry.firm_id == document.firm_id and entry.detail["lead"] == lead.id
    viewers = firm.get("/firm/needs/viewers").get_data(as_text=True)
    assert "下载材料：营业执照" in viewers and "营业执照副本.pdf" in viewers


def test_the_firms_own_download_is_not_counted_as_a_look(app, firm, banks, accepted):
    lead = accepted[0]
    request_id = _ask(app, banks[0], lead)
    _upload(firm, lead, request_id, PDF, "a.pdf")
    with app.app_context():
        document_id = db.session.scalar(select(LeadDocument.id))
    assert firm.get(f"{_firm_page(lead)}/documents/{document_id}").data == PDF
    assert _count(app, AuditEntry, action="firm.document_download") == 0


def test_a_document_is_visible_only_to_the_bank_it_was_uploaded_for(
    app, world, firm, banks, accepted
):
    """Another bank with its own accepted lead on the same need, and another firm: 404."""
    request_id = _ask(app, banks[0], accepted[0])
    _upload(firm, accepted[0], request_id, PDF, "a.pdf")
    with app.app_context():
        document_id = db.session.scalar(select(LeadDocument.id))
    assert banks[1].get(f"/bank/leads/{accepted[1].id}/documents/{document_id}").status_code == 404
    assert banks[1].get(f"/bank/leads/{accepted[0].id}/documents/{document_id}").status_code == 404
    stranger = signed_in(app, world.other_firm)
    url = f"{_firm_page(accepted[0])}/documents/{document_id}"
    assert stranger.get(url).status_code == 404
    assert _count(app, AuditEntry, action="firm.document_download") == 0


def test_the_type_is_read_from_the_content_not_the_name(app, firm, banks, accepted):
    lead = accepted[0]
    request_id = _ask(app, banks[0], lead)
    page = _upload(firm, lead, request_id, b"<html><script>alert(1)</script>", "licence.pdf")
    assert "只接受 PDF、JPG 或 PNG 文件" in page.get_data(as_text=True)
    assert _count(app, LeadDocument) == 0
    assert _upload(firm, lead, request_id, PNG, "scan.pdf").status_code == 302
    with app.app_context():
        document = db.session.scalar(select(LeadDocument))
        assert document.content_type == "image/png"
    download = banks[0].get(f"/bank/leads/{lead.id}/documents/{document.id}")
    assert download.mimetype == "image/png"
    assert "scan.pdf.png" in download.headers["Content-Disposition"]


def test_an_oversized_or_empty_file_is_refused(app, firm, banks, accepted):
    lead = accepted[0]
    request_id = _ask(app, banks[0], lead)
    big = b"%PDF-" + b"0" * (8 * 1024 * 1024)
    assert "文件超过 8 MB" in _upload(firm, lead, request_id, big, "big.pdf").get_data(as_text=True)
    assert "上传的文件是空的" in _upload(firm, lead, request_id, b"", "e.pdf").get_data(
        as_text=True
    )
    assert _count(app, LeadDocument) == 0


def test_an_upload_whose_transaction_fails_leaves_no_file(
    app, firm, banks, accepted, monkeypatch, tmp_path
):
    lead = accepted[0]
    request_id = _ask(app, banks[0], lead)
    # A directory of this test's own: the shared one gains other workers' uploads meanwhile.
    root = tmp_path / "documents"
    monkeypatch.setitem(app.config, "DOCUMENT_DIR", str(root))

    def broken(*_args, **_kwargs):
        raise RuntimeError("the notification could not be written")

    monkeypatch.setattr("portal.channel.services._tell_bank", broken)
    with pytest.raises(RuntimeError):
        _upload(firm, lead, request_id, PDF, "a.pdf")
    assert [p for p in root.rglob("*") if p.is_file()] == []
    assert _count(app, LeadDocument) == 0
    assert _reload(app, DocumentRequest, request_id).status == DocumentRequestStatus.OPEN


def test_a_cancelled_request_takes_no_upload(app, firm, banks, accepted):
    lead = accepted[0]
    request_id = _ask(app, banks[0], lead)
    assert banks[0].post(f"{_bank_page(lead)}/requests/{request_id}/cancel").status_code == 302
    response = _upload(firm, lead, request_id, PDF, "a.pdf")
    assert response.status_code == 302
    assert "银行已撤销该材料请求" in firm.get(_firm_page(lead)).get_data(as_text=True)
    assert _count(app, LeadDocument) == 0


# --- the channel closes with the lead ----------------------------------------------------------


def test_after_the_firm_takes_another_offer_the_channel_closes(app, firm, banks, accepted):
    """Bank B's offer taken closes bank A's lead: A loses the page, the firm keeps the history
    read-only, and neither side can say or send more on it."""
    first, second = accepted
    request_id = _ask(app, banks[0], first)
    banks[0].post(f"{_bank_page(first)}/messages", data={"body": "之前的留言"})
    banks[1].post(
        f"/bank/leads/{second.id}/decide",
        data={
            "amount_wan": "70",
            "rate": "3.85",
            "term_months": "12",
            "repayment_method": "equal_instalment",
        },
    )
    firm.post(f"/firm/needs/{second.need_id}/offers/{second.id}/take", data={"confirmed": "y"})
    assert _reload(app, Lead, first.id).status == LeadStatus.CLOSED

    assert banks[0].get(_bank_page(first)).status_code == 404
    assert banks[0].post(f"{_bank_page(first)}/messages", data={"body": "x"}).status_code == 404
    assert banks[0].post(f"{_bank_page(first)}/requests", data={"kind": "other"}).status_code == 404
    assert (
        banks[0]
        .post(
            f"{_bank_page(first)}/contact",
            data={"contact_name": "a", "contact_phone": "13800000000"},
        )
        .status_code
        == 404
    )

    page = firm.get(_firm_page(first)).get_data(as_text=True)
    assert "之前的留言" in page and "该申请已结束" in page and "<textarea" not in page
    firm.post(f"{_firm_page(first)}/messages", data={"body": "还在吗？"})
    _upload(firm, first, request_id, PDF, "late.pdf")
    assert _count(app, LeadMessage) == 1
    assert _count(app, LeadDocument) == 0


def test_a_declined_lead_closes_its_channel(app, firm, banks, accepted):
    lead = accepted[0]
    banks[0].post(
        f"/bank/leads/{lead.id}/decline",
        data={"reason": "other", "note": "额度已满", "confirmed": "y"},
    )
    assert _reload(app, Lead, lead.id).status == LeadStatus.DECLINED
    assert banks[0].get(_bank_page(lead)).status_code == 404
    firm.post(f"{_firm_page(lead)}/messages", data={"body": "为什么？"})
    assert _count(app, LeadMessage) == 0


# --- the profile the bank decided on -----------------------------------------------------------


def test_the_profile_is_kept_with_the_decision_and_later_edits_are_shown_as_changes(
    app, world, banks, accepted
):
    lead = accepted[0]
    banks[0].post(
        f"/bank/leads/{lead.id}/decide",
        data={
            "amount_wan": "70",
            "rate": "3.85",
            "term_months": "12",
            "repayment_method": "equal_instalment",
        },
    )
    with app.app_context():
        snapshot = db.session.scalar(
            select(ProfileSnapshot).where(ProfileSnapshot.lead_id == lead.id)
        )
        assert snapshot.decision == "offer"
        assert snapshot.profile["values"]["employees"] == "60"
        firm = db.session.get(Firm, world.firm_id)
        firm.employees = 75
        db.session.commit()
    page = banks[0].get(f"/bank/leads/{lead.id}").get_data(as_text=True)
    snapshot_part = page[page.index("决策时的企业信息") :]
    assert "60 人" in snapshot_part and "75 人" in page[: page.index("决策时的企业信息")]
    assert "此后有 1 项变化" in page


def test_a_decline_after_looking_keeps_the_profile_too(app, banks, accepted):
    lead = accepted[0]
    banks[0].post(
        f"/bank/leads/{lead.id}/decline",
        data={"reason": "other", "note": "不符合要求", "confirmed": "y"},
    )
    with app.app_context():
        snapshot = db.session.scalar(
            select(ProfileSnapshot).where(ProfileSnapshot.lead_id == lead.id)
        )
        assert snapshot is not None and snapshot.decision == "decline"
