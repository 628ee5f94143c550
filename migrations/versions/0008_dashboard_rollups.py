"""Supervision: monthly rollups for the dashboard.

Narrow copies of loans and leads with their firm's cut columns, and monthly report sums, rebuilt
by `portal.figures.rollups` (the scheduler, `flask --app wsgi supervision rebuild-rollups`).
They start empty: the dashboard computes from the live tables until the first rebuild.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 21:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(16, 2)
ROLLUP_MONEY = sa.Numeric(20, 2)
RATE = sa.Numeric(7, 4)


def _cut_columns() -> list[sa.Column]:
    return [
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("industry_division", sa.String(2), nullable=False),
        sa.Column("size_class", sa.String(10), nullable=False),
    ]


def _sums() -> list[sa.Column]:
    return [
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("balance", ROLLUP_MONEY, nullable=False),
        sa.Column("npl_balance", ROLLUP_MONEY, nullable=False),
        sa.Column("contradicting", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "dashboard_loan_facts",
        sa.Column("loan_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("disbursed_on", sa.Date(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        *_cut_columns(),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("rate", RATE, nullable=False),
        sa.Column("subsidy_rate", RATE, nullable=False),
        sa.PrimaryKeyConstraint("loan_id", name=op.f("pk_dashboard_loan_facts")),
    )
    op.create_index(
        "ix_dashboard_loan_facts_disbursed_on", "dashboard_loan_facts", ["disbursed_on"]
    )
    op.create_table(
        "dashboard_lead_facts",
        sa.Column("lead_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("need_id", sa.Integer(), nullable=False),
        *_cut_columns(),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("decided", sa.Boolean(), nullable=False),
        sa.Column("sla_breached", sa.Boolean(), nullable=False),
        sa.Column("response_hours", sa.Float(), nullable=True),
        sa.Column("claim_days", sa.Float(), nullable=True),
        sa.Column("need_day", sa.Date(), nullable=False),
        sa.Column("approved_day", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_dashboard_lead_facts")),
    )
    op.create_index("ix_dashboard_lead_facts_created_at", "dashboard_lead_facts", ["created_at"])
    op.create_table(
        "dashboard_report_cells",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        *_cut_columns(),
        *_sums(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_report_cells")),
    )
    op.create_index("ix_dashboard_report_cells_period", "dashboard_report_cells", ["period"])
    op.create_table(
        "dashboard_report_months",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("size_class", sa.String(10), nullable=False),
        *_sums(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_report_months")),
    )
    op.create_index("ix_dashboard_report_months_period", "dashboard_report_months", ["period"])


def downgrade() -> None:
    for table, column in (
        ("dashboard_report_months", "period"),
        ("dashboard_report_cells", "period"),
        ("dashboard_lead_facts", "created_at"),
        ("dashboard_loan_facts", "disbursed_on"),
    ):
        op.drop_index(f"ix_{table}_{column}", table_name=table)
        op.drop_table(table)
