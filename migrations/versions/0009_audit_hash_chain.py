"""Audit log: a hash chain over the entries, with the existing entries linked in id order.

Each entry gets `prev_hash` (the entry before it's hash; the first links to 64 zeros) and
`entry_hash` (SHA-256 over its fields and prev_hash, portal/audit/chain.py). Entries written
before this revision are linked here, in id order. The append-only triggers refuse the UPDATE
that does this, so they are lifted inside this migration's transaction: disabled and enabled
again on PostgreSQL, dropped and created again on SQLite (whose batch rebuild of the table drops
them anyway). A unique `prev_hash` makes a fork of the chain impossible.

Should the serialisation in portal/audit/chain.py ever change, a new revision rehashes the log.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 09:00:00
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from alembic import op

from portal.audit.chain import GENESIS, entry_hash

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BATCH = 1000
SQLITE_TRIGGERS = (
    """
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END
    """,
    """
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END
    """,
)
AUDIT_LOG = sa.table(
    "audit_log",
    sa.column("id", sa.Integer()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor_id", sa.Integer()),
    sa.column("actor_role", sa.String()),
    sa.column("remote_addr", sa.String()),
    sa.column("action", sa.String()),
    sa.column("object_type", sa.String()),
    sa.column("object_id", sa.Integer()),
    sa.column("firm_id", sa.Integer()),
    sa.column("detail", sa.JSON()),
    sa.column("prev_hash", sa.String()),
    sa.column("entry_hash", sa.String()),
)


def _dialect() -> str:
    return op.get_context().dialect.name


def _lift_triggers() -> None:
    """Let this transaction update audit_log; the triggers return before it commits."""
    if _dialect() == "postgresql":
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")


def _restore_triggers() -> None:
    if _dialect() == "postgresql":
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def _rows_in_id_order() -> Iterator[sa.Row]:
    connection = op.get_bind()
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(AUDIT_LOG)
            .where(AUDIT_LOG.c.id > last_id)
            .order_by(AUDIT_LOG.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id


def _link_existing_entries() -> None:
    connection = op.get_bind()
    statement = (
        sa.update(AUDIT_LOG)
        .where(AUDIT_LOG.c.id == sa.bindparam("row_id"))
        .values(prev_hash=sa.bindparam("prev"), entry_hash=sa.bindparam("hash"))
    )
    previous, links = GENESIS, []
    for row in _rows_in_id_order():
        fields = {**row._asdict(), "prev_hash": previous}
        links.append({"row_id": row.id, "prev": previous, "hash": entry_hash(fields)})
        previous = links[-1]["hash"]
        if len(links) == BATCH:
            connection.execute(statement, links)
            links = []
    if links:
        connection.execute(statement, links)


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(64), nullable=True))
    op.add_column("audit_log", sa.Column("entry_hash", sa.String(64), nullable=True))
    _lift_triggers()
    _link_existing_entries()
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column("prev_hash", existing_type=sa.String(64), nullable=False)
        batch.alter_column("entry_hash", existing_type=sa.String(64), nullable=False)
        batch.create_unique_constraint(batch.f("uq_audit_log_prev_hash"), ["prev_hash"])
    _restore_triggers()


def downgrade() -> None:
    if _dialect() != "postgresql":
        _lift_triggers()
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_constraint(batch.f("uq_audit_log_prev_hash"), type_="unique")
        batch.drop_column("entry_hash")
        batch.drop_column("prev_hash")
    if _dialect() != "postgresql":
        _restore_triggers()
