"""Firms run their own accounts: each firm user is the firm's owner or a member. Existing firm
users registered their firm alone, so they become its owners.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-09 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "firm_role",
                sa.Enum(
                    "owner",
                    "member",
                    name="firm_role",
                    native_enum=False,
                    create_constraint=True,
                    length=24,
                ),
                nullable=True,
            )
        )
    op.execute("UPDATE users SET firm_role = 'owner' WHERE firm_id IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_firm_role"), type_="check")
        batch_op.drop_column("firm_role")
