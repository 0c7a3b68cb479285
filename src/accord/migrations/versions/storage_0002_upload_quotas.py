"""storage: uploads carry the owner's organisation (organisation quotas)

Revision ID: storage_0002
Revises: storage_0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "storage_0002"
down_revision: str | Sequence[str] | None = "storage_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("uploads") as batch:
        batch.add_column(sa.Column("organisation_id", sa.String(40), nullable=True))
        batch.create_index("ix_uploads_organisation_id", ["organisation_id"])


def downgrade() -> None:
    with op.batch_alter_table("uploads") as batch:
        batch.drop_index("ix_uploads_organisation_id")
        batch.drop_column("organisation_id")
