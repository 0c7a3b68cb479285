"""agreements: agreements, numbered versions, attachments to dataset versions

Revision ID: agreements_0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "agreements_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("agreements",)
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "agreements",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_agreements"),
    )
    op.create_table(
        "agreement_versions",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("agreement_id", sa.String(40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("tier", sa.String(20), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("published_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_agreement_versions"),
        sa.UniqueConstraint("agreement_id", "number", name="uq_agreement_versions_agreement_id"),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name="fk_agreement_versions_agreement_id_agreements",
        ),
    )
    op.create_index("ix_agreement_versions_agreement_id", "agreement_versions", ["agreement_id"])
    op.create_table(
        "agreement_attachments",
        sa.Column("dataset_version_id", sa.String(40), nullable=False),
        sa.Column("version_id", sa.String(40), nullable=False),
        sa.Column("attached_by", sa.String(40), nullable=False),
        sa.Column("attached_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("dataset_version_id", name="pk_agreement_attachments"),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["agreement_versions.id"],
            name="fk_agreement_attachments_version_id_agreement_versions",
        ),
    )


def downgrade() -> None:
    op.drop_table("agreement_attachments")
    op.drop_index("ix_agreement_versions_agreement_id", table_name="agreement_versions")
    op.drop_table("agreement_versions")
    op.drop_table("agreements")
