"""Supervision figure definitions: the loan rollup carries what the corrected figures need.

`dashboard_loan_facts` gains the guarantee fee and its subsidy (the subsidy-adjusted cost),
the 普惠型小微 flag as of the disbursement day and the claim-to-disbursement days (now filed by
disbursement month); `dashboard_lead_facts` loses its claim days.

The rollups are copies of the live tables, so the loan and lead facts are emptied rather than
filled with made-up values, and the rebuild stamps are removed: the dashboard computes every
figure live (right, if slower) until the rollups are rebuilt, so deploy this revision with
`flask --app wsgi supervision rebuild-rollups` after the upgrade.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 03:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

RATE = sa.Numeric(7, 4)
# portal.figures.rollups.REFRESHED_KEY and REBUILT_KEY.
STAMPS = ("dashboard_rollups_refreshed_at", "dashboard_rollups_rebuilt_at")


def _empty_facts() -> None:
    """Drop the rows the rollups would rebuild, and the stamps that say they are built."""
    op.execute(sa.text("DELETE FROM dashboard_loan_facts"))
    op.execute(sa.text("DELETE FROM dashboard_lead_facts"))
    settings = sa.table("system_settings", sa.column("key", sa.String))
    op.execute(settings.delete().where(settings.c.key.in_(STAMPS)))


def upgrade() -> None:
    _empty_facts()
    with op.batch_alter_table("dashboard_loan_facts") as batch:
        batch.add_column(sa.Column("guarantee_fee_rate", RATE, nullable=False))
        batch.add_column(sa.Column("fee_subsidy_rate", RATE, nullable=False))
        batch.add_column(sa.Column("inclusive", sa.Boolean(), nullable=False))
        batch.add_column(sa.Column("claim_days", sa.Float(), nullable=True))
    with op.batch_alter_table("dashboard_lead_facts") as batch:
        batch.drop_column("claim_days")


def downgrade() -> None:
    _empty_facts()
    with op.batch_alter_table("dashboard_lead_facts") as batch:
        batch.add_column(sa.Column("claim_days", sa.Float(), nullable=True))
    with op.batch_alter_table("dashboard_loan_facts") as batch:
        batch.drop_column("claim_days")
        batch.drop_column("inclusive")
        batch.drop_column("fee_subsidy_rate")
        batch.drop_column("guarantee_fee_rate")
