"""Supervision: monthly status file uploads and platform settings.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 20:20:26.493355
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "system_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_system_settings")),
    )
    op.create_table(
        "loan_report_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("warning_count", sa.Integer(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["financial_institutions.id"],
            name=op.f("fk_loan_report_uploads_institution_id_financial_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_loan_report_uploads_uploaded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_report_uploads")),
    )
    with op.batch_alter_table("loan_report_uploads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_loan_report_uploads_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_loan_report_uploads_uploaded_at"), ["uploaded_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("loan_report_uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loan_report_uploads_uploaded_at"))
        batch_op.drop_index(batch_op.f("ix_loan_report_uploads_institution_id"))

    op.drop_table("loan_report_uploads")
    op.drop_table("system_settings")
