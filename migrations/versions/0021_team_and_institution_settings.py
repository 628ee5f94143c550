"""Institutions run their own teams: invitations by e-mail (when a user was invited and when
they accepted), and each institution's working hours and notification mailboxes.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

WORKING_HOURS_CHECK = (
    "(work_starts_at IS NULL AND work_ends_at IS NULL)"
    " OR (work_starts_at IS NOT NULL AND work_ends_at IS NOT NULL"
    " AND work_starts_at < work_ends_at)"
)


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("joined_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("financial_institutions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("work_starts_at", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("work_ends_at", sa.Time(), nullable=True))
        batch_op.add_column(
            sa.Column("notify_emails", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.create_check_constraint(
            op.f("ck_financial_institutions_working_hours_order"), WORKING_HOURS_CHECK
        )
    with op.batch_alter_table("financial_institutions", schema=None) as batch_op:
        batch_op.alter_column("notify_emails", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("financial_institutions", schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f("ck_financial_institutions_working_hours_order"), type_="check"
        )
        batch_op.drop_column("notify_emails")
        batch_op.drop_column("work_ends_at")
        batch_op.drop_column("work_starts_at")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("joined_at")
        batch_op.drop_column("invited_at")
