"""catalog: each search entry carries its facet values as one column, counted in one pass

Revision ID: catalog_0003
Revises: catalog_0002
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "catalog_0003"
down_revision: str | Sequence[str] | None = "catalog_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2_000


def upgrade() -> None:
    op.add_column(
        "catalog_search",
        sa.Column("facet_keys", sa.Text(), nullable=False, server_default=""),
    )
    _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    """Fill ``facet_keys`` as ``accord.catalog.search_index.facet_keys`` writes it (the format
    is spelled out here so that this revision keeps working whatever that module becomes)."""
    entries = conn.execute(
        sa.text(
            "SELECT id, tier, licence, country, organisation_id, organisation_name, year "
            "FROM catalog_search ORDER BY id"
        )
    ).all()
    subjects: dict[int, list[str]] = {}
    for search_id, subject in conn.execute(
        sa.text("SELECT search_id, subject FROM catalog_search_subjects ORDER BY search_id")
    ):
        subjects.setdefault(search_id, []).append(subject)
    update = sa.text("UPDATE catalog_search SET facet_keys = :keys WHERE id = :id")
    rows = [{"id": e[0], "keys": _keys(e[1:], subjects.get(e[0], []))} for e in entries]
    # The full-text index does not read facet_keys: its update trigger stays out of the way.
    trigger = None
    if conn.dialect.name == "sqlite":
        trigger = conn.scalar(
            sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :n"),
            {"n": "catalog_search_au"},
        )
        if trigger:
            conn.execute(sa.text("DROP TRIGGER catalog_search_au"))
    for first in range(0, len(rows), BATCH):
        conn.execute(update, rows[first : first + BATCH])
    if trigger:
        conn.execute(sa.text(trigger))


def _keys(entry: Sequence[object], subjects: list[str]) -> str:
    tier, licence, country, organisation_id, organisation_name, year = entry
    tokens = [
        "t" + _escape(str(tier)),
        "l" + _escape(str(licence)),
        "o" + _escape(str(organisation_id)) + "\t" + _escape(str(organisation_name)),
        "y" + str(year),
    ]
    if country:
        tokens.append("c" + _escape(str(country)))
    tokens += ["s" + _escape(s) for s in subjects]
    return "\n".join(tokens)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def downgrade() -> None:
    op.drop_column("catalog_search", "facet_keys")
