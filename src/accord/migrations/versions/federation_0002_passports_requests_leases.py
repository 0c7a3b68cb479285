"""federation: mutual recognition of visas, visiting researchers, cross-node requests, leases

Revision ID: federation_0002
Revises: federation_0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "federation_0002"
down_revision: str | Sequence[str] | None = "federation_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
PEER = "federation_peers.id"


def upgrade() -> None:
    op.create_table(
        "federation_recognitions",
        sa.Column("peer_id", sa.String(40), sa.ForeignKey(PEER), primary_key=True),
        sa.Column("kind", sa.String(120), primary_key=True),
        sa.Column("added_by", sa.String(40), nullable=False),
        sa.Column("added_at", TS, nullable=False),
    )
    op.create_table(
        "federation_visitors",
        sa.Column("user_id", sa.String(40), primary_key=True),
        sa.Column("peer_id", sa.String(40), sa.ForeignKey(PEER), nullable=False),
        sa.Column("subject", sa.String(100), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("peer_id", "subject"),
    )
    op.create_table(
        "federation_remote_requests",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("peer_id", sa.String(40), sa.ForeignKey(PEER), nullable=False),
        sa.Column("dataset_id", sa.String(40), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("project_title", sa.String(300), nullable=False),
        sa.Column("remote_id", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=True),
        sa.Column("grant_id", sa.String(40), nullable=True),
        sa.Column("grant_state", sa.String(20), nullable=True),
        sa.Column("grant_expires_at", TS, nullable=True),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("refused_visas", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("checked_at", TS, nullable=False),
    )
    op.create_index(
        "ix_federation_remote_requests_user", "federation_remote_requests", ["user_id", "id"]
    )
    op.create_table(
        "federation_leases",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("holder", sa.String(100), nullable=False),
        sa.Column("expires_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_index("ix_federation_remote_requests_user", "federation_remote_requests")
    for table in (
        "federation_leases",
        "federation_remote_requests",
        "federation_visitors",
        "federation_recognitions",
    ):
        op.drop_table(table)
