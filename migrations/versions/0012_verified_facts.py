"""Verified facts: records from the government data exchange with their provenance, which
profile fields they verify, the firm's authorisations and the record of every query, identity
letters and fact disputes.

Existing firms keep what they declared: no field is verified until the exchange is asked.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 19:17:01.473689
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "firm_facts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "registry",
                "tax",
                "social_insurance",
                "qualifications",
                "courts",
                name="fact_source",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("found", sa.Boolean(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_firm_facts_firm_id_firms")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firm_facts")),
    )
    with op.batch_alter_table("firm_facts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_firm_facts_firm_source_fetched", ["firm_id", "source", "fetched_at"], unique=False
        )

    op.create_table(
        "data_authorisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("full_records", sa.Boolean(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_data_authorisations_firm_id_firms")
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_id"], ["users.id"], name=op.f("fk_data_authorisations_granted_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_authorisations")),
    )
    with op.batch_alter_table("data_authorisations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_data_authorisations_firm_id"), ["firm_id"], unique=False
        )

    op.create_table(
        "fact_disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "registry",
                "tax",
                "social_insurance",
                "qualifications",
                "courts",
                name="dispute_source",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("fact_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_fact_disputes_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_fact_disputes_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["fact_id"], ["firm_facts.id"], name=op.f("fk_fact_disputes_fact_id_firm_facts")
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_fact_disputes_firm_id_firms")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fact_disputes")),
    )
    with op.batch_alter_table("fact_disputes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fact_disputes_firm_id"), ["firm_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fact_disputes_status"), ["status"], unique=False)

    op.create_table(
        "identity_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=120), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decision_reason", sa.String(length=200), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_identity_letters_firm_id_firms")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["users.id"], name=op.f("fk_identity_letters_reviewed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_identity_letters_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_letters")),
    )
    with op.batch_alter_table("identity_letters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_letters_firm_id"), ["firm_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_identity_letters_status"), ["status"], unique=False)

    op.create_table(
        "data_queries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("authorisation_id", sa.Integer(), nullable=True),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column(
            "source",
            sa.Enum(
                "registry",
                "tax",
                "social_insurance",
                "qualifications",
                "courts",
                name="query_source",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["authorisation_id"],
            ["data_authorisations.id"],
            name=op.f("fk_data_queries_authorisation_id_data_authorisations"),
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_data_queries_firm_id_firms")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["financial_institutions.id"],
            name=op.f("fk_data_queries_institution_id_financial_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_data_queries_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_data_queries_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_queries")),
    )
    with op.batch_alter_table("data_queries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_data_queries_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_data_queries_firm_id"), ["firm_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_data_queries_institution_id"), ["institution_id"], unique=False
        )

    with op.batch_alter_table("firms", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("verified_fields", sa.JSON(), nullable=False, server_default="{}")
        )
        batch_op.add_column(sa.Column("identity_method", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("identity_verified_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("legal_rep_id_hash", sa.String(length=128), nullable=True))
        batch_op.add_column(
            sa.Column("facts_checked_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_firms_facts_checked_at"), ["facts_checked_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("firms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_firms_facts_checked_at"))
        batch_op.drop_column("facts_checked_at")
        batch_op.drop_column("legal_rep_id_hash")
        batch_op.drop_column("identity_verified_at")
        batch_op.drop_column("identity_method")
        batch_op.drop_column("verified_fields")

    with op.batch_alter_table("data_queries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_queries_institution_id"))
        batch_op.drop_index(batch_op.f("ix_data_queries_firm_id"))
        batch_op.drop_index(batch_op.f("ix_data_queries_created_at"))

    op.drop_table("data_queries")
    with op.batch_alter_table("identity_letters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_letters_status"))
        batch_op.drop_index(batch_op.f("ix_identity_letters_firm_id"))

    op.drop_table("identity_letters")
    with op.batch_alter_table("fact_disputes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fact_disputes_status"))
        batch_op.drop_index(batch_op.f("ix_fact_disputes_firm_id"))

    op.drop_table("fact_disputes")
    with op.batch_alter_table("data_authorisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_authorisations_firm_id"))

    op.drop_table("data_authorisations")
    with op.batch_alter_table("firm_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_firm_facts_firm_source_fetched")

    op.drop_table("firm_facts")
