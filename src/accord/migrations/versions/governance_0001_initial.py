"""governance: risk assessments, policies and consultations, comments, peers' consultations,
the governance register, what peers run

Revision ID: governance_0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "governance_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("governance",)
depends_on: str | Sequence[str] | None = ("identity_0001", "catalog_0001", "federation_0001")

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "governance_assessments",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("dataset_id", sa.String(40), sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column(
            "version_id", sa.String(40), sa.ForeignKey("dataset_versions.id"), nullable=False
        ),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("assessment", sa.JSON(), nullable=False),
        sa.Column("rules_version", sa.String(100), nullable=False),
        sa.Column("recommendation", sa.JSON(), nullable=False),
        sa.Column("chosen_tier", sa.String(20), nullable=False),
        sa.Column("chosen_mode", sa.String(20), nullable=False),
        sa.Column("justification", sa.Text(), nullable=True),
        sa.Column("assessed_by", sa.String(40), nullable=False),
        sa.Column("assessed_at", TS, nullable=False),
        sa.UniqueConstraint("version_id", "number"),
    )
    op.create_index(
        "ix_governance_assessments_dataset_id", "governance_assessments", ["dataset_id"]
    )
    op.create_table(
        "governance_policies",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("proposed_by", sa.String(40), nullable=False),
        sa.Column("proposed_at", TS, nullable=False),
        sa.Column("effective_at", TS, nullable=True),
        sa.UniqueConstraint("kind", "number"),
    )
    op.create_table(
        "governance_consultations",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "policy_id",
            sa.String(40),
            sa.ForeignKey("governance_policies.id"),
            nullable=False,
            unique=True,
        ),
        sa.Column("opened_at", TS, nullable=False),
        sa.Column("deadline_at", TS, nullable=False),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decided_by", sa.String(40), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=True),
        sa.Column("peers_notified", sa.JSON(), nullable=False),
    )
    op.create_table(
        "governance_comments",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "consultation_id",
            sa.String(40),
            sa.ForeignKey("governance_consultations.id"),
            nullable=False,
        ),
        sa.Column("author_kind", sa.String(10), nullable=False),
        sa.Column("author_id", sa.String(100), nullable=False),
        sa.Column("author_name", sa.String(300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("received_at", TS, nullable=False),
    )
    op.create_index(
        "ix_governance_comments_consultation",
        "governance_comments",
        ["consultation_id", "id"],
    )
    op.create_table(
        "governance_peer_consultations",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("peer_id", sa.String(40), sa.ForeignKey("federation_peers.id"), nullable=False),
        sa.Column("peer_node_id", sa.String(100), nullable=False),
        sa.Column("remote_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("deadline_at", TS, nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("responded_at", TS, nullable=True),
        sa.UniqueConstraint("peer_id", "remote_id"),
    )
    op.create_table(
        "governance_memberships",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("user_id", sa.String(40), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("body", sa.String(20), nullable=False),
        sa.Column("scope_kind", sa.String(20), nullable=False),
        sa.Column("scope_id", sa.String(40), nullable=False),
        sa.Column("role_assignment_id", sa.String(40), nullable=True),
        sa.Column("term_start", sa.Date(), nullable=False),
        sa.Column("term_end", sa.Date(), nullable=False),
        sa.Column("interests", sa.JSON(), nullable=False),
        sa.Column("appointed_by", sa.String(40), nullable=False),
        sa.Column("appointed_at", TS, nullable=False),
        sa.Column("ended_at", TS, nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_governance_memberships_user_id", "governance_memberships", ["user_id"])
    op.create_index(
        "ix_governance_memberships_body", "governance_memberships", ["body", "ended_at"]
    )
    op.create_table(
        "governance_peer_software",
        sa.Column("peer_id", sa.String(40), sa.ForeignKey("federation_peers.id"), primary_key=True),
        sa.Column("peer_node_id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("sbom_url", sa.String(500), nullable=True),
        sa.Column("sbom_sha256", sa.String(64), nullable=True),
        sa.Column("seen_at", TS, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "governance_peer_software",
        "governance_memberships",
        "governance_peer_consultations",
        "governance_comments",
        "governance_consultations",
        "governance_policies",
        "governance_assessments",
    ):
        op.drop_table(table)
