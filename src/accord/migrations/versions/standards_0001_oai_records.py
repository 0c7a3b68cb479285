"""standards: OAI-PMH harvest index (records in harvest order, a sequence counter)

Revision ID: standards_0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "standards_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("standards",)
depends_on: str | Sequence[str] | None = ("identity_0001", "catalog_0001")

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "oai_records",
        sa.Column("version_id", sa.String(40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(200), nullable=False),
        sa.Column("dataset_id", sa.String(40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.String(40), nullable=False),
        sa.Column("tier", sa.String(20), nullable=False),
        sa.Column("datestamp", TS, nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("oai_dc", sa.Text(), nullable=True),
        sa.Column("datacite", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("version_id", name="pk_oai_records"),
        sa.UniqueConstraint("seq", name="uq_oai_records_seq"),
        sa.UniqueConstraint("identifier", name="uq_oai_records_identifier"),
    )
    op.create_index("ix_oai_records_datestamp", "oai_records", ["datestamp"])
    op.create_index("ix_oai_records_organisation", "oai_records", ["organisation_id", "seq"])
    op.create_index("ix_oai_records_tier", "oai_records", ["tier", "seq"])
    counter = op.create_table(
        "oai_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_oai_counter"),
    )
    op.bulk_insert(counter, [{"id": 1, "value": 0}])


def downgrade() -> None:
    op.drop_table("oai_counter")
    op.drop_index("ix_oai_records_tier", table_name="oai_records")
    op.drop_index("ix_oai_records_organisation", table_name="oai_records")
    op.drop_index("ix_oai_records_datestamp", table_name="oai_records")
    op.drop_table("oai_records")
