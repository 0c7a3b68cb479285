"""deid: derivations and their wrapped pseudonym keys

Revision ID: deid_0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "deid_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("deid",)
depends_on: str | Sequence[str] | None = "catalog_0001"

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "deid_derivations",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("organisation_id", sa.String(40), nullable=False),
        sa.Column("source_dataset_id", sa.String(40), nullable=False),
        sa.Column("source_version_id", sa.String(40), nullable=False),
        sa.Column("source_number", sa.Integer(), nullable=False),
        sa.Column("source_file_id", sa.String(40), nullable=False),
        sa.Column("source_path", sa.String(1024), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("derived_dataset_id", sa.String(40), nullable=False),
        sa.Column("derived_version_id", sa.String(40), nullable=False),
        sa.Column("derived_number", sa.Integer(), nullable=False),
        sa.Column("derived_file_id", sa.String(40), nullable=False),
        sa.Column("derived_path", sa.String(1024), nullable=False),
        sa.Column("derived_sha256", sa.String(64), nullable=False),
        sa.Column("tier", sa.String(20), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("spec_sha256", sa.String(64), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("report_sha256", sa.String(64), nullable=False),
        sa.Column("k", sa.Integer(), nullable=False),
        sa.Column("l", sa.Integer(), nullable=True),
        sa.Column("records_in", sa.BigInteger(), nullable=False),
        sa.Column("records_out", sa.BigInteger(), nullable=False),
        sa.Column("records_suppressed", sa.BigInteger(), nullable=False),
        sa.Column("software", sa.String(60), nullable=False),
        sa.Column("key_state", sa.String(20), nullable=False),
        sa.Column("key_destroyed_at", TS, nullable=True),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deid_derivations"),
        sa.ForeignKeyConstraint(
            ["source_dataset_id"],
            ["datasets.id"],
            name="fk_deid_derivations_source_dataset_id_datasets",
        ),
        sa.ForeignKeyConstraint(
            ["source_version_id"],
            ["dataset_versions.id"],
            name="fk_deid_derivations_source_version_id_dataset_versions",
        ),
        sa.ForeignKeyConstraint(
            ["derived_dataset_id"],
            ["datasets.id"],
            name="fk_deid_derivations_derived_dataset_id_datasets",
        ),
        sa.ForeignKeyConstraint(
            ["derived_version_id"],
            ["dataset_versions.id"],
            name="fk_deid_derivations_derived_version_id_dataset_versions",
        ),
    )
    op.create_index("ix_deid_derivations_organisation_id", "deid_derivations", ["organisation_id"])
    op.create_index(
        "ix_deid_derivations_source_dataset_id", "deid_derivations", ["source_dataset_id"]
    )
    op.create_index(
        "ix_deid_derivations_derived_dataset_id", "deid_derivations", ["derived_dataset_id"]
    )
    op.create_table(
        "deid_keys",
        sa.Column("derivation_id", sa.String(40), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("derivation_id", name="pk_deid_keys"),
        sa.ForeignKeyConstraint(
            ["derivation_id"],
            ["deid_derivations.id"],
            name="fk_deid_keys_derivation_id_deid_derivations",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("deid_keys")
    op.drop_index("ix_deid_derivations_derived_dataset_id", "deid_derivations")
    op.drop_index("ix_deid_derivations_source_dataset_id", "deid_derivations")
    op.drop_index("ix_deid_derivations_organisation_id", "deid_derivations")
    op.drop_table("deid_derivations")
