"""Core schema: accounts, firms, institutions, catalogue, matching, leads, loans, supervision.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 19:17:16.611896
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "financial_institutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("short_name", sa.String(length=40), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "state_owned",
                "joint_stock",
                "city_commercial",
                "rural",
                "policy",
                "guarantee",
                "other",
                name="institution_kind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("licence_no", sa.String(length=40), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("contact_name", sa.String(length=40), nullable=True),
        sa.Column("contact_phone", sa.String(length=32), nullable=True),
        sa.Column(
            "onboarding_status",
            sa.Enum(
                "applied",
                "approved",
                "rejected",
                "suspended",
                name="onboarding_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response_days", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "response_days BETWEEN 1 AND 30",
            name=op.f("ck_financial_institutions_response_days_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_financial_institutions")),
        sa.UniqueConstraint("licence_no", name=op.f("uq_financial_institutions_licence_no")),
        sa.UniqueConstraint("name", name=op.f("uq_financial_institutions_name")),
    )
    with op.batch_alter_table("financial_institutions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_financial_institutions_onboarding_status"),
            ["onboarding_status"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_financial_institutions_region_code"),
            ["region_code"],
            unique=False,
        )

    op.create_table(
        "firms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("industry_code", sa.String(length=4), nullable=False),
        sa.Column("employees", sa.Integer(), nullable=False),
        sa.Column("revenue", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("total_assets", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("established_on", sa.Date(), nullable=False),
        sa.Column(
            "tax_credit_grade",
            sa.Enum(
                "A",
                "B",
                "M",
                "C",
                "D",
                name="tax_credit_grade",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("qualifications", sa.JSON(), nullable=False),
        sa.Column(
            "size_class",
            sa.Enum(
                "large",
                "medium",
                "small",
                "micro",
                name="size_class",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("legal_representative", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("employees >= 0", name=op.f("ck_firms_employees_not_negative")),
        sa.CheckConstraint("revenue >= 0", name=op.f("ck_firms_revenue_not_negative")),
        sa.CheckConstraint("total_assets >= 0", name=op.f("ck_firms_total_assets_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firms")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_firms_credit_code")),
    )
    with op.batch_alter_table("firms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_firms_industry_code"), ["industry_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_firms_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_firms_size_class"), ["size_class"], unique=False)

    op.create_table(
        "government_agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("short_name", sa.String(length=40), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_government_agencies")),
        sa.UniqueConstraint("name", name=op.f("uq_government_agencies_name")),
    )
    with op.batch_alter_table("government_agencies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_government_agencies_region_code"),
            ["region_code"],
            unique=False,
        )

    op.create_table(
        "lpr_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("one_year", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("over_five_years", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lpr_rates")),
        sa.UniqueConstraint("effective_on", name=op.f("uq_lpr_rates_effective_on")),
    )
    op.create_table(
        "monthly_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monthly_reports")),
        sa.UniqueConstraint("period", "scope", name="uq_monthly_reports_period_scope"),
    )
    op.create_table(
        "bank_products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "credit",
                "mortgage",
                "tech_credit",
                "forestry",
                "agriculture",
                "relief",
                "guaranteed",
                "supply_chain",
                name="product_kind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("min_amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("max_amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("min_term_months", sa.Integer(), nullable=False),
        sa.Column("max_term_months", sa.Integer(), nullable=False),
        sa.Column("min_rate", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("max_rate", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("guarantee_types", sa.JSON(), nullable=False),
        sa.Column("region_codes", sa.JSON(), nullable=False),
        sa.Column("response_days", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "published",
                "archived",
                name="product_status",
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
            "min_amount > 0 AND min_amount <= max_amount",
            name=op.f("ck_bank_products_amount_range"),
        ),
        sa.CheckConstraint(
            "min_rate >= 0 AND min_rate <= max_rate",
            name=op.f("ck_bank_products_rate_range"),
        ),
        sa.CheckConstraint(
            "min_term_months > 0 AND min_term_months <= max_term_months",
            name=op.f("ck_bank_products_term_range"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["financial_institutions.id"],
            name=op.f("fk_bank_products_institution_id_financial_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_products")),
    )
    with op.batch_alter_table("bank_products", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bank_products_institution_id"),
            ["institution_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_bank_products_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_bank_products_status"), ["status"], unique=False)

    op.create_table(
        "policy_products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=160), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "interest_subsidy",
                "guarantee_fee_subsidy",
                "risk_compensation",
                "first_loan_reward",
                name="policy_kind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("source_document", sa.String(length=160), nullable=False),
        sa.Column("source_date", sa.Date(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("budget", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("applies_to_kinds", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "published",
                "archived",
                name="policy_status",
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
            "valid_to IS NULL OR valid_from <= valid_to",
            name=op.f("ck_policy_products_validity_range"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["government_agencies.id"],
            name=op.f("fk_policy_products_agency_id_government_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_products")),
        sa.UniqueConstraint("slug", name=op.f("uq_policy_products_slug")),
    )
    with op.batch_alter_table("policy_products", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_policy_products_agency_id"), ["agency_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_policy_products_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_policy_products_status"), ["status"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("full_name", sa.String(length=80), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column(
            "role",
            sa.Enum(
                "sme",
                "bank_officer",
                "bank_admin",
                "gov_staff",
                "regulator",
                "admin",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("firm_id", sa.Integer(), nullable=True),
        sa.Column("institution_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("session_token", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(role = 'gov_staff') = (agency_id IS NOT NULL)",
            name=op.f("ck_users_gov_user_has_agency"),
        ),
        sa.CheckConstraint(
            "(role = 'sme') = (firm_id IS NOT NULL)", name=op.f("ck_users_sme_has_firm")
        ),
        sa.CheckConstraint(
            "(role IN ('bank_officer', 'bank_admin')) = (institution_id IS NOT NULL)",
            name=op.f("ck_users_bank_user_has_institution"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["government_agencies.id"],
            name=op.f("fk_users_agency_id_government_agencies"),
        ),
        sa.ForeignKeyConstraint(["firm_id"], ["firms.id"], name=op.f("fk_users_firm_id_firms")),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["financial_institutions.id"],
            name=op.f("fk_users_institution_id_financial_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_users_firm_id"), ["firm_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_users_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_users_role"), ["role"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=24), nullable=True),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=True),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("firm_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_audit_log_actor_id_users")
        ),
        sa.ForeignKeyConstraint(["firm_id"], ["firms.id"], name=op.f("fk_audit_log_firm_id_firms")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_firm_id"), ["firm_id"], unique=False)

    op.create_table(
        "financing_needs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column(
            "guarantee_type",
            sa.Enum(
                "credit",
                "mortgage",
                "pledge",
                "guarantor",
                "guarantee_agency",
                name="guarantee_type",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("max_rate", sa.Numeric(precision=7, scale=4), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consent_scope", sa.String(length=120), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "routed",
                "fulfilled",
                "withdrawn",
                "closed",
                name="need_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_financing_needs_amount_positive")),
        sa.CheckConstraint(
            "term_months BETWEEN 1 AND 360", name=op.f("ck_financing_needs_term_range")
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_financing_needs_firm_id_firms")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["users.id"],
            name=op.f("fk_financing_needs_submitted_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_financing_needs")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_financing_needs_idempotency_key")),
    )
    with op.batch_alter_table("financing_needs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_financing_needs_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_financing_needs_firm_id"), ["firm_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_financing_needs_status"), ["status"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=160), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=255), nullable=True),
        sa.Column("dedupe_key", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notifications_dedupe_key")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notifications_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notifications_user_id"), ["user_id"], unique=False)

    op.create_table(
        "rule_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("eligibility", sa.Text(), nullable=False),
        sa.Column("instant_approval", sa.Text(), nullable=True),
        sa.Column("formula", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(product_id IS NULL) <> (policy_id IS NULL)",
            name=op.f("ck_rule_versions_exactly_one_owner"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_rule_versions_created_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["policy_products.id"],
            name=op.f("fk_rule_versions_policy_id_policy_products"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["bank_products.id"],
            name=op.f("fk_rule_versions_product_id_bank_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_versions")),
        sa.UniqueConstraint("policy_id", "version", name="uq_rule_versions_policy_version"),
        sa.UniqueConstraint("product_id", "version", name="uq_rule_versions_product_version"),
    )
    with op.batch_alter_table("rule_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rule_versions_policy_id"), ["policy_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_rule_versions_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "match_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("rule_version_id", sa.Integer(), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("instant_approved", sa.Boolean(), nullable=False),
        sa.Column("pre_approval_ref", sa.String(length=32), nullable=True),
        sa.Column("limit_amount", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("rate", sa.Numeric(precision=7, scale=4), nullable=True),
        sa.Column("adjusted_rate", sa.Numeric(precision=7, scale=4), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["need_id"],
            ["financing_needs.id"],
            name=op.f("fk_match_results_need_id_financing_needs"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["bank_products.id"],
            name=op.f("fk_match_results_product_id_bank_products"),
        ),
        sa.ForeignKeyConstraint(
            ["rule_version_id"],
            ["rule_versions.id"],
            name=op.f("fk_match_results_rule_version_id_rule_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_results")),
        sa.UniqueConstraint("need_id", "product_id", name=op.f("uq_match_results_need_id")),
        sa.UniqueConstraint("pre_approval_ref", name=op.f("uq_match_results_pre_approval_ref")),
    )
    with op.batch_alter_table("match_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_results_need_id"), ["need_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_match_results_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "leads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("match_result_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pooled",
                "open",
                "accepted",
                "declined",
                "expired",
                "approved",
                "disbursed",
                "closed",
                name="lead_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("pre_approved", sa.Boolean(), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.Column("decline_code", sa.String(length=32), nullable=True),
        sa.Column("decline_note", sa.Text(), nullable=True),
        sa.Column("approved_amount", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("approved_rate", sa.Numeric(precision=7, scale=4), nullable=True),
        sa.Column("approved_term_months", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sla_breached", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "institution_id IS NOT NULL OR status = 'pooled'",
            name=op.f("ck_leads_bank_unless_pooled"),
        ),
        sa.ForeignKeyConstraint(
            ["handled_by_id"], ["users.id"], name=op.f("fk_leads_handled_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["financial_institutions.id"],
            name=op.f("fk_leads_institution_id_financial_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["match_result_id"],
            ["match_results.id"],
            name=op.f("fk_leads_match_result_id_match_results"),
        ),
        sa.ForeignKeyConstraint(
            ["need_id"],
            ["financing_needs.id"],
            name=op.f("fk_leads_need_id_financing_needs"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["bank_products.id"],
            name=op.f("fk_leads_product_id_bank_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leads_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_deadline_at"), ["deadline_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_leads_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_leads_need_id"), ["need_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_status"), ["status"], unique=False)

    op.create_table(
        "loans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("contract_no", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("rate", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("subsidy_rate", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("disbursed_on", sa.Date(), nullable=False),
        sa.Column("maturity_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "repaid",
                "written_off",
                name="loan_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_loans_amount_positive")),
        sa.CheckConstraint("term_months > 0", name=op.f("ck_loans_term_positive")),
        sa.ForeignKeyConstraint(["firm_id"], ["firms.id"], name=op.f("fk_loans_firm_id_firms")),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["financial_institutions.id"],
            name=op.f("fk_loans_institution_id_financial_institutions"),
        ),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_loans_lead_id_leads")),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["bank_products.id"],
            name=op.f("fk_loans_product_id_bank_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loans")),
        sa.UniqueConstraint("lead_id", name=op.f("uq_loans_lead_id")),
    )
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loans_disbursed_on"), ["disbursed_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_loans_firm_id"), ["firm_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_loans_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_loans_product_id"), ["product_id"], unique=False)

    op.create_table(
        "loan_status_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("balance", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("days_overdue", sa.Integer(), nullable=False),
        sa.Column(
            "five_tier_class",
            sa.Enum(
                "normal",
                "special_mention",
                "substandard",
                "doubtful",
                "loss",
                name="five_tier",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("contradicts_overdue_rules", sa.Boolean(), nullable=False),
        sa.Column("reported_by_id", sa.Integer(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "balance >= 0", name=op.f("ck_loan_status_reports_balance_not_negative")
        ),
        sa.CheckConstraint(
            "days_overdue >= 0",
            name=op.f("ck_loan_status_reports_days_overdue_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["financial_institutions.id"],
            name=op.f("fk_loan_status_reports_institution_id_financial_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_loan_status_reports_loan_id_loans")
        ),
        sa.ForeignKeyConstraint(
            ["reported_by_id"],
            ["users.id"],
            name=op.f("fk_loan_status_reports_reported_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_status_reports")),
        sa.UniqueConstraint("loan_id", "period", name="uq_loan_status_reports_loan_period"),
    )
    with op.batch_alter_table("loan_status_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_loan_status_reports_institution_id"),
            ["institution_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_loan_status_reports_period"), ["period"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("loan_status_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loan_status_reports_period"))
        batch_op.drop_index(batch_op.f("ix_loan_status_reports_institution_id"))

    op.drop_table("loan_status_reports")
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loans_product_id"))
        batch_op.drop_index(batch_op.f("ix_loans_institution_id"))
        batch_op.drop_index(batch_op.f("ix_loans_firm_id"))
        batch_op.drop_index(batch_op.f("ix_loans_disbursed_on"))

    op.drop_table("loans")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leads_status"))
        batch_op.drop_index(batch_op.f("ix_leads_need_id"))
        batch_op.drop_index(batch_op.f("ix_leads_institution_id"))
        batch_op.drop_index(batch_op.f("ix_leads_deadline_at"))
        batch_op.drop_index(batch_op.f("ix_leads_created_at"))

    op.drop_table("leads")
    with op.batch_alter_table("match_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_results_product_id"))
        batch_op.drop_index(batch_op.f("ix_match_results_need_id"))

    op.drop_table("match_results")
    with op.batch_alter_table("rule_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rule_versions_product_id"))
        batch_op.drop_index(batch_op.f("ix_rule_versions_policy_id"))

    op.drop_table("rule_versions")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_user_id"))
        batch_op.drop_index(batch_op.f("ix_notifications_created_at"))

    op.drop_table("notifications")
    with op.batch_alter_table("financing_needs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_financing_needs_status"))
        batch_op.drop_index(batch_op.f("ix_financing_needs_firm_id"))
        batch_op.drop_index(batch_op.f("ix_financing_needs_created_at"))

    op.drop_table("financing_needs")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_firm_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))
        batch_op.drop_index(batch_op.f("ix_audit_log_actor_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_action"))

    op.drop_table("audit_log")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_role"))
        batch_op.drop_index(batch_op.f("ix_users_institution_id"))
        batch_op.drop_index(batch_op.f("ix_users_firm_id"))
        batch_op.drop_index(batch_op.f("ix_users_agency_id"))

    op.drop_table("users")
    with op.batch_alter_table("policy_products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_products_status"))
        batch_op.drop_index(batch_op.f("ix_policy_products_kind"))
        batch_op.drop_index(batch_op.f("ix_policy_products_agency_id"))

    op.drop_table("policy_products")
    with op.batch_alter_table("bank_products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_products_status"))
        batch_op.drop_index(batch_op.f("ix_bank_products_kind"))
        batch_op.drop_index(batch_op.f("ix_bank_products_institution_id"))

    op.drop_table("bank_products")
    op.drop_table("monthly_reports")
    op.drop_table("lpr_rates")
    with op.batch_alter_table("government_agencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_government_agencies_region_code"))

    op.drop_table("government_agencies")
    with op.batch_alter_table("firms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_firms_size_class"))
        batch_op.drop_index(batch_op.f("ix_firms_region_code"))
        batch_op.drop_index(batch_op.f("ix_firms_industry_code"))

    op.drop_table("firms")
    with op.batch_alter_table("financial_institutions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_financial_institutions_region_code"))
        batch_op.drop_index(batch_op.f("ix_financial_institutions_onboarding_status"))

    op.drop_table("financial_institutions")
