"""Catalogue: policy benefits and budget use, product guarantee fees, rule notes, onboarding notes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 19:27:50.752733
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bank_products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "guarantee_fee_rate",
                sa.Numeric(precision=7, scale=4),
                nullable=False,
                server_default="0",  # existing products charge no guarantee fee
            )
        )

    with op.batch_alter_table("financial_institutions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("application_note", sa.Text(), nullable=True))

    with op.batch_alter_table("policy_products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "budget_used",
                sa.Numeric(precision=16, scale=2),
                nullable=False,
                server_default="0",
            )
        )
        batch_op.add_column(
            sa.Column(
                "benefit_kind",
                sa.Enum(
                    "rate_points",
                    "fee_share",
                    "loss_share",
                    "lump_sum",
                    name="benefit_kind",
                    native_enum=False,
                    create_constraint=True,
                    length=24,
                ),
                nullable=False,
                server_default="rate_points",  # every policy so far was an interest subsidy
            )
        )
        batch_op.add_column(
            sa.Column("benefit_cap", sa.Numeric(precision=16, scale=2), nullable=True)
        )
        batch_op.add_column(
            sa.Column("applies_to_product_ids", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("source_file", sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("rule_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rule_versions", schema=None) as batch_op:
        batch_op.drop_column("note")

    with op.batch_alter_table("policy_products", schema=None) as batch_op:
        batch_op.drop_column("closed_at")
        batch_op.drop_column("source_file")
        batch_op.drop_column("applies_to_product_ids")
        batch_op.drop_column("benefit_cap")
        # The enum's CHECK constraint names the column; SQLite's table rebuild would keep it.
        batch_op.drop_constraint(op.f("ck_policy_products_benefit_kind"), type_="check")
        batch_op.drop_column("benefit_kind")
        batch_op.drop_column("budget_used")

    with op.batch_alter_table("financial_institutions", schema=None) as batch_op:
        batch_op.drop_column("application_note")

    with op.batch_alter_table("bank_products", schema=None) as batch_op:
        batch_op.drop_column("guarantee_fee_rate")
