"""sandbox: jobs, outputs, privacy budgets

Revision ID: sandbox_0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sandbox_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("sandbox",)
depends_on: str | Sequence[str] | None = ("identity_0001", "catalog_0001")

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sandbox_jobs",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("grant_id", sa.String(40), nullable=False),
        sa.Column("dataset_id", sa.String(40), nullable=False),
        sa.Column("version_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("query_sha256", sa.String(64), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=True),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("grant_expires_at", TS, nullable=False),
        sa.Column("epsilon_micro", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(120), nullable=True),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("submitted_at", TS, nullable=False),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("checked_at", TS, nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("error_code", sa.String(80), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("raw_result", sa.JSON(), nullable=True),
        sa.Column("checks", sa.JSON(), nullable=True),
        sa.Column("review_required", sa.Boolean(), nullable=False),
        sa.Column("fingerprint", sa.JSON(), nullable=True),
        sa.Column("reviewer_id", sa.String(40), nullable=True),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.Column("manifest", sa.Text(), nullable=True),
        sa.Column("manifest_sha256", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sandbox_jobs"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_sandbox_jobs_user_id_users"),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name="fk_sandbox_jobs_dataset_id_datasets"
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["dataset_versions.id"],
            name="fk_sandbox_jobs_version_id_dataset_versions",
        ),
    )
    op.create_index("ix_sandbox_jobs_queue", "sandbox_jobs", ["state", "submitted_at"])
    op.create_index("ix_sandbox_jobs_user", "sandbox_jobs", ["user_id", "id"])
    op.create_index("ix_sandbox_jobs_grant", "sandbox_jobs", ["grant_id", "version_id", "state"])
    op.create_table(
        "sandbox_outputs",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("job_id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sandbox_outputs"),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["sandbox_jobs.id"],
            name="fk_sandbox_outputs_job_id_sandbox_jobs",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_sandbox_outputs_job", "sandbox_outputs", ["job_id", "name"], unique=True)
    op.create_table(
        "sandbox_budgets",
        sa.Column("grant_id", sa.String(40), nullable=False),
        sa.Column("total_micro", sa.BigInteger(), nullable=False),
        sa.Column("spent_micro", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("grant_id", name="pk_sandbox_budgets"),
        sa.CheckConstraint(
            "spent_micro >= 0 AND spent_micro <= total_micro",
            name="ck_sandbox_budgets_within_total",
        ),
    )


def downgrade() -> None:
    op.drop_table("sandbox_budgets")
    op.drop_index("ix_sandbox_outputs_job", table_name="sandbox_outputs")
    op.drop_table("sandbox_outputs")
    op.drop_index("ix_sandbox_jobs_grant", table_name="sandbox_jobs")
    op.drop_index("ix_sandbox_jobs_user", table_name="sandbox_jobs")
    op.drop_index("ix_sandbox_jobs_queue", table_name="sandbox_jobs")
    op.drop_table("sandbox_jobs")
