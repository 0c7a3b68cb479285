"""storage: blobs released by their last reference, for the storage sweep to delete

Revision ID: storage_0003
Revises: storage_0002
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "storage_0003"
down_revision: str | Sequence[str] | None = "storage_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "storage_blob_releases",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_storage_blob_releases"),
    )


def downgrade() -> None:
    op.drop_table("storage_blob_releases")
