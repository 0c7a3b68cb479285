"""ledger: entries and private records

Revision ID: ledger_0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ledger_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("ledger",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entry", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_ledger_entries"),
        sa.UniqueConstraint("leaf_hash", name="uq_ledger_entries_leaf_hash"),
    )
    op.create_index("ix_ledger_entries_event_type", "ledger_entries", ["event_type"])
    op.create_table(
        "ledger_records",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_ledger_records"),
    )


def downgrade() -> None:
    op.drop_table("ledger_records")
    op.drop_index("ix_ledger_entries_event_type", table_name="ledger_entries")
    op.drop_table("ledger_entries")
