"""Webhook secrets change without a missed notification: the previous secret's salt is kept for
a day, and deliveries are signed with both until then.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 17:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_subscriptions") as batch:
        batch.add_column(sa.Column("previous_secret_salt", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column("previous_secret_until", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_subscriptions") as batch:
        batch.drop_column("previous_secret_until")
        batch.drop_column("previous_secret_salt")
