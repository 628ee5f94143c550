"""Money: policy grants on offers and loans, budget states, settlement batches, compensation
claims, and the offer's repayment method, fees and validity.

`budget_used` becomes `budget_committed` (what it held: subsidy drawn by disbursed loans); the
budget's other states start at zero.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 18:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subsidy_settlement_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "approved",
                "paid",
                name="settlement_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("total", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["users.id"],
            name=op.f("fk_subsidy_settlement_batches_approved_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["financial_institutions.id"],
            name=op.f("fk_subsidy_settlement_batches_institution_id_financial_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["policy_products.id"],
            name=op.f("fk_subsidy_settlement_batches_policy_id_policy_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_settlement_batches")),
        sa.UniqueConstraint(
            "policy_id", "institution_id", "period", name="uq_settlement_batches_policy_bank_period"
        ),
    )
    with op.batch_alter_table("subsidy_settlement_batches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subsidy_settlement_batches_institution_id"),
            ["institution_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_subsidy_settlement_batches_period"), ["period"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_subsidy_settlement_batches_policy_id"), ["policy_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_subsidy_settlement_batches_status"), ["status"], unique=False
        )

    op.create_table(
        "subsidy_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("rule_version_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("loan_id", sa.Integer(), nullable=True),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column(
            "benefit_kind",
            sa.Enum(
                "rate_points",
                "fee_share",
                "loss_share",
                "lump_sum",
                name="grant_benefit_kind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("value", sa.Numeric(precision=12, scale=6), nullable=False),
        sa.Column("expected_amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("cap_used", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("paid_amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "reserved",
                "committed",
                "released",
                name="grant_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("release_reason", sa.String(length=32), nullable=True),
        sa.CheckConstraint(
            "expected_amount >= 0", name=op.f("ck_subsidy_grants_expected_not_negative")
        ),
        sa.CheckConstraint("paid_amount >= 0", name=op.f("ck_subsidy_grants_paid_not_negative")),
        sa.CheckConstraint("value > 0", name=op.f("ck_subsidy_grants_value_positive")),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_subsidy_grants_firm_id_firms")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["financial_institutions.id"],
            name=op.f("fk_subsidy_grants_institution_id_financial_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_subsidy_grants_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_subsidy_grants_loan_id_loans")
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["policy_products.id"],
            name=op.f("fk_subsidy_grants_policy_id_policy_products"),
        ),
        sa.ForeignKeyConstraint(
            ["rule_version_id"],
            ["rule_versions.id"],
            name=op.f("fk_subsidy_grants_rule_version_id_rule_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_grants")),
        sa.UniqueConstraint("lead_id", "policy_id", name="uq_subsidy_grants_lead_policy"),
    )
    with op.batch_alter_table("subsidy_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subsidy_grants_firm_id"), ["firm_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_subsidy_grants_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_subsidy_grants_loan_id"), ["loan_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_subsidy_grants_policy_id"), ["policy_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_subsidy_grants_status"), ["status"], unique=False)

    op.create_table(
        "compensation_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("rule_version_id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("principal_outstanding", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("share", sa.Numeric(precision=12, scale=6), nullable=False),
        sa.Column("claimed_amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("approved_amount", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("recovered_total", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("evidence_note", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "approved",
                "rejected",
                name="claim_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("decision_reason", sa.String(length=200), nullable=True),
        sa.Column("filed_by_id", sa.Integer(), nullable=True),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "claimed_amount >= 0", name=op.f("ck_compensation_claims_claimed_not_negative")
        ),
        sa.CheckConstraint(
            "principal_outstanding > 0", name=op.f("ck_compensation_claims_principal_positive")
        ),
        sa.CheckConstraint(
            "recovered_total >= 0", name=op.f("ck_compensation_claims_recovered_not_negative")
        ),
        sa.CheckConstraint(
            "share > 0 AND share <= 1", name=op.f("ck_compensation_claims_share_in_range")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_compensation_claims_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["filed_by_id"], ["users.id"], name=op.f("fk_compensation_claims_filed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_compensation_claims_firm_id_firms")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["financial_institutions.id"],
            name=op.f("fk_compensation_claims_institution_id_financial_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_compensation_claims_loan_id_loans")
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["policy_products.id"],
            name=op.f("fk_compensation_claims_policy_id_policy_products"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["loan_status_reports.id"],
            name=op.f("fk_compensation_claims_report_id_loan_status_reports"),
        ),
        sa.ForeignKeyConstraint(
            ["rule_version_id"],
            ["rule_versions.id"],
            name=op.f("fk_compensation_claims_rule_version_id_rule_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compensation_claims")),
    )
    with op.batch_alter_table("compensation_claims", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_compensation_claims_firm_id"), ["firm_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_compensation_claims_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_compensation_claims_loan_id"), ["loan_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_compensation_claims_policy_id"), ["policy_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_compensation_claims_status"), ["status"], unique=False)

    op.create_table(
        "subsidy_settlement_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("balance", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("points", sa.Numeric(precision=12, scale=6), nullable=False),
        sa.Column("computed_amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("adjusted_amount", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("adjustment_reason", sa.String(length=200), nullable=True),
        sa.Column("note", sa.String(length=32), nullable=True),
        sa.CheckConstraint(
            "adjusted_amount IS NULL OR adjusted_amount >= 0",
            name=op.f("ck_subsidy_settlement_lines_adjusted_not_negative"),
        ),
        sa.CheckConstraint(
            "computed_amount >= 0", name=op.f("ck_subsidy_settlement_lines_computed_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["subsidy_settlement_batches.id"],
            name=op.f("fk_subsidy_settlement_lines_batch_id_subsidy_settlement_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_subsidy_settlement_lines_firm_id_firms")
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["subsidy_grants.id"],
            name=op.f("fk_subsidy_settlement_lines_grant_id_subsidy_grants"),
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_subsidy_settlement_lines_loan_id_loans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_settlement_lines")),
        sa.UniqueConstraint("batch_id", "loan_id", name="uq_settlement_lines_batch_loan"),
    )
    with op.batch_alter_table("subsidy_settlement_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subsidy_settlement_lines_batch_id"), ["batch_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_subsidy_settlement_lines_firm_id"), ["firm_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_subsidy_settlement_lines_grant_id"), ["grant_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_subsidy_settlement_lines_loan_id"), ["loan_id"], unique=False
        )

    op.create_table(
        "claim_recoveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("returned_amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("recovered_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("reported_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_claim_recoveries_amount_positive")),
        sa.CheckConstraint(
            "returned_amount >= 0", name=op.f("ck_claim_recoveries_returned_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["compensation_claims.id"],
            name=op.f("fk_claim_recoveries_claim_id_compensation_claims"),
        ),
        sa.ForeignKeyConstraint(
            ["reported_by_id"], ["users.id"], name=op.f("fk_claim_recoveries_reported_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_recoveries")),
    )
    with op.batch_alter_table("claim_recoveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_claim_recoveries_claim_id"), ["claim_id"], unique=False
        )

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "repayment_method",
                sa.Enum(
                    "equal_instalment",
                    "equal_principal",
                    "interest_only",
                    name="lead_repayment_method",
                    native_enum=False,
                    create_constraint=True,
                    length=24,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column("upfront_fee", sa.Numeric(precision=16, scale=2), nullable=True)
        )
        batch_op.add_column(
            sa.Column("guarantee_fee_rate", sa.Numeric(precision=7, scale=4), nullable=True)
        )
        batch_op.add_column(sa.Column("offer_valid_until", sa.Date(), nullable=True))

    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "repayment_method",
                sa.Enum(
                    "equal_instalment",
                    "equal_principal",
                    "interest_only",
                    name="loan_repayment_method",
                    native_enum=False,
                    create_constraint=True,
                    length=24,
                ),
                nullable=False,
                server_default="equal_instalment",
            )
        )
        batch_op.add_column(
            sa.Column(
                "guarantee_fee_rate",
                sa.Numeric(precision=7, scale=4),
                nullable=False,
                server_default="0",
            )
        )
        batch_op.add_column(
            sa.Column(
                "fee_subsidy_rate",
                sa.Numeric(precision=7, scale=4),
                nullable=False,
                server_default="0",
            )
        )

    with op.batch_alter_table("policy_products", schema=None) as batch_op:
        batch_op.alter_column("budget_used", new_column_name="budget_committed")
        batch_op.add_column(
            sa.Column(
                "budget_reserved",
                sa.Numeric(precision=16, scale=2),
                nullable=False,
                server_default="0",
            )
        )
        batch_op.add_column(
            sa.Column(
                "budget_paid", sa.Numeric(precision=16, scale=2), nullable=False, server_default="0"
            )
        )
        batch_op.add_column(
            sa.Column("day_count", sa.Integer(), nullable=False, server_default="360")
        )
        batch_op.add_column(
            sa.Column(
                "pays_non_performing", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(sa.Column("claim_overdue_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("policy_products", schema=None) as batch_op:
        batch_op.drop_column("claim_overdue_days")
        batch_op.drop_column("pays_non_performing")
        batch_op.drop_column("day_count")
        batch_op.drop_column("budget_paid")
        batch_op.drop_column("budget_reserved")
        batch_op.alter_column("budget_committed", new_column_name="budget_used")

    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_loans_loan_repayment_method"), type_="check")
        batch_op.drop_column("fee_subsidy_rate")
        batch_op.drop_column("guarantee_fee_rate")
        batch_op.drop_column("repayment_method")

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_leads_lead_repayment_method"), type_="check")
        batch_op.drop_column("offer_valid_until")
        batch_op.drop_column("guarantee_fee_rate")
        batch_op.drop_column("upfront_fee")
        batch_op.drop_column("repayment_method")

    with op.batch_alter_table("claim_recoveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_recoveries_claim_id"))

    op.drop_table("claim_recoveries")
    with op.batch_alter_table("subsidy_settlement_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subsidy_settlement_lines_loan_id"))
        batch_op.drop_index(batch_op.f("ix_subsidy_settlement_lines_grant_id"))
        batch_op.drop_index(batch_op.f("ix_subsidy_settlement_lines_firm_id"))
        batch_op.drop_index(batch_op.f("ix_subsidy_settlement_lines_batch_id"))

    op.drop_table("subsidy_settlement_lines")
    with op.batch_alter_table("compensation_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compensation_claims_status"))
        batch_op.drop_index(batch_op.f("ix_compensation_claims_policy_id"))
        batch_op.drop_index(batch_op.f("ix_compensation_claims_loan_id"))
        batch_op.drop_index(batch_op.f("ix_compensation_claims_institution_id"))
        batch_op.drop_index(batch_op.f("ix_compensation_claims_firm_id"))

    op.drop_table("compensation_claims")
    with op.batch_alter_table("subsidy_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subsidy_grants_status"))
        batch_op.drop_index(batch_op.f("ix_subsidy_grants_policy_id"))
        batch_op.drop_index(batch_op.f("ix_subsidy_grants_loan_id"))
        batch_op.drop_index(batch_op.f("ix_subsidy_grants_lead_id"))
        batch_op.drop_index(batch_op.f("ix_subsidy_grants_firm_id"))

    op.drop_table("subsidy_grants")
    with op.batch_alter_table("subsidy_settlement_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subsidy_settlement_batches_status"))
        batch_op.drop_index(batch_op.f("ix_subsidy_settlement_batches_policy_id"))
        batch_op.drop_index(batch_op.f("ix_subsidy_settlement_batches_period"))
        batch_op.drop_index(batch_op.f("ix_subsidy_settlement_batches_institution_id"))

    op.drop_table("subsidy_settlement_batches")
