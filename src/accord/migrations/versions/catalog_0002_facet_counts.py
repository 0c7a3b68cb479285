"""catalog: facet counts of the unfiltered catalogue, kept in step on publish and withdraw

Revision ID: catalog_0002
Revises: catalog_0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "catalog_0002"
down_revision: str | Sequence[str] | None = "catalog_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalog_facet_counts",
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("facet", sa.String(20), nullable=False),
        sa.Column("value", sa.String(300), nullable=False),
        sa.Column("label", sa.String(300), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("state", "facet", "value", name="pk_catalog_facet_counts"),
    )
    op.execute(
        "INSERT INTO catalog_facet_counts (state, facet, value, label, count) "
        "SELECT state, '', '', '', count(*) FROM catalog_search GROUP BY state"
    )
    for facet, value, label in (
        ("tier", "tier", "tier"),
        ("licence", "licence", "licence"),
        ("country", "country", "country"),
        ("organisation", "organisation_id", "max(organisation_name)"),
        ("year", "CAST(year AS VARCHAR(4))", "CAST(year AS VARCHAR(4))"),
    ):
        op.execute(
            "INSERT INTO catalog_facet_counts (state, facet, value, label, count) "
            f"SELECT state, '{facet}', {value}, {label}, count(*) FROM catalog_search "
            f"WHERE {value} IS NOT NULL GROUP BY state, {value}"
        )
    op.execute(
        "INSERT INTO catalog_facet_counts (state, facet, value, label, count) "
        "SELECT e.state, 'subject', s.subject, s.subject, count(*) FROM catalog_search_subjects s "
        "JOIN catalog_search e ON e.id = s.search_id GROUP BY e.state, s.subject"
    )


def downgrade() -> None:
    op.drop_table("catalog_facet_counts")
