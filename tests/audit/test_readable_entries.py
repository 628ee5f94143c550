"""Entries read as words on the admin home and the audit log: labels, names, "key: value"."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from portal.audit import labels
from portal.audit.models import AuditEntry
from portal.enums import Role
from portal.extensions import db
from tests.factories import UserFactory

LONG_REASON = "额度" * 200


@pytest.fixture
def entries(app):
    """An officer's accepted lead with a long reason, a contact change recorded as a dict's repr."""
    with app.app_context():
        officer = UserFactory(
            role=Role.BANK_OFFICER, email="chen.officer@bank.example.com", full_name="陈晓明"
        )
        admin = UserFactory(role=Role.ADMIN, email="audit.admin@example.com")
        at = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)
        db.session.add_all(
            [
                AuditEntry(
                    at=at,
                    action="lead.accept",
                    actor_id=officer.id,
                    actor_role="bank_officer",
                    object_type="Lead",
                    object_id=41,
                    detail={"lead": 41, "reason": LONG_REASON, "flagged": True},
                ),
                AuditEntry(
                    at=at + dt.timedelta(minutes=1),
                    action="lead.contact_set",
                    actor_id=officer.id,
                    actor_role="bank_officer",
                    object_type="Lead",
                    object_id=41,
                    # How audit.record stores a dict (its str): read back as pairs.
                    detail={"after": str({"name": "王经理", "phone": "13800000000"})},
                ),
            ]
        )
        db.session.commit()
        return {"admin": admin.email}


def _table(page: str) -> str:
    """The entries' rows only (the filter form's options carry the codes as values)."""
    bodies = re.findall(r"<tbody>(.*?)</tbody>", page, re.S)
    assert bodies
    return "".join(bodies)


@pytest.mark.parametrize("url", ["/admin/", "/admin/audit/"])
def test_entries_read_as_labels_names_and_pairs(client, auth, entries, url):
    """No action code, no JSON: the label, the actor's name, and labelled "key: value" pairs."""
    auth.login(entries["admin"])
    response = client.get(url)
    assert response.status_code == 200
    rows = _table(response.get_data(as_text=True))
    assert "受理线索" in rows and "设置线索联系人" in rows
    assert "lead.accept" not in rows and "lead.contact_set" not in rows
    assert "陈晓明" in rows
    assert "{" not in rows and "}" not in rows
    assert "<dt>线索:</dt><dd>41</dd>" in rows
    assert "<dt>flagged:</dt><dd>是</dd>" in rows  # an unknown key by its own name
    assert "<dt>修改后:</dt><dd>name: 王经理；phone: 13800000000</dd>" in rows
    assert LONG_REASON not in rows and "<dt>原因:</dt><dd>额度额度" in rows


def test_detail_is_bounded(app):
    """Long values are cut and a detail with many keys shows a bounded number of pairs."""
    with app.test_request_context():
        items = labels.detail_items({f"k{n:02}": "x" * 500 for n in range(40)})
    assert len(items) <= 12
    assert all(len(text) <= labels.DETAIL_MAX_CHARS for _, text in items)
