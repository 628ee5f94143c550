"""Financing guarantees: guarantor roles, guarantee products with versioned rules, their
agreements with bank products, guarantee requests and guarantee letters.

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
            sa.Column(
                "guarantee_required", sa.Boolean(), nullable=False, server_default=sa.false()
            )
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


def downgrade() -> None:
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
