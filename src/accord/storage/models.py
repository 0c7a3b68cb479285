"""Storage tables: ``uploads``, one row per tus resumable upload, owned by its creator."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base, UTCDateTime


class Upload(Base):
    __tablename__ = "uploads"
    __table_args__ = (Index("ix_uploads_state", "state", "expires_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner_user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[str | None] = mapped_column(String(40), index=True)
    """The owner's organisation when the upload was created (for its quota)."""
    length: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(20), default="receiving")
    expected_sha256: Mapped[str | None] = mapped_column(String(64))
    sha256: Mapped[str | None] = mapped_column(String(64))
    filename: Mapped[str | None] = mapped_column(String(1024))
    media_type: Mapped[str | None] = mapped_column(String(200))
    upload_metadata: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BlobRelease(Base):
    """A blob that lost its last reference (a file removed from a draft): the storage sweep
    deletes its bytes if still nothing references it then."""

    __tablename__ = "storage_blob_releases"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    released_at: Mapped[datetime] = mapped_column(UTCDateTime)
