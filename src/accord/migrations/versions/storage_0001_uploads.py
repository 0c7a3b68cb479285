"""storage: resumable uploads

Revision ID: storage_0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "storage_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("storage",)
depends_on: str | Sequence[str] | None = "identity_0001"

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "uploads",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("owner_user_id", sa.String(40), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("expected_sha256", sa.String(64), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("filename", sa.String(1024), nullable=True),
        sa.Column("media_type", sa.String(200), nullable=True),
        sa.Column("upload_metadata", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_uploads"),
        sa.ForeignKeyConstraint(
            ["owner_user_id"],
            ["users.id"],
            name="fk_uploads_owner_user_id_users",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_uploads_owner_user_id", "uploads", ["owner_user_id"])
    op.create_index("ix_uploads_state", "uploads", ["state", "expires_at"])


def downgrade() -> None:
    op.drop_index("ix_uploads_state", table_name="uploads")
    op.drop_index("ix_uploads_owner_user_id", table_name="uploads")
    op.drop_table("uploads")
