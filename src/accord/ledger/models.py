"""Ledger tables: the public entries and the private records their digests cover."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base, UTCDateTime


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_type: Mapped[str] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    entry: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)


class LedgerRecord(Base):
    """The full record behind an entry (private: shown only to those allowed to see it)."""

    __tablename__ = "ledger_records"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
