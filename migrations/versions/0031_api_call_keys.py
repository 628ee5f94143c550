"""API calls are logged in batches (portal/api/call_log.py): each row carries the key it was
queued under, unique, so a batch written twice (a flusher stopped between the database's commit
and Redis's trim) adds nothing the second time.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_calls") as batch:
        batch.add_column(sa.Column("call_key", sa.String(length=32), nullable=True))
        batch.create_unique_constraint(batch.f("uq_api_calls_call_key"), ["call_key"])


def downgrade() -> None:
    with op.batch_alter_table("api_calls") as batch:
        batch.drop_constraint("uq_api_calls_call_key", type_="unique")
        batch.drop_column("call_key")
