"""An institution's application carries its licence and business licence as documents.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-11 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "institution_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "licence",
                "business_licence",
                "other",
                name="institution_document_kind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("filename", sa.String(length=120), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["financial_institutions.id"],
            name=op.f("fk_institution_documents_institution_id_financial_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_institution_documents_uploaded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution_documents")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_institution_documents_storage_key")),
    )
    op.create_index(
        op.f("ix_institution_documents_institution_id"),
        "institution_documents",
        ["institution_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_institution_documents_institution_id"), table_name="institution_documents"
    )
    op.drop_table("institution_documents")
