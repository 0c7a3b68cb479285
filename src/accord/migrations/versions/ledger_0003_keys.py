"""ledger: the node's signing keys with their validity (key rotation)

Revision ID: ledger_0003
Revises: ledger_0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ledger_0003"
down_revision: str | Sequence[str] | None = "ledger_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_keys",
        sa.Column("fingerprint", sa.String(100), nullable=False),
        sa.Column("public_key", sa.String(100), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("from_size", sa.BigInteger(), nullable=False),
        sa.Column("until_size", sa.BigInteger(), nullable=True),
        sa.Column("rotation_seq", sa.BigInteger(), nullable=True),
        sa.Column("rotation_signature", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("fingerprint", name="pk_ledger_keys"),
    )


def downgrade() -> None:
    op.drop_table("ledger_keys")
