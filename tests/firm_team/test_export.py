"""A firm's owner downloads everything the portal holds about the firm, without secrets."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.datasources.models import FirmFact
from portal.datasources.sources import Source
from portal.extensions import db
from portal.firm_team import export
from tests.firm_team.conftest import PURPOSE

SECTIONS = {
    "exported_at",
    "firm",
    "users",
    "consents",
    "verified_facts",
    "fact_disputes",
    "identity_letters",
    "data_authorisations",
    "data_queries",
    "financing_needs",
    "match_results",
    "leads_and_offers",
    "loans",
    "subsidy_grants",
    "audit_entries",
}


def add_fact(app, firm_id: int) -> None:
    with app.app_context():
        db.session.add(
            FirmFact(
                firm_id=firm_id,
                source=Source.TAX,
                found=True,
                as_of=dt.date(2026, 11, 30),
                reference="税务-2026-0042",
                data={"tax_credit_grade": "A"},
            )
        )
        db.session.commit()


def download(client) -> dict:
    response = client.get("/firm/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    return json.loads(response.get_data(as_text=True))


def test_the_export_holds_every_section_of_the_firm(app, firm, owner_client):
    """The firm, its facts with provenance, needs, users and consents are all there."""
    add_fact(app, firm.id)
    document = download(owner_client)
    assert set(document) == SECTIONS
    assert document["firm"]["name"] == "闽江精密机械有限公司"
    [fact] = document["verified_facts"]["rows"]
    provenance = (fact["source"], fact["reference"], fact["as_of"])
    assert provenance == ("tax", "税务-2026-0042", "2026-11-30")
    [need] = document["financing_needs"]["rows"]
    assert need["purpose"] == PURPOSE and need["amount"] == "800000.00"
    emails = {row["email"] for row in document["users"]["rows"]}
    assert emails == {firm.owner.email, firm.member.email}
    consenting = {row["user_id"] for row in document["consents"]["rows"]}
    assert consenting == {firm.owner.id, firm.member.id}
    assert not any(section["truncated"] for section in _sections(document))


def test_the_export_holds_no_secrets_and_nothing_of_another_firm(app, firm, owner_client):
    """No password hash, second-factor secret or session token; no other firm's rows."""
    text = owner_client.get("/firm/export").get_data(as_text=True)
    for secret in ("password_hash", "totp_secret", "session_token", "$argon2", "pbkdf2"):
        assert secret not in text
    assert firm.other_owner.email not in text and firm.other_member.email not in text


def test_the_export_is_audited_and_then_part_of_the_next_one(app, firm, owner_client):
    """Each download leaves an audit entry about the firm, which the next download lists."""
    download(owner_client)
    with app.app_context():
        [entry] = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "firm.data_export")
        ).all()
        assert (entry.actor_id, entry.firm_id) == (firm.owner.id, firm.id)
    again = download(owner_client)
    actions = {row["action"] for row in again["audit_entries"]["rows"]}
    assert "firm.data_export" in actions
    assert all(row["firm_id"] == firm.id for row in again["audit_entries"]["rows"])


def test_a_long_section_is_cut_and_says_so(app, firm, owner_client, monkeypatch):
    """Each section holds at most MAX_ROWS rows and is marked truncated when cut."""
    monkeypatch.setattr(export, "MAX_ROWS", 1)
    document = download(owner_client)
    assert len(document["users"]["rows"]) == 1 and document["users"]["truncated"] is True


def _sections(document: dict) -> list[dict]:
    return [value for value in document.values() if isinstance(value, dict) and "rows" in value]
