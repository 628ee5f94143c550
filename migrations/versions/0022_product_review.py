"""Platform review of bank products: a product waits in review before it goes live, a returned
product carries the reviewer's reason, and an institution may be trusted to publish directly.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

# Bank, policy and guarantee products share the status enum, so every CHECK learns the new value.
STATUS_CHECKS = (
    ("bank_products", "product_status"),
    ("policy_products", "policy_status"),
    ("guarantee_products", "guarantee_product_status"),
)
WITH_REVIEW = "status IN ('draft', 'in_review', 'published', 'archived')"
WITHOUT_REVIEW = "status IN ('draft', 'published', 'archived')"


def _replace_status_check(table: str, name: str, condition: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
        batch_op.create_check_constraint(op.f(f"ck_{table}_{name}"), condition)


def upgrade() -> None:
    for table, name in STATUS_CHECKS:
        _replace_status_check(table, name, WITH_REVIEW)

    with op.batch_alter_table("bank_products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("review_note", sa.String(length=500), nullable=True))

    with op.batch_alter_table("financial_institutions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("products_trusted", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("financial_institutions", schema=None) as batch_op:
        batch_op.alter_column("products_trusted", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("financial_institutions", schema=None) as batch_op:
        batch_op.drop_column("products_trusted")

    with op.batch_alter_table("bank_products", schema=None) as batch_op:
        batch_op.drop_column("review_note")
        batch_op.drop_column("submitted_at")

    # A product still waiting for review falls back to draft; its bank submits it again.
    for table, _ in STATUS_CHECKS:
        rows = sa.table(table, sa.column("status", sa.String()))
        op.execute(rows.update().where(rows.c.status == "in_review").values(status="draft"))
    for table, name in STATUS_CHECKS:
        _replace_status_check(table, name, WITHOUT_REVIEW)
