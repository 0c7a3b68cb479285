"""standards: each harvest record keeps its OAI-PMH header ready to send (decision 0405)

Revision ID: standards_0002
Revises: standards_0001
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "standards_0002"
down_revision: str | Sequence[str] | None = "standards_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows indexed before have none: their header is written per request until `accord oai
    # rebuild` (or the next change of the version) stores it.
    op.add_column("oai_records", sa.Column("header", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("oai_records") as batch:
        batch.drop_column("header")
