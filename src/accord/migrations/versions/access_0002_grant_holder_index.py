"""access: the holder index of grants also orders by expiry (the download check's only read)

Revision ID: access_0002
Revises: access_0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "access_0002"
down_revision: str | Sequence[str] | None = "access_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_access_grants_holder", table_name="access_grants")
    op.create_index(
        "ix_access_grants_holder",
        "access_grants",
        ["user_id", "version_id", "status", "expires_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_access_grants_holder", table_name="access_grants")
    op.create_index("ix_access_grants_holder", "access_grants", ["user_id", "version_id", "status"])
