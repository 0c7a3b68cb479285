"""sandbox: privacy budget spending per researcher and dataset, across all their grants

Revision ID: sandbox_0003
Revises: sandbox_0002
Create Date: 2026-12-08

Each per-grant budget row becomes part of its holder's spending on the dataset (the grant's DP
jobs name both). Totals are no longer stored: they come from the grant in use (decision 0506).
A downgrade puts each researcher's spending on the grant of their latest DP job on the dataset,
as an exhausted budget, since the old totals cannot be recovered.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sandbox_0003"
down_revision: str | Sequence[str] | None = "sandbox_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sandbox_privacy_spending",
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("dataset_id", sa.String(40), nullable=False),
        sa.Column("spent_micro", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "dataset_id", name="pk_sandbox_privacy_spending"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_sandbox_privacy_spending_user_id_users"
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name="fk_sandbox_privacy_spending_dataset_id_datasets"
        ),
        sa.CheckConstraint("spent_micro >= 0", name="ck_sandbox_privacy_spending_not_negative"),
    )
    op.execute(
        """
        INSERT INTO sandbox_privacy_spending (user_id, dataset_id, spent_micro, updated_at)
        SELECT holders.user_id, holders.dataset_id, sum(b.spent_micro), max(b.updated_at)
        FROM sandbox_budgets b
        JOIN (SELECT DISTINCT grant_id, user_id, dataset_id FROM sandbox_jobs) holders
          ON holders.grant_id = b.grant_id
        GROUP BY holders.user_id, holders.dataset_id
        """
    )
    op.drop_table("sandbox_budgets")


def downgrade() -> None:
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
    op.execute(
        """
        INSERT INTO sandbox_budgets (grant_id, total_micro, spent_micro, updated_at)
        SELECT (SELECT j.grant_id FROM sandbox_jobs j
                WHERE j.user_id = s.user_id AND j.dataset_id = s.dataset_id
                  AND j.epsilon_micro IS NOT NULL
                ORDER BY j.submitted_at DESC, j.id DESC LIMIT 1),
               s.spent_micro, s.spent_micro, s.updated_at
        FROM sandbox_privacy_spending s
        WHERE EXISTS (SELECT 1 FROM sandbox_jobs j
                      WHERE j.user_id = s.user_id AND j.dataset_id = s.dataset_id
                        AND j.epsilon_micro IS NOT NULL)
        """
    )
    op.drop_table("sandbox_privacy_spending")
