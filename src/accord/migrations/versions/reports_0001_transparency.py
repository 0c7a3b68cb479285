"""reports: signed transparency reports and the equity alerts' thresholds

Revision ID: reports_0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "reports_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("reports",)
depends_on: str | Sequence[str] | None = ("ledger_0001",)

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reports_transparency",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("period_start", TS, nullable=False),
        sa.Column("period_end", TS, nullable=False),
        sa.Column("issued_at", TS, nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reports_transparency"),
        sa.UniqueConstraint("sha256", name="uq_reports_transparency_sha256"),
    )
    op.create_index(
        "ix_reports_transparency_period_end", "reports_transparency", ["period_end"], unique=False
    )
    op.create_table(
        "reports_alert_thresholds",
        sa.Column("id", sa.String(length=20), nullable=False),
        sa.Column("ratio", sa.Float(), nullable=False),
        sa.Column("min_requests", sa.Integer(), nullable=False),
        sa.Column("small_actor_requests", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reports_alert_thresholds"),
    )


def downgrade() -> None:
    op.drop_table("reports_alert_thresholds")
    op.drop_index("ix_reports_transparency_period_end", table_name="reports_transparency")
    op.drop_table("reports_transparency")
