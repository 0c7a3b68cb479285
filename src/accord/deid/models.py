"""De-identification tables: derivations (what was derived from what, under which spec, with
which outcome) and their pseudonym keys, kept apart and wrapped (``keys.py``)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base, UTCDateTime


class KeyState(StrEnum):
    HELD = "held"
    DESTROYED = "destroyed"


class Derivation(Base):
    """One de-identified version derived from one source file (PROV: the derived entity
    ``wasDerivedFrom`` the source, ``wasGeneratedBy`` this activity under the spec)."""

    __tablename__ = "deid_derivations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(String(40), index=True)
    source_dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"), index=True)
    source_version_id: Mapped[str] = mapped_column(ForeignKey("dataset_versions.id"))
    source_number: Mapped[int] = mapped_column(Integer)
    source_file_id: Mapped[str] = mapped_column(String(40))
    source_path: Mapped[str] = mapped_column(String(1024))
    source_sha256: Mapped[str] = mapped_column(String(64))
    derived_dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"), index=True)
    derived_version_id: Mapped[str] = mapped_column(ForeignKey("dataset_versions.id"))
    derived_number: Mapped[int] = mapped_column(Integer)
    derived_file_id: Mapped[str] = mapped_column(String(40))
    derived_path: Mapped[str] = mapped_column(String(1024))
    derived_sha256: Mapped[str] = mapped_column(String(64))
    tier: Mapped[str] = mapped_column(String(20))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    spec_sha256: Mapped[str] = mapped_column(String(64))
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    report_sha256: Mapped[str] = mapped_column(String(64))
    k: Mapped[int] = mapped_column(Integer)
    l_diversity: Mapped[int | None] = mapped_column("l", Integer)
    records_in: Mapped[int] = mapped_column(BigInteger)
    records_out: Mapped[int] = mapped_column(BigInteger)
    records_suppressed: Mapped[int] = mapped_column(BigInteger)
    software: Mapped[str] = mapped_column(String(60))
    key_state: Mapped[str] = mapped_column(String(20))
    key_destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DerivationKey(Base):
    """The derivation's pseudonym key, AES-GCM wrapped; ``wrapped`` is None once destroyed."""

    __tablename__ = "deid_keys"

    derivation_id: Mapped[str] = mapped_column(
        ForeignKey("deid_derivations.id", ondelete="CASCADE"), primary_key=True
    )
    wrapped: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
