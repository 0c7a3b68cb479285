"""ledger: stored tree hashes, dataset index, checkpoints

Revision ID: ledger_0002
Revises: ledger_0001
Create Date: 2026-11-24
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ledger_0002"
down_revision: str | Sequence[str] | None = "ledger_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_entries") as batch:
        batch.add_column(sa.Column("nodes", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("dataset", sa.String(40), nullable=True))
        batch.create_index("ix_ledger_entries_dataset", ["dataset"])
    op.create_table(
        "ledger_checkpoints",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("size", name="pk_ledger_checkpoints"),
    )
    _store_interior_hashes()


def _store_interior_hashes() -> None:
    """Entries appended before this revision get the interior hashes they completed."""
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT seq, leaf_hash FROM ledger_entries ORDER BY seq"))
    stack: list[bytes] = []
    for seq, leaf in rows.fetchall():
        completed, h, index = [], bytes(leaf), seq
        while index & 1:
            h = hashlib.sha256(b"\x01" + stack.pop() + h).digest()
            completed.append(h)
            index >>= 1
        stack.append(h)
        if completed:
            conn.execute(
                sa.text("UPDATE ledger_entries SET nodes = :nodes WHERE seq = :seq"),
                {"nodes": b"".join(completed), "seq": seq},
            )


def downgrade() -> None:
    op.drop_table("ledger_checkpoints")
    with op.batch_alter_table("ledger_entries") as batch:
        batch.drop_index("ix_ledger_entries_dataset")
        batch.drop_column("dataset")
        batch.drop_column("nodes")
