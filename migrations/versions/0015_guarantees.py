"""Financing guarantees: guarantor roles, guarantee products with versioned rules, their
agreements with bank products, guarantee requests and guarantee letters, risk-sharing
agreements, compensations (代偿), their onward share claims and recoveries.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 01:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


ROLES_BEFORE = ("sme", "bank_officer", "bank_admin", "gov_staff", "regulator", "admin")
ROLES_AFTER = (*ROLES_BEFORE[:3], "guarantor_officer", "guarantor_admin", *ROLES_BEFORE[3:])
INSTITUTION_ROLES_BEFORE = ("bank_officer", "bank_admin")
INSTITUTION_ROLES_AFTER = (*INSTITUTION_ROLES_BEFORE, "guarantor_officer", "guarantor_admin")
TWO_OWNERS = "(product_id IS NULL) <> (policy_id IS NULL)"
THREE_OWNERS = (
    "(CASE WHEN product_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN policy_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN guarantee_product_id IS NULL THEN 0 ELSE 1 END) = 1"
)


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _user_role_checks(roles: tuple[str, ...], institution_roles: tuple[str, ...]) -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_role"), type_="check")
        batch_op.drop_constraint(op.f("ck_users_bank_user_has_institution"), type_="check")
        batch_op.create_check_constraint(op.f("ck_users_role"), f"role IN ({_quoted(roles)})")
        batch_op.create_check_constraint(
            op.f("ck_users_bank_user_has_institution"),
            f"(role IN ({_quoted(institution_roles)})) = (institution_id IS NOT NULL)",
        )


def upgrade() -> None:
    _user_role_checks(ROLES_AFTER, INSTITUTION_ROLES_AFTER)
    op.create_table(
        "guarantee_products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("min_amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("max_amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("max_term_months", sa.Integer(), nullable=False),
        sa.Column("fee_rate", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("coverage_share", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("region_codes", sa.JSON(), nullable=False),
        sa.Column("response_days", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "published",
                "archived",
                name="guarantee_product_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "coverage_share > 0 AND coverage_share <= 100",
            name=op.f("ck_guarantee_products_coverage_range"),
        ),
        sa.CheckConstraint(
            "fee_rate >= 0 AND fee_rate <= 10", name=op.f("ck_guarantee_products_fee_rate_range")
        ),
        sa.CheckConstraint(
            "max_term_months BETWEEN 1 AND 360", name=op.f("ck_guarantee_products_term_range")
        ),
        sa.CheckConstraint(
            "min_amount > 0 AND min_amount <= max_amount",
            name=op.f("ck_guarantee_products_amount_range"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["financial_institutions.id"],
            name=op.f("fk_guarantee_products_institution_id_financial_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guarantee_products")),
    )
    with op.batch_alter_table("guarantee_products", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_guarantee_products_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_guarantee_products_status"), ["status"], unique=False)

    op.create_table(
        "guarantee_agreements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guarantee_product_id", sa.Integer(), nullable=False),
        sa.Column("bank_product_id", sa.Integer(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum(
                "batch",
                "automatic",
                name="guarantee_mode",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("automatic_limit", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "automatic_limit IS NULL OR automatic_limit > 0",
            name=op.f("ck_guarantee_agreements_automatic_limit_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["bank_product_id"],
            ["bank_products.id"],
            name=op.f("fk_guarantee_agreements_bank_product_id_bank_products"),
        ),
        sa.ForeignKeyConstraint(
            ["guarantee_product_id"],
            ["guarantee_products.id"],
            name=op.f("fk_guarantee_agreements_guarantee_product_id_guarantee_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guarantee_agreements")),
        sa.UniqueConstraint("guarantee_product_id", "bank_product_id", name="uq_agreement_pair"),
    )
    with op.batch_alter_table("guarantee_agreements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_guarantee_agreements_bank_product_id"), ["bank_product_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_guarantee_agreements_guarantee_product_id"),
            ["guarantee_product_id"],
            unique=False,
        )

    op.create_table(
        "guarantee_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("guarantee_product_id", sa.Integer(), nullable=False),
        sa.Column("rule_version_id", sa.Integer(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum(
                "batch",
                "automatic",
                name="guarantee_request_mode",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "accepted",
                "issued",
                "declined",
                "expired",
                "closed",
                name="guarantee_request_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.Column("decline_code", sa.String(length=32), nullable=True),
        sa.Column("decline_note", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_reason", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["guarantee_product_id"],
            ["guarantee_products.id"],
            name=op.f("fk_guarantee_requests_guarantee_product_id_guarantee_products"),
        ),
        sa.ForeignKeyConstraint(
            ["handled_by_id"], ["users.id"], name=op.f("fk_guarantee_requests_handled_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["financial_institutions.id"],
            name=op.f("fk_guarantee_requests_institution_id_financial_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_guarantee_requests_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["need_id"],
            ["financing_needs.id"],
            name=op.f("fk_guarantee_requests_need_id_financing_needs"),
        ),
        sa.ForeignKeyConstraint(
            ["rule_version_id"],
            ["rule_versions.id"],
            name=op.f("fk_guarantee_requests_rule_version_id_rule_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guarantee_requests")),
        sa.UniqueConstraint(
            "lead_id", "institution_id", name="uq_guarantee_request_lead_guarantor"
        ),
    )
    with op.batch_alter_table("guarantee_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_guarantee_requests_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_guarantee_requests_deadline_at"), ["deadline_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_guarantee_requests_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_guarantee_requests_lead_id"), ["lead_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_guarantee_requests_need_id"), ["need_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_guarantee_requests_status"), ["status"], unique=False)

    op.create_table(
        "guarantees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=True),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("bank_institution_id", sa.Integer(), nullable=False),
        sa.Column("guarantee_product_id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("letter_no", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("coverage_share", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("covered_amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("fee_rate", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("fee_amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "amount > 0 AND covered_amount > 0", name=op.f("ck_guarantees_amounts_positive")
        ),
        sa.CheckConstraint(
            "covered_amount <= amount", name=op.f("ck_guarantees_covered_within_amount")
        ),
        sa.ForeignKeyConstraint(
            ["bank_institution_id"],
            ["financial_institutions.id"],
            name=op.f("fk_guarantees_bank_institution_id_financial_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_guarantees_firm_id_firms")
        ),
        sa.ForeignKeyConstraint(
            ["guarantee_product_id"],
            ["guarantee_products.id"],
            name=op.f("fk_guarantees_guarantee_product_id_guarantee_products"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["financial_institutions.id"],
            name=op.f("fk_guarantees_institution_id_financial_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["users.id"], name=op.f("fk_guarantees_issued_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_guarantees_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_guarantees_loan_id_loans")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["guarantee_requests.id"],
            name=op.f("fk_guarantees_request_id_guarantee_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guarantees")),
        sa.UniqueConstraint("lead_id", name=op.f("uq_guarantees_lead_id")),
        sa.UniqueConstraint("letter_no", name=op.f("uq_guarantees_letter_no")),
        sa.UniqueConstraint("loan_id", name=op.f("uq_guarantees_loan_id")),
        sa.UniqueConstraint("request_id", name=op.f("uq_guarantees_request_id")),
    )
    with op.batch_alter_table("guarantees", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_guarantees_bank_institution_id"), ["bank_institution_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_guarantees_firm_id"), ["firm_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_guarantees_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_guarantees_issued_at"), ["issued_at"], unique=False)

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("guarantee_required", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("match_results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("guarantee_product_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_match_results_guarantee_product_id_guarantee_products"),
            "guarantee_products",
            ["guarantee_product_id"],
            ["id"],
        )

    with op.batch_alter_table("rule_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("guarantee_product_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_rule_versions_guarantee_product_id"),
            ["guarantee_product_id"],
            unique=False,
        )
        batch_op.create_unique_constraint(
            "uq_rule_versions_guarantee_version", ["guarantee_product_id", "version"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_rule_versions_guarantee_product_id_guarantee_products"),
            "guarantee_products",
            ["guarantee_product_id"],
            ["id"],
        )
        batch_op.drop_constraint(op.f("ck_rule_versions_exactly_one_owner"), type_="check")
        batch_op.create_check_constraint(op.f("ck_rule_versions_exactly_one_owner"), THREE_OWNERS)

    op.create_table(
        "risk_share_agreements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guarantee_product_id", sa.Integer(), nullable=False),
        sa.Column("guarantor_share", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("reguarantee_share", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("bank_share", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("government_share", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("reguarantee_cap", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("government_cap", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("trigger_overdue_days", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "guarantor_share + reguarantee_share + bank_share + government_share = 100",
            name=op.f("ck_risk_share_agreements_shares_sum_to_100"),
        ),
        sa.CheckConstraint(
            "guarantor_share > 0 AND reguarantee_share >= 0 AND bank_share >= 0 AND government_share >= 0",
            name=op.f("ck_risk_share_agreements_shares_in_range"),
        ),
        sa.CheckConstraint(
            "trigger_overdue_days IS NULL OR trigger_overdue_days BETWEEN 1 AND 720",
            name=op.f("ck_risk_share_agreements_trigger_range"),
        ),
        sa.ForeignKeyConstraint(
            ["guarantee_product_id"],
            ["guarantee_products.id"],
            name=op.f("fk_risk_share_agreements_guarantee_product_id_guarantee_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_share_agreements")),
        sa.UniqueConstraint(
            "guarantee_product_id", name=op.f("uq_risk_share_agreements_guarantee_product_id")
        ),
    )
    op.create_table(
        "compensations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guarantee_id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("bank_institution_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("ground", sa.String(length=16), nullable=False),
        sa.Column("loss_amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("claimed_amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("split", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "approved",
                "rejected",
                name="compensation_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("evidence_note", sa.Text(), nullable=False),
        sa.Column("decision_reason", sa.String(length=200), nullable=True),
        sa.Column("recovered_total", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("filed_by_id", sa.Integer(), nullable=True),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "claimed_amount >= 0", name=op.f("ck_compensations_claimed_not_negative")
        ),
        sa.CheckConstraint("loss_amount > 0", name=op.f("ck_compensations_loss_positive")),
        sa.CheckConstraint(
            "recovered_total >= 0", name=op.f("ck_compensations_recovered_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["bank_institution_id"],
            ["financial_institutions.id"],
            name=op.f("fk_compensations_bank_institution_id_financial_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_compensations_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["filed_by_id"], ["users.id"], name=op.f("fk_compensations_filed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_compensations_firm_id_firms")
        ),
        sa.ForeignKeyConstraint(
            ["guarantee_id"],
            ["guarantees.id"],
            name=op.f("fk_compensations_guarantee_id_guarantees"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["financial_institutions.id"],
            name=op.f("fk_compensations_institution_id_financial_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_compensations_loan_id_loans")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["loan_status_reports.id"],
            name=op.f("fk_compensations_report_id_loan_status_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compensations")),
        sa.UniqueConstraint("guarantee_id", name=op.f("uq_compensations_guarantee_id")),
    )
    with op.batch_alter_table("compensations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_compensations_bank_institution_id"),
            ["bank_institution_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_compensations_firm_id"), ["firm_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_compensations_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_compensations_loan_id"), ["loan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_compensations_status"), ["status"], unique=False)

    op.create_table(
        "compensation_recoveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("compensation_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("split", sa.JSON(), nullable=False),
        sa.Column("recovered_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("reported_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_compensation_recoveries_amount_positive")),
        sa.ForeignKeyConstraint(
            ["compensation_id"],
            ["compensations.id"],
            name=op.f("fk_compensation_recoveries_compensation_id_compensations"),
        ),
        sa.ForeignKeyConstraint(
            ["reported_by_id"],
            ["users.id"],
            name=op.f("fk_compensation_recoveries_reported_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compensation_recoveries")),
    )
    with op.batch_alter_table("compensation_recoveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_compensation_recoveries_compensation_id"),
            ["compensation_id"],
            unique=False,
        )

    op.create_table(
        "compensation_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("compensation_id", sa.Integer(), nullable=False),
        sa.Column("party", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "approved",
                "rejected",
                name="compensation_share_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("decision_reason", sa.String(length=200), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_compensation_shares_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["compensation_id"],
            ["compensations.id"],
            name=op.f("fk_compensation_shares_compensation_id_compensations"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_compensation_shares_decided_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compensation_shares")),
        sa.UniqueConstraint("compensation_id", "party", name="uq_compensation_share_party"),
    )
    with op.batch_alter_table("compensation_shares", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_compensation_shares_compensation_id"), ["compensation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_compensation_shares_region_code"), ["region_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_compensation_shares_status"), ["status"], unique=False)

    with op.batch_alter_table("guarantees", schema=None) as batch_op:
        batch_op.add_column(sa.Column("risk_terms", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("guarantees", schema=None) as batch_op:
        batch_op.drop_column("risk_terms")

    with op.batch_alter_table("compensation_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compensation_shares_status"))
        batch_op.drop_index(batch_op.f("ix_compensation_shares_region_code"))
        batch_op.drop_index(batch_op.f("ix_compensation_shares_compensation_id"))

    op.drop_table("compensation_shares")
    with op.batch_alter_table("compensation_recoveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compensation_recoveries_compensation_id"))

    op.drop_table("compensation_recoveries")
    with op.batch_alter_table("compensations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compensations_status"))
        batch_op.drop_index(batch_op.f("ix_compensations_loan_id"))
        batch_op.drop_index(batch_op.f("ix_compensations_institution_id"))
        batch_op.drop_index(batch_op.f("ix_compensations_firm_id"))
        batch_op.drop_index(batch_op.f("ix_compensations_bank_institution_id"))

    op.drop_table("compensations")
    op.drop_table("risk_share_agreements")

    op.execute("DELETE FROM rule_versions WHERE guarantee_product_id IS NOT NULL")
    op.execute("DELETE FROM users WHERE role IN ('guarantor_officer', 'guarantor_admin')")
    _user_role_checks(ROLES_BEFORE, INSTITUTION_ROLES_BEFORE)
    with op.batch_alter_table("rule_versions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_rule_versions_exactly_one_owner"), type_="check")
        batch_op.create_check_constraint(op.f("ck_rule_versions_exactly_one_owner"), TWO_OWNERS)
        batch_op.drop_constraint(
            batch_op.f("fk_rule_versions_guarantee_product_id_guarantee_products"),
            type_="foreignkey",
        )
        batch_op.drop_constraint("uq_rule_versions_guarantee_version", type_="unique")
        batch_op.drop_index(batch_op.f("ix_rule_versions_guarantee_product_id"))
        batch_op.drop_column("guarantee_product_id")

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("guarantee_required")

    with op.batch_alter_table("match_results", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_match_results_guarantee_product_id_guarantee_products"),
            type_="foreignkey",
        )
        batch_op.drop_column("guarantee_product_id")

    with op.batch_alter_table("guarantees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guarantees_issued_at"))
        batch_op.drop_index(batch_op.f("ix_guarantees_institution_id"))
        batch_op.drop_index(batch_op.f("ix_guarantees_firm_id"))
        batch_op.drop_index(batch_op.f("ix_guarantees_bank_institution_id"))

    op.drop_table("guarantees")
    with op.batch_alter_table("guarantee_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guarantee_requests_status"))
        batch_op.drop_index(batch_op.f("ix_guarantee_requests_need_id"))
        batch_op.drop_index(batch_op.f("ix_guarantee_requests_lead_id"))
        batch_op.drop_index(batch_op.f("ix_guarantee_requests_institution_id"))
        batch_op.drop_index(batch_op.f("ix_guarantee_requests_deadline_at"))
        batch_op.drop_index(batch_op.f("ix_guarantee_requests_created_at"))

    op.drop_table("guarantee_requests")
    with op.batch_alter_table("guarantee_agreements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guarantee_agreements_guarantee_product_id"))
        batch_op.drop_index(batch_op.f("ix_guarantee_agreements_bank_product_id"))

    op.drop_table("guarantee_agreements")
    with op.batch_alter_table("guarantee_products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guarantee_products_status"))
        batch_op.drop_index(batch_op.f("ix_guarantee_products_institution_id"))

    op.drop_table("guarantee_products")
