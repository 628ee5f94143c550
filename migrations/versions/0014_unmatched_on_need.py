"""The products a need did not qualify for live on the need as one JSON value.

Needs matched before keep their ineligible MatchResult rows, which the need page still reads;
new needs store only their eligible results as rows.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 23:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("financing_needs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unmatched", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("financing_needs", schema=None) as batch_op:
        batch_op.drop_column("unmatched")
