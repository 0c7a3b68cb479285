"""Reports tables: published transparency reports, and the equity alerts' thresholds (node
policy, changed through the API and logged like any other change)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base, UTCDateTime


class TransparencyReport(Base):
    """A signed transparency report: the RFC 8785 bytes, their digest and the node's signature,
    and the sequence number of the log entry that holds the digest."""

    __tablename__ = "reports_transparency"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    document: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    signature: Mapped[str] = mapped_column(String(200))
    ledger_seq: Mapped[int] = mapped_column(BigInteger)


class AlertThresholds(Base):
    """The node's equity alert policy (one row; defaults apply until someone sets it)."""

    __tablename__ = "reports_alert_thresholds"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    ratio: Mapped[float] = mapped_column(Float)
    min_requests: Mapped[int] = mapped_column(Integer)
    small_actor_requests: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
