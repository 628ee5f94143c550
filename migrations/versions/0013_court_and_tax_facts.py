"""Rule facts only the exchange gives: registry status, court records (失信, open enforcement
cases and their amount) and tax paid over the last 12 and 24 months.

Existing firms start with the benign values (存续, no records, nothing paid) and no provenance:
none of them is verified until the exchange is asked, so no 秒批 rests on them before that.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 22:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(16, 2)


def upgrade() -> None:
    with op.batch_alter_table("firms", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "registry_status", sa.String(length=16), nullable=False, server_default="active"
            )
        )
        batch_op.add_column(
            sa.Column("court_records", sa.JSON(), nullable=False, server_default="[]")
        )
        for column in ("enforcement_amount", "tax_paid_12m", "tax_paid_24m"):
            batch_op.add_column(sa.Column(column, MONEY, nullable=False, server_default="0"))
            batch_op.create_check_constraint(
                op.f(f"ck_firms_{column}_not_negative"), f"{column} >= 0"
            )


def downgrade() -> None:
    with op.batch_alter_table("firms", schema=None) as batch_op:
        for column in ("tax_paid_24m", "tax_paid_12m", "enforcement_amount"):
            batch_op.drop_constraint(op.f(f"ck_firms_{column}_not_negative"), type_="check")
            batch_op.drop_column(column)
        batch_op.drop_column("court_records")
        batch_op.drop_column("registry_status")
