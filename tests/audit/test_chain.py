"""The audit log's hash chain: what the portal writes verifies, and tampering is named.

`flask --app wsgi audit verify` walks the log; it passes on entries written by the app (from
several threads at once too), and after a change made behind the app's back (as the owner, with
the append-only triggers lifted) it names the first broken entry and exits non-zero.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import JSON, Integer, String, column, func, insert, select, table, update
from sqlalchemy.exc import DBAPIError

from portal import create_app, migrate
from portal.audit import chain
from portal.audit import service as audit
from portal.audit.models import AuditEntry
from portal.db import UTCDateTime, make_engine, utcnow
from portal.enums import Role
from portal.extensions import db
from tests.conftest import Auth, _audit_log_unlocked
from tests.factories import UserFactory

THREADS = 6
# audit_log as revision 0008 left it, without the hash columns.
OLD_AUDIT_LOG = table(
    "audit_log",
    column("id", Integer),
    column("at", UTCDateTime),
    column("action", String),
    column("actor_role", String),
    column("detail", JSON),
)
ENTRIES_PER_THREAD = 20


def verify_cli(app: Flask) -> tuple[int, str]:
    """Run `audit verify`; its exit code and everything it printed."""
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    return result.exit_code, result.output


def record_entries(app: Flask, count: int, *, action: str = "auth.login") -> list[int]:
    """Record count entries, one transaction each, as the app does; their ids."""
    ids = []
    for n in range(count):
        with app.app_context():
            entry = audit.record(action, step=n, note="审计")
            db.session.commit()
            ids.append(entry.id)
    return ids


def tamper(app: Flask, *statements: object) -> None:
    """Run statements as the schema owner with the append-only triggers lifted."""
    with app.extensions["portal.db"].begin() as connection, _audit_log_unlocked(connection):
        for statement in statements:
            connection.execute(statement)


def hash_of(app: Flask, entry_id: int) -> str:
    with app.app_context():
        return db.session.scalar(select(AuditEntry.entry_hash).where(AuditEntry.id == entry_id))


@pytest.mark.real_commits
def test_entries_written_through_the_app_verify(app, client):
    """Sign-ins, sign-outs and an export through HTTP, and many recorded entries: all intact."""
    with app.app_context():
        admin = UserFactory(role=Role.ADMIN)
        db.session.commit()
        email = admin.email
    auth = Auth(client, app)
    for _ in range(3):
        auth.login(email)
        assert client.get("/admin/audit/export.csv").status_code == 200
        auth.logout()
    record_entries(app, 10)
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action)))
        total = db.session.scalar(select(func.count(AuditEntry.id)))
    assert {"auth.login", "auth.logout", "audit.export"} <= actions
    code, output = verify_cli(app)
    assert code == 0, output
    assert f"intact: {total:,} entries" in output


@pytest.mark.real_commits
def test_entries_of_one_transaction_chain_in_order(app):
    """Several entries committed together, some flushed early, link in the order recorded."""
    with app.app_context():
        first = audit.record("auth.login", n=1)
        db.session.flush()  # held back until the commit, so no lock is taken here
        assert first.entry_hash is None
        second = audit.record("auth.logout", n=2)
        db.session.scalar(select(func.count(AuditEntry.id)))  # an autoflush
        third = audit.record("auth.login", n=3)
        db.session.commit()
        assert first.id < second.id < third.id
        assert second.prev_hash == first.entry_hash and third.prev_hash == second.entry_hash
    assert verify_cli(app)[0] == 0


@pytest.mark.real_commits
def test_a_rolled_back_entry_leaves_no_trace(app):
    """An entry recorded in a transaction that rolls back is not written later by another."""
    with app.app_context():
        audit.record("auth.login", kept=False)
        db.session.flush()
        db.session.rollback()
        audit.record("auth.logout", kept=True)
        db.session.commit()
    with app.app_context():
        details = db.session.scalars(select(AuditEntry.detail)).all()
    assert details == [{"kept": True}]
    assert verify_cli(app)[0] == 0


@pytest.mark.real_commits
def test_threads_appending_at_once_do_not_fork_the_chain(app):
    """Writers in several threads at once: every entry links to the one before it."""
    record_entries(app, 1)
    barrier = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def write() -> None:
        try:
            barrier.wait()
            record_entries(app, ENTRIES_PER_THREAD, action="firm.profile_view")
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=write) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    with app.app_context():
        links = db.session.execute(
            select(AuditEntry.prev_hash, AuditEntry.entry_hash).order_by(AuditEntry.id)
        ).all()
    assert len(links) == 1 + THREADS * ENTRIES_PER_THREAD
    assert [prev for prev, _ in links] == [chain.GENESIS] + [this for _, this in links[:-1]]
    code, output = verify_cli(app)
    assert code == 0, output


def _changed(ids: list[int]) -> tuple[list[object], int, str]:
    statement = update(AuditEntry).where(AuditEntry.id == ids[2]).values(detail={"step": 99})
    return [statement], ids[2], "content changed"


def _time_changed(ids: list[int]) -> tuple[list[object], int, str]:
    statement = update(AuditEntry).where(AuditEntry.id == ids[1]).values(at=utcnow())
    return [statement], ids[1], "content changed"


def _deleted(ids: list[int]) -> tuple[list[object], int, str]:
    statement = AuditEntry.__table__.delete().where(AuditEntry.id == ids[2])
    return [statement], ids[3], "entry missing"


def _first_deleted(ids: list[int]) -> tuple[list[object], int, str]:
    statement = AuditEntry.__table__.delete().where(AuditEntry.id == ids[0])
    return [statement], ids[1], "entry missing"


def _swapped(ids: list[int]) -> tuple[list[object], int, str]:
    """Entries 2 and 4 change places (by id, the log's order)."""
    table, parking = AuditEntry.__table__, -1
    statements = [
        table.update().where(table.c.id == ids[1]).values(id=parking),
        table.update().where(table.c.id == ids[3]).values(id=ids[1]),
        table.update().where(table.c.id == parking).values(id=ids[3]),
    ]
    return statements, ids[1], "link broken"


@pytest.mark.real_commits
@pytest.mark.parametrize(
    "tampering",
    [_changed, _time_changed, _deleted, _first_deleted, _swapped],
    ids=["changed", "time changed", "deleted", "first deleted", "reordered"],
)
def test_tampering_names_the_first_broken_entry(app, tampering: Callable):
    """A change, a deletion or a reordering behind the app's back is found and named."""
    ids = record_entries(app, 5)
    statements, broken_id, kind = tampering(ids)
    tamper(app, *statements)
    code, output = verify_cli(app)
    assert code != 0
    assert f"BROKEN at entry {broken_id} (" in output
    assert f"{kind}:" in output


@pytest.mark.real_commits
def test_an_inserted_entry_is_named(app):
    """Renumbering keeps the chain; a well-hashed entry slipped between two is still found."""
    ids = record_entries(app, 5)
    table = AuditEntry.__table__
    tamper(app, table.update().values(id=table.c.id * 10))
    assert verify_cli(app)[0] == 0, "ids are not hashed: renumbering in order is harmless"
    forged = {
        "id": ids[1] * 10 + 5,
        "at": utcnow(),
        "action": "auth.login",
        "detail": {"forged": True},
        "prev_hash": hash_of(app, ids[4] * 10),  # the only hash no entry links to yet
    }
    tamper(app, insert(table).values(**forged, entry_hash=chain.entry_hash(forged)))
    code, output = verify_cli(app)
    assert code != 0
    assert f"BROKEN at entry {forged['id']} (" in output
    assert "link broken:" in output and f"links to entry {ids[4] * 10}" in output


@pytest.mark.real_commits
def test_removed_newest_entries_are_found_with_the_noted_hash(app):
    """Removing the newest entries leaves a valid chain; the last hash noted earlier shows it."""
    ids = record_entries(app, 5)
    code, output = verify_cli(app)
    noted = hash_of(app, ids[4])
    assert code == 0 and f"last entry {ids[4]}, hash {noted}." in output
    table = AuditEntry.__table__
    tamper(app, table.delete().where(table.c.id >= ids[3]))
    assert verify_cli(app)[0] == 0, "a shorter chain is still a chain"
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--expect", noted])
    assert result.exit_code != 0
    assert f"entry missing: no entry has the hash {noted}" in result.output
    still_there = hash_of(app, ids[2])
    assert (
        app.test_cli_runner().invoke(args=["audit", "verify", "--expect", still_there]).exit_code
        == 0
    )


def test_an_empty_log_verifies(app):
    """No entries: nothing to break."""
    code, output = verify_cli(app)
    assert code == 0
    assert "Audit log intact: 0 entries." in output


def test_migration_links_existing_entries_in_id_order(app, scratch_database):
    """Entries written before revision 0009 get hashes in id order; the triggers hold again."""
    url = scratch_database()
    with app.app_context():
        migrate.upgrade("0008", database_url=url)
    engine = make_engine(url)
    with engine.begin() as connection:
        for n in range(5):
            connection.execute(
                insert(OLD_AUDIT_LOG).values(
                    at=utcnow(),
                    action="auth.login",
                    actor_role="admin",
                    detail={"n": n, "文": "审计"},
                )
            )
    engine.dispose()
    with app.app_context():
        migrate.upgrade("head", database_url=url)
    migrated = create_app("testing", DATABASE_URL=url)
    try:
        code, output = verify_cli(migrated)
        assert code == 0, output
        assert "intact: 5 entries" in output
        with migrated.app_context():
            record_entries(migrated, 2)
        assert "intact: 7 entries" in verify_cli(migrated)[1]
        with pytest.raises(DBAPIError, match="append-only"):
            tamper_without_lifting(migrated)
        with migrated.app_context():
            migrate.downgrade("0008", database_url=url)
            migrate.upgrade("head", database_url=url)
        assert "intact: 7 entries" in verify_cli(migrated)[1]
    finally:
        migrated.extensions["portal.db"].dispose()


def tamper_without_lifting(app: Flask) -> None:
    """Change every entry as the owner, leaving the append-only triggers in place."""
    with app.extensions["portal.db"].begin() as connection:
        connection.execute(update(AuditEntry).values(action="changed"))
