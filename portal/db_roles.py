"""The application's PostgreSQL role: exactly the privileges it needs, granted by the owner.

Production runs the portal as a role that owns nothing (DATABASE_URL), while migrations, backups
and restores run as the schema's owner (MIGRATION_DATABASE_URL). A table's owner can disable or
drop its triggers; a role that only holds privileges cannot. So the application's role gets
SELECT, INSERT, UPDATE and DELETE on the ordinary tables, USAGE on the sequences, and on the
audit log only SELECT and INSERT: it can neither rewrite the log nor lift its append-only
triggers. Default privileges extend the grant to tables that later migrations create, and
`db upgrade` and `db restore` grant again, so the audit log stays insert-only even if a
migration or a restore recreates it.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, column, func, inspect, select, table, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url

from portal.db import make_engine

# What the application may do with a table, unless named in RESTRICTED.
TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
# Tables it may not change freely: the append-only audit log, and Alembic's revision marker.
RESTRICTED = {"audit_log": "SELECT, INSERT", "alembic_version": "SELECT"}
# A plain PostgreSQL identifier; GRANT cannot take the role as a bound parameter.
ROLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")

PG_ROLES = table("pg_roles", column("rolname"), column("rolsuper"))
PG_TABLES = table("pg_tables", column("schemaname"), column("tablename"), column("tableowner"))


class RoleError(Exception):
    """The role cannot be given the application's grants; the message says why."""


def app_role(database_url: str, owner_url: str) -> str | None:
    """The application's own role: DATABASE_URL's user, when it is not the owner's; else None."""
    app, owner = make_url(database_url), make_url(owner_url)
    if app.get_backend_name() != "postgresql" or not app.username:
        return None
    return None if app.username == owner.username else app.username


def grant_statements(
    role: str, schema: str = "public", tables: set[str] | None = None
) -> list[str]:
    """The GRANT/REVOKE statements for role, to run as the owner in one transaction.

    `tables`: the restricted tables that exist now (all of them when None, as for printing).
    Everything is revoked first, so running it again also takes back privileges granted since.
    """
    if not ROLE_NAME.fullmatch(role):
        raise RoleError(f"{role!r} is not a plain role name (letters, digits, _)")
    quote = postgresql.dialect().identifier_preparer.quote_identifier
    r, s = quote(role), quote(schema)
    statements = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {r}",
        f"REVOKE CREATE ON SCHEMA {s} FROM {r}",
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"GRANT {TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
    ]
    for name, privileges in RESTRICTED.items():
        if tables is None or name in tables:
            statements += [
                f"REVOKE ALL ON TABLE {s}.{quote(name)} FROM {r}, PUBLIC",
                f"GRANT {privileges} ON TABLE {s}.{quote(name)} TO {r}",
            ]
    return [
        *statements,
        # Tables and sequences that later migrations create (as this owner) are granted too.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {TABLE_PRIVILEGES} ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT USAGE ON SEQUENCES TO {r}",
    ]


def grant_app_role(owner_url: str, role: str) -> None:
    """Give role the application's privileges; run with the schema owner's URL."""
    if make_url(owner_url).get_backend_name() != "postgresql":
        raise RoleError("database roles are a PostgreSQL matter; SQLite has none")
    engine = make_engine(owner_url)
    try:
        with engine.begin() as connection:
            schema = connection.scalar(select(func.current_schema()))
            _check_role(connection, role, schema)
            present = set(inspect(connection).get_table_names(schema=schema))
            for statement in grant_statements(role, schema, present & set(RESTRICTED)):
                connection.execute(text(statement))
    finally:
        engine.dispose()


def _check_role(connection: Connection, role: str, schema: str) -> None:
    """Refuse a role that would still hold the owner's powers, or does not exist."""
    found = connection.execute(
        select(PG_ROLES.c.rolsuper).where(PG_ROLES.c.rolname == role)
    ).first()
    if found is None:
        raise RoleError(
            f"role {role} does not exist; create it first (createuser --pwprompt {role})"
        )
    if found.rolsuper:
        raise RoleError(f"role {role} is a superuser; the application needs a role without powers")
    if role == connection.scalar(select(func.current_user())):
        raise RoleError(f"role {role} is the owner this command runs as; use another role")
    if connection.scalar(select(func.pg_has_role(role, func.current_user(), "MEMBER"))):
        raise RoleError(f"role {role} is a member of the owner's role and so holds its powers")
    owned = select(func.count()).where(PG_TABLES.c.schemaname == schema)
    if connection.scalar(owned.where(PG_TABLES.c.tableowner == role)):
        raise RoleError(
            f"role {role} owns tables in {schema}; reassign them to the owner first "
            f"(REASSIGN OWNED BY {role} TO <owner>, as a superuser)"
        )
