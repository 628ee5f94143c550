"""The application runs as a PostgreSQL role that owns nothing and cannot rewrite the audit log.

A scratch database migrated by its owner (the tests' connection), a login role granted with
`flask --app wsgi db grant-app-role`, and the portal run with DATABASE_URL = that role: it
works, while the role cannot lift the audit log's triggers, drop or empty the table, or change
an entry.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from portal import create_app, migrate
from portal.audit.models import AuditEntry
from portal.db import make_engine
from portal.enums import Role
from portal.extensions import db
from tests.conftest import Auth
from tests.factories import UserFactory

pytestmark = pytest.mark.postgres_only

# What a role without ownership may not do to the audit log, and which privilege stops it.
FORBIDDEN = [
    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
    "ALTER TABLE audit_log DISABLE TRIGGER USER",
    "DROP TRIGGER audit_log_append_only ON audit_log",
    "DROP TRIGGER audit_log_no_truncate ON audit_log",
    "ALTER TABLE audit_log DROP CONSTRAINT uq_audit_log_prev_hash",
    "DROP TABLE audit_log",
    "TRUNCATE audit_log",
    "UPDATE audit_log SET action = 'changed'",
    "DELETE FROM audit_log",
    "DROP FUNCTION audit_log_refuse_change() CASCADE",
    "CREATE TABLE intruder (id integer)",
]


@dataclass
class Deployment:
    owner_url: str
    app_url: str
    role: str

    def app(self) -> Flask:
        """The portal as production runs it: the app's role, and the owner for `db` commands."""
        return create_app(
            "testing", DATABASE_URL=self.app_url, MIGRATION_DATABASE_URL=self.owner_url
        )

    def cli(self, *args: str) -> tuple[int, str]:
        application = self.app()
        try:
            result = application.test_cli_runner().invoke(args=list(args))
        finally:
            application.extensions["portal.db"].dispose()
        return result.exit_code, result.output


def run(url: str, statement: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture
def deployment(app, scratch_database, database_url) -> Iterator[Deployment]:
    """A migrated database, its owner's URL, and a login role granted the app's privileges."""
    owner_url = scratch_database()
    with app.app_context():
        migrate.upgrade("head", database_url=owner_url)
    role, password = f"portal_app_{secrets.token_hex(4)}", secrets.token_hex(16)
    run(owner_url, f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    app_url = make_url(owner_url).set(username=role, password=password)
    found = Deployment(owner_url, app_url.render_as_string(hide_password=False), role)
    try:
        code, output = found.cli("db", "grant-app-role")
        assert code == 0, output
        assert role in output
        yield found
    finally:
        # The scratch database goes first (with the role's privileges in it), then the role.
        scratch_database_drop = make_engine(database_url, isolation_level="AUTOCOMMIT")
        with scratch_database_drop.connect() as connection:
            name = make_url(owner_url).database
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
        scratch_database_drop.dispose()


def refusal(url: str, statement: str) -> str:
    """The database's refusal of statement when run at url (the test fails if it succeeds)."""
    with pytest.raises(DBAPIError) as refused:
        run(url, statement)
    return str(refused.value.orig)


def sign_in_and_work(application: Flask) -> None:
    """An admin signs in, searches and exports the log, signs out: every step audited."""
    with application.app_context():
        email = UserFactory(role=Role.ADMIN).email
        db.session.commit()
    client = application.test_client()
    auth = Auth(client, application)
    assert auth.login(email).status_code == 302
    assert client.get("/admin/audit/").status_code == 200
    assert client.get("/admin/audit/export.csv").status_code == 200
    auth.logout()


def test_the_app_role_cannot_touch_the_audit_log(deployment):
    """Each statement is refused for want of ownership or privilege, not by a trigger."""
    for statement in FORBIDDEN:
        message = refusal(deployment.app_url, statement)
        assert "must be owner" in message or "permission denied" in message, (statement, message)
        assert "append-only" not in message


def test_the_portal_works_as_the_app_role(deployment):
    """Sign-in, the audit search and export run as the app's role; the log it wrote verifies."""
    application = deployment.app()
    try:
        sign_in_and_work(application)
        with application.app_context():
            actions = set(db.session.scalars(select(AuditEntry.action)))
            user = db.session.scalar(text("SELECT current_user"))
        assert user == deployment.role
        assert {"auth.login", "audit.export", "auth.logout"} <= actions
    finally:
        application.extensions["portal.db"].dispose()
    code, output = deployment.cli("audit", "verify")
    assert code == 0, output


def test_tables_of_later_migrations_are_granted(deployment):
    """A table the owner creates later is usable by the app, sequence included."""
    run(deployment.owner_url, "CREATE TABLE later_things (id serial PRIMARY KEY, name text)")
    run(deployment.app_url, "INSERT INTO later_things (name) VALUES ('ok')")
    run(deployment.app_url, "UPDATE later_things SET name = 'still ok'")
    run(deployment.app_url, "DELETE FROM later_things")


def test_db_upgrade_keeps_the_audit_log_insert_only(deployment):
    """Privileges granted on the log since (by hand, or by a migration) are taken back."""
    run(deployment.owner_url, f"GRANT UPDATE, DELETE, TRUNCATE ON audit_log TO {deployment.role}")
    code, output = deployment.cli("db", "upgrade")
    assert code == 0, output
    assert "permission denied" in refusal(deployment.app_url, "DELETE FROM audit_log")
    assert "permission denied" in refusal(
        deployment.app_url, "UPDATE alembic_version SET version_num = 'x'"
    )


def test_restore_grants_the_app_role_again(deployment, tmp_path: Path):
    """A backup and restore as the owner leaves the app role working and the log insert-only."""
    path = tmp_path / "portal.backup"
    assert deployment.cli("db", "backup", str(path))[0] == 0
    code, output = deployment.cli("db", "restore", "--yes", str(path))
    assert code == 0, output
    application = deployment.app()
    try:
        sign_in_and_work(application)
    finally:
        application.extensions["portal.db"].dispose()
    assert "permission denied" in refusal(deployment.app_url, "DELETE FROM audit_log")


def test_grant_refuses_a_role_with_the_owners_powers(deployment):
    """The owner itself, or a superuser, is no application role; the SQL can be printed."""
    owner = make_url(deployment.owner_url).username or "postgres"
    code, output = deployment.cli("db", "grant-app-role", owner)
    assert code != 0
    assert "superuser" in output or "owner" in output
    code, output = deployment.cli("db", "grant-app-role", "--sql", "portal")
    assert code == 0
    assert 'GRANT SELECT, INSERT ON TABLE "public"."audit_log" TO "portal";' in output
    assert "ALTER DEFAULT PRIVILEGES" in output
