"""Monthly report editions are archived in English as well as Chinese.

Editions made before this have no English file (both columns NULL): the archive says so.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-14 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("monthly_reports") as batch:
        batch.add_column(sa.Column("pdf_en", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("sha256_en", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("monthly_reports") as batch:
        batch.drop_column("sha256_en")
        batch.drop_column("pdf_en")
