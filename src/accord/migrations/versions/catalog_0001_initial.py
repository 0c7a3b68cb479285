"""catalog: datasets, versions, files, terms acceptances, search index (FTS5 / tsvector + GIN)

Revision ID: catalog_0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "catalog_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("catalog",)
depends_on: str | Sequence[str] | None = "identity_0001"

TS = sa.DateTime(timezone=True)
FTS_COLUMNS = ("title", "description", "subjects", "keywords", "creators")
# bm25 column weights, in FTS_COLUMNS order: a title hit counts most, a description hit least.
BM25_WEIGHTS = "bm25(10.0, 1.0, 4.0, 4.0, 2.0)"


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("organisation_id", sa.String(40), nullable=False),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_datasets"),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_datasets_organisation_id_organisations",
        ),
    )
    op.create_index("ix_datasets_organisation_id", "datasets", ["organisation_id"])
    op.create_table(
        "dataset_versions",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("dataset_id", sa.String(40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("tier", sa.String(20), nullable=False),
        sa.Column("licence", sa.String(300), nullable=False),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("published_at", TS, nullable=True),
        sa.Column("withdrawn_at", TS, nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.Column("manifest", sa.Text(), nullable=True),
        sa.Column("manifest_sha256", sa.String(64), nullable=True),
        sa.Column("manifest_signature", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_dataset_versions"),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name="fk_dataset_versions_dataset_id_datasets"
        ),
        sa.UniqueConstraint("dataset_id", "number", name="uq_dataset_versions_dataset_id"),
    )
    op.create_table(
        "dataset_files",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("version_id", sa.String(40), nullable=False),
        sa.Column("path", sa.String(1024), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("media_type", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dataset_files"),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["dataset_versions.id"],
            name="fk_dataset_files_version_id_dataset_versions",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("version_id", "path", name="uq_dataset_files_version_id"),
    )
    op.create_index("ix_dataset_files_sha256", "dataset_files", ["sha256"])
    op.create_table(
        "terms_acceptances",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("dataset_id", sa.String(40), nullable=False),
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("terms_sha256", sa.String(64), nullable=False),
        sa.Column("accepted_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_terms_acceptances"),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name="fk_terms_acceptances_dataset_id_datasets"
        ),
        sa.UniqueConstraint(
            "dataset_id", "user_id", "terms_sha256", name="uq_terms_acceptances_dataset_id"
        ),
    )
    _search_tables()
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_text_index()
    else:
        _sqlite_fts5_index()


def _search_tables() -> None:
    op.create_table(
        "catalog_search",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dataset_id", sa.String(40), nullable=False),
        sa.Column("version_id", sa.String(40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("pid", sa.String(120), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("subjects", sa.Text(), nullable=False),
        sa.Column("keywords", sa.Text(), nullable=False),
        sa.Column("creators", sa.Text(), nullable=False),
        sa.Column("tier", sa.String(20), nullable=False),
        sa.Column("licence", sa.String(300), nullable=False),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("organisation_id", sa.String(40), nullable=False),
        sa.Column("organisation_name", sa.String(300), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("published_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_search"),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name="fk_catalog_search_dataset_id_datasets",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("dataset_id", name="uq_catalog_search_dataset_id"),
    )
    op.create_index(
        "ix_catalog_search_state_published", "catalog_search", ["state", "published_at"]
    )
    op.create_index("ix_catalog_search_state_tier", "catalog_search", ["state", "tier"])
    op.create_table(
        "catalog_search_subjects",
        sa.Column("search_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("search_id", "subject", name="pk_catalog_search_subjects"),
        sa.ForeignKeyConstraint(
            ["search_id"],
            ["catalog_search.id"],
            name="fk_catalog_search_subjects_search_id_catalog_search",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_catalog_search_subjects_subject", "catalog_search_subjects", ["subject", "search_id"]
    )


def _sqlite_fts5_index() -> None:
    """An external-content FTS5 table over catalog_search, kept in step by triggers."""
    cols = ", ".join(FTS_COLUMNS)
    new = ", ".join(f"new.{c}" for c in FTS_COLUMNS)
    old = ", ".join(f"old.{c}" for c in FTS_COLUMNS)
    op.execute(
        f"CREATE VIRTUAL TABLE catalog_fts USING fts5({cols}, content='catalog_search', "
        "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"
    )
    op.execute(f"INSERT INTO catalog_fts(catalog_fts, rank) VALUES ('rank', '{BM25_WEIGHTS}')")
    op.execute(
        "CREATE TRIGGER catalog_search_ai AFTER INSERT ON catalog_search BEGIN "
        f"INSERT INTO catalog_fts(rowid, {cols}) VALUES (new.id, {new}); END"
    )
    op.execute(
        "CREATE TRIGGER catalog_search_ad AFTER DELETE ON catalog_search BEGIN "
        f"INSERT INTO catalog_fts(catalog_fts, rowid, {cols}) VALUES ('delete', old.id, {old}); "
        "END"
    )
    op.execute(
        "CREATE TRIGGER catalog_search_au AFTER UPDATE ON catalog_search BEGIN "
        f"INSERT INTO catalog_fts(catalog_fts, rowid, {cols}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO catalog_fts(rowid, {cols}) VALUES (new.id, {new}); END"
    )


def _postgresql_text_index() -> None:
    """A generated, weighted tsvector column (title A; subjects, keywords B; creators C;
    description D) with a GIN index."""
    op.execute(
        "ALTER TABLE catalog_search ADD COLUMN document tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('english'::regconfig, title), 'A') || "
        "setweight(to_tsvector('english'::regconfig, subjects || ' ' || keywords), 'B') || "
        "setweight(to_tsvector('english'::regconfig, creators), 'C') || "
        "setweight(to_tsvector('english'::regconfig, description), 'D')) STORED"
    )
    op.execute("CREATE INDEX ix_catalog_search_document ON catalog_search USING GIN (document)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        for trigger in ("catalog_search_ai", "catalog_search_ad", "catalog_search_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS catalog_fts")
    op.drop_table("catalog_search_subjects")
    op.drop_table("catalog_search")
    op.drop_table("terms_acceptances")
    op.drop_table("dataset_files")
    op.drop_table("dataset_versions")
    op.drop_table("datasets")
