"""The bank's system talks to the firm on an accepted lead through the API: the channel's rules."""

from __future__ import annotations

from sqlalchemy import select

from portal.accounts.models import User
from portal.audit.actions import AuditAction
from portal.audit.models import AuditEntry
from portal.channel import services as channel
from portal.channel.models import DocumentRequest
from portal.enums import DeclineReason
from portal.extensions import db
from portal.leads import services as leads
from portal.leads.models import Lead
from portal.uploads import UploadedFile
from tests.api.test_leads_api import _leads_for

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_messages_requests_and_a_download(app, api, market):
    """Write, ask for the licence, fetch the firm's upload byte for byte; the firm sees it."""
    lead_id, other_lead = _leads_for(app, market)
    base = f"/api/v1/leads/{lead_id}"
    assert api("GET", f"{base}/messages").status_code == 404  # not accepted: no channel yet
    api("POST", f"{base}/accept")
    sent = api("POST", f"{base}/messages", json={"body": "请补充近两年的财务报表"})
    assert sent.status_code == 201 and sent.get_json()["side"] == "bank"
    asked = api("POST", f"{base}/document-requests", json={"kind": "business_licence"})
    assert asked.status_code == 201
    with app.app_context():
        firm_user = db.session.get(User, market.firm_user_id)
        lead = db.session.get(Lead, lead_id)
        wanted = db.session.get(DocumentRequest, asked.get_json()["id"])
        channel.upload_document(
            firm_user, lead, wanted, UploadedFile("执照.pdf", "application/pdf", PDF)
        )
    [document] = api("GET", f"{base}/documents").get_json()
    fetched = api("GET", f"{base}/documents/{document['id']}")
    assert fetched.status_code == 200 and fetched.get_data() == PDF
    assert fetched.headers["Cache-Control"] == "private, no-store"
    with app.app_context():
        downloads = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == AuditAction.FIRM_DOCUMENT_DOWNLOAD)
        ).all()
        assert [entry.firm_id for entry in downloads] == [market.firm_id]
    assert api("GET", f"/api/v1/leads/{other_lead}/messages").status_code == 404  # bank B's
    assert api("GET", f"{base}/documents/{document['id'] + 1000}").status_code == 404


def test_the_channel_closes_with_the_lead(app, api, market):
    """Once the bank declines after looking, the channel is a 404 and takes nothing."""
    lead_id, _ = _leads_for(app, market)
    base = f"/api/v1/leads/{lead_id}"
    api("POST", f"{base}/accept")
    with app.app_context():
        officer = db.session.get(User, market.officers["A"])
        leads.decline(officer, db.session.get(Lead, lead_id), DeclineReason.AMOUNT, "")
    assert api("GET", f"{base}/messages").status_code == 404
    assert api("POST", f"{base}/messages", json={"body": "还在吗"}).status_code == 404


def test_the_pool_lists_what_the_bank_may_claim(app, api, market):
    """A pooled need the bank has an eligible product for is listed; claiming takes it."""
    from tests.leads.test_workflow import submit

    with app.app_context():
        need = submit(market, key="pool-1")
        pooled = leads.send_to_pool(db.session.get(User, market.firm_user_id), need)
        db.session.commit()
        pooled_id = pooled.id
    page = api("GET", "/api/v1/leads/pool").get_json()
    assert [item["id"] for item in page["items"]] == [pooled_id]
    claimed = api("POST", f"/api/v1/leads/{pooled_id}/claim")
    assert claimed.status_code == 200 and claimed.get_json()["status"] == "open"
    assert api("GET", "/api/v1/leads/pool").get_json()["items"] == []


def test_the_bank_sets_its_contact_under_the_pages_rules(app, api, market):
    """PUT the contact the firm calls; a bad phone is a 422 naming the field, as on the page."""
    lead_id, other_lead = _leads_for(app, market)
    base = f"/api/v1/leads/{lead_id}"
    api("POST", f"{base}/accept")
    contact = {"name": " 王经理 ", "phone": "0591-87654321"}
    for _ in range(2):  # the same contact again leaves it as it is
        put = api("PUT", f"{base}/contact", json=contact)
        assert put.status_code == 200 and put.get_json() == {
            "name": "王经理",
            "phone": "0591-87654321",
        }
    bad = api("PUT", f"{base}/contact", json={"name": "王经理", "phone": "call me"})
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"phone"}
    blank = api("PUT", f"{base}/contact", json={"name": "   ", "phone": "13800000000"})
    assert blank.status_code == 422 and set(blank.get_json()["errors"]) == {"name"}
    assert api("PUT", f"/api/v1/leads/{other_lead}/contact", json=contact).status_code == 404
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        assert (lead.contact_name, lead.contact_phone) == ("王经理", "0591-87654321")
