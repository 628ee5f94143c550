"""Leads: a pooled lead no bank claimed may close (its need was settled or withdrawn).

Until now only a pooled lead could be without a bank, so closing an unclaimed pooled lead broke
the CHECK constraint. A closed lead may now be without a bank too.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

NAME = "ck_leads_bank_unless_pooled"


def upgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        batch.drop_constraint(op.f(NAME), type_="check")
        batch.create_check_constraint(
            op.f(NAME), "institution_id IS NOT NULL OR status IN ('pooled', 'closed')"
        )


def downgrade() -> None:
    # The old rule has no place for a closed lead without a bank: such leads were never seen by
    # any bank, so they go.
    leads = sa.table("leads", sa.column("institution_id"), sa.column("status"))
    op.execute(leads.delete().where(leads.c.institution_id.is_(None), leads.c.status == "closed"))
    with op.batch_alter_table("leads") as batch:
        batch.drop_constraint(op.f(NAME), type_="check")
        batch.create_check_constraint(op.f(NAME), "institution_id IS NOT NULL OR status = 'pooled'")
