"""The audit log is append-only: the database refuses changes, and no route offers one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from portal.audit.models import AuditEntry
from portal.extensions import db
from tests.conftest import _empty_all_tables, is_postgres

PORTAL = Path(__file__).resolve().parents[2] / "portal"
REFUSED = "append-only"


@pytest.fixture
def entry_id(app: Flask) -> int:
    with app.app_context():
        entry = AuditEntry(action="firm.profile_view", detail={"lead": 1})
        db.session.add(entry)
        db.session.commit()
        return entry.id


def _refused(app: Flask, change) -> str:
    """Run a change in its own app context; return the database's refusal message."""
    with app.app_context():
        with pytest.raises(DBAPIError) as refusal:
            change()
            db.session.flush()
        db.session.rollback()
    return str(refusal.value)


def _action(app: Flask, entry_id: int) -> str | None:
    with app.app_context():
        return db.session.scalar(select(AuditEntry.action).where(AuditEntry.id == entry_id))


def test_orm_update_is_refused(app, entry_id):
    """Changing a loaded entry and flushing fails in the database."""

    def change():
        db.session.get(AuditEntry, entry_id).action = "auth.login"

    assert REFUSED in _refused(app, change)
    assert _action(app, entry_id) == "firm.profile_view"


def test_orm_delete_is_refused(app, entry_id):
    """Deleting a loaded entry and flushing fails in the database."""
    assert REFUSED in _refused(app, lambda: db.session.delete(db.session.get(AuditEntry, entry_id)))
    assert _action(app, entry_id) == "firm.profile_view"


def test_bulk_update_and_delete_are_refused(app, entry_id):
    """UPDATE and DELETE statements, with or without a WHERE clause, fail."""
    statements = [
        update(AuditEntry).where(AuditEntry.id == entry_id).values(remote_addr="10.0.0.1"),
        update(AuditEntry).values(detail={}),
        delete(AuditEntry).where(AuditEntry.id == entry_id),
        delete(AuditEntry),
        text("DELETE FROM audit_log"),
    ]
    for statement in statements:
        assert REFUSED in _refused(app, lambda s=statement: db.session.execute(s))
    assert _action(app, entry_id) == "firm.profile_view"


def test_truncate_is_refused_on_postgres(app, entry_id):
    """TRUNCATE fires no row trigger on PostgreSQL, so a statement trigger refuses it."""
    if not is_postgres(app):
        pytest.skip("SQLite has no TRUNCATE")
    assert REFUSED in _refused(app, lambda: db.session.execute(text("TRUNCATE audit_log")))
    assert _action(app, entry_id) == "firm.profile_view"


def test_inserting_still_works(app):
    """The triggers refuse changes only: recording goes on."""
    with app.app_context():
        before = db.session.scalar(select(func.count(AuditEntry.id)))
        db.session.add(AuditEntry(action="auth.logout"))
        db.session.commit()
        assert db.session.scalar(select(func.count(AuditEntry.id))) == before + 1


@pytest.mark.real_commits
def test_test_cleanup_empties_the_log_and_keeps_the_triggers(app):
    """The suite's cleanup of committed rows lifts the triggers for itself only."""
    with app.app_context():
        db.session.add(AuditEntry(action="auth.login"))
        db.session.commit()
    _empty_all_tables(app.extensions["portal.db"])
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEntry.id))) == 0
        db.session.add(AuditEntry(action="auth.login"))
        db.session.commit()
        with pytest.raises(DBAPIError, match=REFUSED):
            db.session.execute(delete(AuditEntry))
        db.session.rollback()


def test_no_route_changes_audit_entries(app, client, auth, create):
    """The audit pages answer GET only; posting, putting or deleting there is refused."""
    from portal.enums import Role
    from tests.factories import UserFactory

    audit_rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("audit.")]
    assert audit_rules, "the audit search is registered"
    for rule in audit_rules:
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
    auth.login(create(UserFactory, role=Role.ADMIN).email)
    for method in (client.post, client.put, client.patch, client.delete):
        assert method("/admin/audit/").status_code == 405


def test_no_code_updates_or_deletes_audit_entries():
    """No module of the application writes an UPDATE or DELETE of the audit log."""
    pattern = re.compile(
        r"(update|delete)\(\s*AuditEntry|(UPDATE|DELETE\s+FROM|TRUNCATE)\s+audit_log", re.I
    )
    offenders = [
        str(path.relative_to(PORTAL))
        for path in PORTAL.rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
