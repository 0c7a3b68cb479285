"""Agreement tables: agreements, their numbered versions, and attachments to dataset versions.

A version is a draft until published; a published version's document never changes (a change is
a new version). A dataset version is governed by at most one agreement version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.db import Base, UTCDateTime


class Agreement(Base):
    __tablename__ = "agreements"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    versions: Mapped[list[AgreementVersion]] = relationship(
        back_populates="agreement", order_by="AgreementVersion.number", lazy="selectin"
    )


class AgreementVersion(Base):
    __tablename__ = "agreement_versions"
    __table_args__ = (UniqueConstraint("agreement_id", "number"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(20))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agreement: Mapped[Agreement] = relationship(back_populates="versions", lazy="joined")


class Attachment(Base):
    """Which published agreement version governs a dataset version (``dv_…``)."""

    __tablename__ = "agreement_attachments"

    dataset_version_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    version_id: Mapped[str] = mapped_column(ForeignKey("agreement_versions.id"))
    attached_by: Mapped[str] = mapped_column(String(40))
    attached_at: Mapped[datetime] = mapped_column(UTCDateTime)

    version: Mapped[AgreementVersion] = relationship(lazy="joined")
