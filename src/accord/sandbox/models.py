"""Sandbox tables: jobs (the durable queue), their released outputs, and privacy budget spending.

A job row is also its queue entry: workers take the oldest ``queued`` row (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL; SQLite serialises writers). What a researcher has spent of a privacy
budget is kept per dataset, in integer millionths of epsilon, so that spending is exact
arithmetic; a check constraint keeps it from going below zero whatever the caller does.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base, UTCDateTime

MICRO = 1_000_000
"""Budgets and spends are stored in millionths of epsilon."""


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    CHECKED = "checked"
    RELEASED = "released"
    WITHHELD = "withheld"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in {JobState.RELEASED, JobState.WITHHELD, JobState.FAILED}


class JobKind(StrEnum):
    SQL = "sql"
    DP = "dp"


class Job(Base):
    __tablename__ = "sandbox_jobs"
    __table_args__ = (
        Index("ix_sandbox_jobs_queue", "state", "submitted_at"),
        Index("ix_sandbox_jobs_user", "user_id", "id"),
        Index("ix_sandbox_jobs_grant", "grant_id", "version_id", "state"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    grant_id: Mapped[str] = mapped_column(String(40))
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"))
    version_id: Mapped[str] = mapped_column(ForeignKey("dataset_versions.id"))
    kind: Mapped[str] = mapped_column(String(10))
    query: Mapped[str] = mapped_column(Text)
    query_sha256: Mapped[str] = mapped_column(String(64))
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    grant_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    epsilon_micro: Mapped[int | None] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(20))
    progress: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error_code: Mapped[str | None] = mapped_column(String(80))
    error_message: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    raw_result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    checks: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    review_required: Mapped[bool] = mapped_column(Boolean, default=False)
    fingerprint: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reviewer_id: Mapped[str | None] = mapped_column(String(40))
    review_reason: Mapped[str | None] = mapped_column(Text)
    manifest: Mapped[str | None] = mapped_column(Text)
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    environment: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """What the job ran on: engine and library versions, the dataset version and its files."""
    rerun_of: Mapped[str | None] = mapped_column(String(40))


class Output(Base):
    """A released file of a job (the result table, the manifest), stored as a blob."""

    __tablename__ = "sandbox_outputs"
    __table_args__ = (Index("ix_sandbox_outputs_job", "job_id", "name", unique=True),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("sandbox_jobs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(100))


class PrivacySpending(Base):
    """The epsilon one researcher has spent on DP measurements of one dataset, across all their
    grants on it (the total comes from the agreement terms of the grant in use, decision 0506)."""

    __tablename__ = "sandbox_privacy_spending"
    __table_args__ = (CheckConstraint("spent_micro >= 0", name="not_negative"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"), primary_key=True)
    spent_micro: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
