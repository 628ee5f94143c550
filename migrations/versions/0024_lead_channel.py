"""The bank and the firm on an accepted lead: the bank's contact for the firm, messages both
ways, document requests and uploaded documents, and the profile snapshot kept with a decision.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-10 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

DOCUMENT_KINDS = ("business_licence", "financial_statements", "tax_certificate", "other")


def _kind(name: str) -> sa.Enum:
    return sa.Enum(*DOCUMENT_KINDS, name=name, native_enum=False, create_constraint=True, length=24)


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_name", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("contact_phone", sa.String(length=32), nullable=True))

    op.create_table(
        "lead_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _when("created_at"),
        sa.CheckConstraint("side IN ('bank', 'firm')", name=op.f("ck_lead_messages_side_known")),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_lead_messages_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_messages_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_messages")),
    )
    op.create_index(op.f("ix_lead_messages_lead_id"), "lead_messages", ["lead_id"])

    op.create_table(
        "document_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("kind", _kind("document_kind"), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "fulfilled",
                "cancelled",
                name="document_request_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        _when("created_at"),
        _when("closed_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_document_requests_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_document_requests_requested_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_requests")),
    )
    op.create_index(op.f("ix_document_requests_lead_id"), "document_requests", ["lead_id"])

    op.create_table(
        "lead_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("kind", _kind("lead_document_kind"), nullable=False),
        sa.Column("filename", sa.String(length=120), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_lead_documents_firm_id_firms")
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_documents_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["document_requests.id"],
            name=op.f("fk_lead_documents_request_id_document_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_lead_documents_uploaded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_documents")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_lead_documents_storage_key")),
    )
    op.create_index(op.f("ix_lead_documents_lead_id"), "lead_documents", ["lead_id"])
    op.create_index(op.f("ix_lead_documents_firm_id"), "lead_documents", ["firm_id"])
    op.create_index(op.f("ix_lead_documents_request_id"), "lead_documents", ["request_id"])

    op.create_table(
        "lead_profile_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        _when("taken_at"),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_profile_snapshots_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_profile_snapshots")),
        sa.UniqueConstraint("lead_id", name=op.f("uq_lead_profile_snapshots_lead_id")),
    )


def downgrade() -> None:
    op.drop_table("lead_profile_snapshots")
    op.drop_index(op.f("ix_lead_documents_request_id"), table_name="lead_documents")
    op.drop_index(op.f("ix_lead_documents_firm_id"), table_name="lead_documents")
    op.drop_index(op.f("ix_lead_documents_lead_id"), table_name="lead_documents")
    op.drop_table("lead_documents")
    op.drop_index(op.f("ix_document_requests_lead_id"), table_name="document_requests")
    op.drop_table("document_requests")
    op.drop_index(op.f("ix_lead_messages_lead_id"), table_name="lead_messages")
    op.drop_table("lead_messages")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("contact_phone")
        batch_op.drop_column("contact_name")
