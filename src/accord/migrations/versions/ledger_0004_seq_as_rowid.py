"""ledger: on SQLite, entry and record numbers are the tables' rowids (decision 0904)

A ``BIGINT`` primary key is a separate index on SQLite: every read by number went through that
index and then the table. Declared ``INTEGER PRIMARY KEY``, the number is the rowid itself, so
appends write one b-tree instead of two and proofs and audits read one. PostgreSQL is unchanged.

Revision ID: ledger_0004
Revises: ledger_0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "ledger_0004"
down_revision: str | Sequence[str] | None = "ledger_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENTRIES = """CREATE TABLE ledger_entries_new (
    seq {seq} NOT NULL,
    event_type VARCHAR(100) NOT NULL,
    created_at DATETIME NOT NULL,
    entry BLOB NOT NULL,
    leaf_hash BLOB NOT NULL,
    nodes BLOB,
    dataset VARCHAR(40),
    CONSTRAINT pk_ledger_entries PRIMARY KEY (seq),
    CONSTRAINT uq_ledger_entries_leaf_hash UNIQUE (leaf_hash)
)"""
RECORDS = """CREATE TABLE ledger_records_new (
    seq {seq} NOT NULL,
    record JSON NOT NULL,
    CONSTRAINT pk_ledger_records PRIMARY KEY (seq)
)"""
INDEXES = (
    "CREATE INDEX ix_ledger_entries_event_type ON ledger_entries (event_type)",
    "CREATE INDEX ix_ledger_entries_dataset ON ledger_entries (dataset)",
)


def upgrade() -> None:
    _rebuild("INTEGER")


def downgrade() -> None:
    _rebuild("BIGINT")


def _rebuild(seq_type: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, create in (("ledger_entries", ENTRIES), ("ledger_records", RECORDS)):
        op.execute(create.format(seq=seq_type))
        op.execute(f"INSERT INTO {table}_new SELECT * FROM {table} ORDER BY seq")
        op.execute(f"DROP TABLE {table}")
        op.execute(f"ALTER TABLE {table}_new RENAME TO {table}")
    for statement in INDEXES:
        op.execute(statement)
