"""Catalog tables: datasets, their versions and files, terms acceptances, and the search index.

A version's ``metadata`` column holds the validated ``DatasetMetadata`` document; the columns
beside it (title, tier, licence) are copies for listing and checks. ``catalog_search`` holds one
row per dataset with a published (or withdrawn) version: the full-text index (SQLite FTS5 table
``catalog_fts`` kept in step by triggers; on PostgreSQL a generated ``tsvector`` column with a
GIN index) is created per dialect by the ``catalog_0001`` migration.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.db import Base, UTCDateTime


class VersionState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class Dataset(Base):
    __tablename__ = "datasets"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    versions: Mapped[list[DatasetVersion]] = relationship(
        back_populates="dataset", order_by="DatasetVersion.number", lazy="selectin"
    )


class DatasetVersion(Base):
    __tablename__ = "dataset_versions"
    __table_args__ = (UniqueConstraint("dataset_id", "number"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"))
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    document: Mapped[dict[str, Any]] = mapped_column("metadata", JSON)
    title: Mapped[str] = mapped_column(String(500))
    tier: Mapped[str] = mapped_column(String(20))
    licence: Mapped[str] = mapped_column(String(300))
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    manifest: Mapped[str | None] = mapped_column(Text)
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    manifest_signature: Mapped[str | None] = mapped_column(String(200))

    dataset: Mapped[Dataset] = relationship(back_populates="versions", lazy="joined")
    files: Mapped[list[DatasetFile]] = relationship(
        back_populates="version",
        order_by="DatasetFile.path",
        lazy="selectin",
        cascade="all, delete-orphan",
    )


class DatasetFile(Base):
    __tablename__ = "dataset_files"
    __table_args__ = (UniqueConstraint("version_id", "path"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    version_id: Mapped[str] = mapped_column(ForeignKey("dataset_versions.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(1024))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    media_type: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    version: Mapped[DatasetVersion] = relationship(back_populates="files", lazy="joined")

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


class TermsAcceptance(Base):
    """A signed-in user accepted a dataset's terms of use (identified by their SHA-256)."""

    __tablename__ = "terms_acceptances"
    __table_args__ = (UniqueConstraint("dataset_id", "user_id", "terms_sha256"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"))
    user_id: Mapped[str] = mapped_column(String(40))
    version_number: Mapped[int] = mapped_column(Integer)
    terms_sha256: Mapped[str] = mapped_column(String(64))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SearchEntry(Base):
    """The searchable face of a dataset: its current published (or withdrawn) version."""

    __tablename__ = "catalog_search"
    __table_args__ = (
        Index("ix_catalog_search_state_published", "state", "published_at"),
        Index("ix_catalog_search_state_tier", "state", "tier"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), unique=True
    )
    version_id: Mapped[str] = mapped_column(String(40))
    number: Mapped[int] = mapped_column(Integer)
    pid: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text)
    subjects: Mapped[str] = mapped_column(Text)
    keywords: Mapped[str] = mapped_column(Text)
    creators: Mapped[str] = mapped_column(Text)
    tier: Mapped[str] = mapped_column(String(20))
    licence: Mapped[str] = mapped_column(String(300))
    country: Mapped[str | None] = mapped_column(String(2))
    organisation_id: Mapped[str] = mapped_column(String(40))
    organisation_name: Mapped[str] = mapped_column(String(300))
    year: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Every facet value of the entry in one column (``search_index.facet_keys``): a search
    # counts all its facets from one short string per match.
    facet_keys: Mapped[str] = mapped_column(Text, default="", server_default="")


class SearchSubject(Base):
    """One subject of a search entry (the subject facet is multi-valued)."""

    __tablename__ = "catalog_search_subjects"
    __table_args__ = (Index("ix_catalog_search_subjects_subject", "subject", "search_id"),)

    search_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_search.id", ondelete="CASCADE"), primary_key=True
    )
    subject: Mapped[str] = mapped_column(String(200), primary_key=True)


class FacetTally(Base):
    """How many search entries in a state carry each facet value: the counts of the unfiltered
    catalogue (its landing page), kept in step by ``search_index`` instead of recounted."""

    __tablename__ = "catalog_facet_counts"

    state: Mapped[str] = mapped_column(String(20), primary_key=True)
    facet: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(300), primary_key=True)
    label: Mapped[str] = mapped_column(String(300))
    count: Mapped[int] = mapped_column(Integer)
