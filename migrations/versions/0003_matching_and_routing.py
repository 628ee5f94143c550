"""Matching and routing: lead origin, offers taken, closing reasons, annual cost, one lead per bank and need.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 19:44:30.348025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("financing_needs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "origin",
                sa.Enum(
                    "applied",
                    "best",
                    "pool",
                    "reroute",
                    name="lead_origin",
                    native_enum=False,
                    create_constraint=True,
                    length=24,
                ),
                nullable=False,
                server_default="applied",  # every lead so far came from a firm's application
            )
        )
        batch_op.add_column(sa.Column("offer_taken_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_reason", sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(
            "uq_leads_need_institution", ["need_id", "institution_id"]
        )

    with op.batch_alter_table("match_results", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("annual_cost", sa.Numeric(precision=7, scale=4), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("match_results", schema=None) as batch_op:
        batch_op.drop_column("annual_cost")

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_constraint("uq_leads_need_institution", type_="unique")
        batch_op.drop_column("closed_reason")
        batch_op.drop_column("offer_taken_at")
        # The enum's CHECK constraint names the column; SQLite's table rebuild would keep it.
        batch_op.drop_constraint(op.f("ck_leads_lead_origin"), type_="check")
        batch_op.drop_column("origin")

    with op.batch_alter_table("financing_needs", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_at")
