"""federation: peers, nonces, harvested records, witnessing, cosignatures, mirrors

Revision ID: federation_0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "federation_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("federation",)
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
PEER = "federation_peers.id"


def upgrade() -> None:
    op.create_table(
        "federation_peers",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("node_id", sa.String(100), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("jurisdiction", sa.String(10), nullable=False),
        sa.Column("base_url", sa.String(500), nullable=False, unique=True),
        sa.Column("public_key", sa.String(100), nullable=False),
        sa.Column("fingerprint", sa.String(100), nullable=False, unique=True),
        sa.Column("log_origin", sa.String(500), nullable=False),
        sa.Column("log_key", sa.String(500), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("added_by", sa.String(40), nullable=False),
        sa.Column("added_at", TS, nullable=False),
        sa.Column("confirmed_at", TS, nullable=True),
    )
    op.create_table(
        "federation_nonces",
        sa.Column("nonce", sa.String(100), primary_key=True),
        sa.Column("peer_id", sa.String(40), sa.ForeignKey(PEER), nullable=False),
        sa.Column("seen_at", TS, nullable=False, index=True),
    )
    op.create_table(
        "federation_remote_records",
        sa.Column("identifier", sa.String(300), primary_key=True),
        sa.Column("peer_id", sa.String(40), sa.ForeignKey(PEER), nullable=False),
        sa.Column("pid", sa.String(300), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("creators", sa.Text(), nullable=False),
        sa.Column("subjects", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("rights", sa.Text(), nullable=False),
        sa.Column("datestamp", TS, nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("resource", sa.Text(), nullable=True),
        sa.Column("harvested_at", TS, nullable=False),
    )
    op.create_index(
        "ix_federation_remote_records_peer_datestamp",
        "federation_remote_records",
        ["peer_id", "datestamp"],
    )
    op.create_table(
        "federation_harvests",
        sa.Column("peer_id", sa.String(40), sa.ForeignKey(PEER), primary_key=True),
        sa.Column("last_datestamp", TS, nullable=True),
        sa.Column("last_run_at", TS, nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
    )
    op.create_table(
        "federation_witnessed",
        sa.Column("peer_id", sa.String(40), sa.ForeignKey(PEER), primary_key=True),
        sa.Column("size", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("cosignature", sa.Text(), nullable=False),
        sa.Column("witnessed_at", TS, nullable=False),
    )
    op.create_table(
        "federation_forks",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("peer_id", sa.String(40), sa.ForeignKey(PEER), nullable=False, index=True),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("seen_note", sa.Text(), nullable=False),
        sa.Column("new_note", sa.Text(), nullable=False),
        sa.Column("detected_at", TS, nullable=False),
    )
    op.create_table(
        "federation_cosignatures",
        sa.Column("size", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("peer_id", sa.String(40), sa.ForeignKey(PEER), primary_key=True),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("received_at", TS, nullable=False),
    )
    op.create_table(
        "federation_mirrors",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("peer_id", sa.String(40), sa.ForeignKey(PEER), nullable=False),
        sa.Column("dataset_id", sa.String(40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("pid", sa.String(300), nullable=False, unique=True),
        sa.Column("manifest", sa.Text(), nullable=False),
        sa.Column("manifest_signature", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "federation_mirror_files",
        sa.Column(
            "mirror_id", sa.String(40), sa.ForeignKey("federation_mirrors.id"), primary_key=True
        ),
        sa.Column("path", sa.String(500), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "federation_mirror_files",
        "federation_mirrors",
        "federation_cosignatures",
        "federation_forks",
        "federation_witnessed",
        "federation_harvests",
        "federation_remote_records",
        "federation_nonces",
        "federation_peers",
    ):
        op.drop_table(table)
