"""sandbox: jobs name what ran them (engine, libraries, dataset version) and what they re-run

Revision ID: sandbox_0002
Revises: sandbox_0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sandbox_0002"
down_revision: str | Sequence[str] | None = "sandbox_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sandbox_jobs") as batch:
        batch.add_column(sa.Column("environment", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("rerun_of", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sandbox_jobs") as batch:
        batch.drop_column("rerun_of")
        batch.drop_column("environment")
