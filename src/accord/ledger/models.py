"""Ledger tables: the public entries (with the tree's hashes), checkpoints, and private records.

Every complete subtree hash of the Merkle tree is stored in the row of the entry that completes
it: the row of entry ``i`` holds its leaf hash and, in ``nodes``, the hashes of levels 1 to
``t`` that appending it completed (``t`` = the number of trailing one bits of ``i``), level 1
first. Node ``(level, n)`` is therefore found in row ``(n + 1) * 2**level - 1``. This is the
order in which RFC 6962 logs produce hashes (golang.org/x/mod's ``StoredHashIndex``); it makes
the tree one row per append, written in the same statement as the entry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base, UTCDateTime

SEQ = BigInteger().with_variant(Integer(), "sqlite")
"""Entry numbers: on SQLite ``INTEGER PRIMARY KEY``, the rowid itself (migration ledger_0004)."""


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"

    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=False)
    event_type: Mapped[str] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    entry: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    nodes: Mapped[bytes | None] = mapped_column(LargeBinary)
    """Interior hashes this entry completed, level 1 upwards (NULL when it completed none)."""
    dataset: Mapped[str | None] = mapped_column(String(40), index=True)
    """The ``dataset`` public field, so that the log can be searched by dataset."""


class LedgerRecord(Base):
    """The full record behind an entry (private: shown only to those allowed to see it)."""

    __tablename__ = "ledger_records"

    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=False)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)


class LedgerCheckpoint(Base):
    """A signed tree head, kept forever: the C2SP signed note and what it says."""

    __tablename__ = "ledger_checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text)


class LedgerKey(Base):
    """A signing key of the node and when it was valid: from/until in time (manifests, calls)
    and in log size (the checkpoints it may sign). The current key has no end (decision 1310)."""

    __tablename__ = "ledger_keys"

    fingerprint: Mapped[str] = mapped_column(String(100), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(100))
    """Raw Ed25519 public key, base64."""
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """None for the node's first key: valid since the node began."""
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    from_size: Mapped[int] = mapped_column(BigInteger)
    """The smallest checkpoint (tree size) this key may sign."""
    until_size: Mapped[int | None] = mapped_column(BigInteger)
    """The largest checkpoint this key may sign: the one covering its rotation entry."""
    rotation_seq: Mapped[int | None] = mapped_column(BigInteger)
    """The log entry that introduced this key (None for the first key)."""
    rotation_signature: Mapped[str | None] = mapped_column(String(200))
    """The previous key's signature of the rotation statement, base64."""
