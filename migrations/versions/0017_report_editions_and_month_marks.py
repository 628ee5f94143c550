"""Monthly report editions (provisional, final, revised versions kept side by side) and the
month marks that tell the dashboard rollups and the report job which months changed.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 04:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("monthly_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(
            sa.Column(
                "edition",
                sa.Enum(
                    "provisional",
                    "final",
                    name="report_edition",
                    native_enum=False,
                    create_constraint=True,
                    length=24,
                ),
                nullable=False,
                server_default="final",
            )
        )
        batch_op.add_column(sa.Column("figures", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("coverage", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("changes", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(
            sa.Column(
                "checked_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
        batch_op.drop_constraint("uq_monthly_reports_period_scope", type_="unique")
        batch_op.create_unique_constraint(
            "uq_monthly_reports_period_scope_v", ["period", "scope", "version"]
        )
        batch_op.create_index("ix_monthly_reports_period_scope", ["period", "scope"])
    # The defaults were for the rows already archived; new rows always carry their own values.
    with op.batch_alter_table("monthly_reports", schema=None) as batch_op:
        for column in ("version", "edition", "figures", "coverage", "changes", "checked_at"):
            batch_op.alter_column(column, server_default=None)
    op.create_table(
        "month_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rolled_up", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_month_marks")),
    )
    op.create_index("ix_month_marks_unrolled", "month_marks", ["rolled_up", "period"])
    op.create_index("ix_month_marks_period_marked_at", "month_marks", ["period", "marked_at"])


def downgrade() -> None:
    op.drop_index("ix_month_marks_period_marked_at", table_name="month_marks")
    op.drop_index("ix_month_marks_unrolled", table_name="month_marks")
    op.drop_table("month_marks")
    # Only the newest edition of each month and scope fits the one-row-per-month table.
    op.execute(
        "DELETE FROM monthly_reports WHERE version < "
        "(SELECT MAX(m.version) FROM monthly_reports AS m "
        "WHERE m.period = monthly_reports.period AND m.scope = monthly_reports.scope)"
    )
    with op.batch_alter_table("monthly_reports", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_monthly_reports_report_edition"), type_="check")
        batch_op.drop_index("ix_monthly_reports_period_scope")
        batch_op.drop_constraint("uq_monthly_reports_period_scope_v", type_="unique")
        batch_op.create_unique_constraint("uq_monthly_reports_period_scope", ["period", "scope"])
        for column in ("checked_at", "changes", "coverage", "figures", "edition", "version"):
            batch_op.drop_column(column)
