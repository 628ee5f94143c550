"""A firm owner asks to close the firm's account; platform staff close it or refuse.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-12 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "firm_closure_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "closed",
                "cancelled",
                name="firm_closure_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        _when("requested_at"),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        _when("decided_at", nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_firm_closure_requests_decided_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_firm_closure_requests_firm_id_firms")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_firm_closure_requests_requested_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firm_closure_requests")),
    )
    with op.batch_alter_table("firm_closure_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_firm_closure_requests_firm_id"), ["firm_id"])
        batch_op.create_index(batch_op.f("ix_firm_closure_requests_status"), ["status"])


def downgrade() -> None:
    with op.batch_alter_table("firm_closure_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_firm_closure_requests_status"))
        batch_op.drop_index(batch_op.f("ix_firm_closure_requests_firm_id"))
    op.drop_table("firm_closure_requests")
