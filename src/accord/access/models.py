"""Access tables: requests and their threads, committee votes and settings, grants and duties,
appeals, breach reports, sanctions, and the notification inbox and email outbox.

Rows refer to other domains' objects by id (users, organisations, datasets, versions); they are
read through those domains' services and never written here. Free text (lay summaries, reasons,
messages) lives only in these tables and in the ledger's private records, never in public fields.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.db import Base, UTCDateTime


class RequestState(StrEnum):
    """Where an access request stands; ``approved`` means a grant exists."""

    REFERRED = "referred"
    CLARIFICATION = "awaiting-clarification"
    APPROVED = "approved"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"


PENDING_STATES = frozenset({RequestState.REFERRED, RequestState.CLARIFICATION})


class Decider(StrEnum):
    """Who made a request's decision."""

    ENGINE = "engine"
    COMMITTEE = "committee"
    REVIEW_BODY = "review-body"


class RequestKind(StrEnum):
    ACCESS = "access"
    RENEWAL = "renewal"


class GrantStatus(StrEnum):
    """Stored status; ``paused`` and ``expired`` are also derived from time and sanctions."""

    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"


class DutyKind(StrEnum):
    PUBLICATION_REPORT = "publication-report"
    DELETION_ATTESTATION = "deletion-attestation"


class DutyStatus(StrEnum):
    OPEN = "open"
    FULFILLED = "fulfilled"


class AppealSubject(StrEnum):
    REQUEST = "request"
    SANCTION = "sanction"


class AppealState(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    OVERTURNED = "overturned"


class BreachState(StrEnum):
    OPEN = "open"
    INVESTIGATING = "investigating"
    RESOLVED = "resolved"


class SanctionKind(StrEnum):
    WARNING = "warning"
    SUSPENSION = "suspension"
    REVOCATION = "revocation"


class SanctionSubject(StrEnum):
    USER = "user"
    ORGANISATION = "organisation"


class AccessRequest(Base):
    __tablename__ = "access_requests"
    __table_args__ = (
        Index("ix_access_requests_requester", "requester_id", "id"),
        Index("ix_access_requests_state", "state", "dataset_organisation_id"),
        Index("ix_access_requests_dataset", "dataset_id", "state"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default=RequestKind.ACCESS)
    renews_grant_id: Mapped[str | None] = mapped_column(String(40))
    requester_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    requester_organisation_id: Mapped[str | None] = mapped_column(String(40))
    requester_country: Mapped[str] = mapped_column(String(2))
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"))
    dataset_organisation_id: Mapped[str] = mapped_column(String(40))
    version_id: Mapped[str] = mapped_column(ForeignKey("dataset_versions.id"))
    version_number: Mapped[int] = mapped_column(Integer)
    tier: Mapped[str] = mapped_column(String(20))
    # the stated purpose
    purpose_codes: Mapped[list[str]] = mapped_column(JSON)
    disease_codes: Mapped[list[str]] = mapped_column(JSON)
    commercial: Mapped[bool] = mapped_column(Boolean)
    ethics_approval: Mapped[bool] = mapped_column(Boolean)
    ethics_reference: Mapped[str | None] = mapped_column(String(200))
    project_title: Mapped[str] = mapped_column(String(300))
    lay_summary: Mapped[str] = mapped_column(Text)
    institution: Mapped[str] = mapped_column(String(300))
    collaborators: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    mode: Mapped[str] = mapped_column(String(20))
    duration: Mapped[str] = mapped_column(String(40))
    duties_accepted: Mapped[bool] = mapped_column(Boolean)
    # the agreement and the engine's decision on submission
    agreement_ref: Mapped[str | None] = mapped_column(String(80))
    agreement_terms: Mapped[dict[str, Any]] = mapped_column(JSON)
    engine_outcome: Mapped[str] = mapped_column(String(20))
    engine_mode: Mapped[str] = mapped_column(String(20))
    engine_reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    engine_obligations: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # where it stands
    state: Mapped[str] = mapped_column(String(30))
    committee_name: Mapped[str | None] = mapped_column(String(200))
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(20))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reasons: Mapped[str | None] = mapped_column(Text)
    conditions: Mapped[list[str]] = mapped_column(JSON)
    grant_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    messages: Mapped[list[RequestMessage]] = relationship(
        order_by="RequestMessage.id", lazy="selectin", cascade="all, delete-orphan"
    )
    votes: Mapped[list[Vote]] = relationship(
        order_by="Vote.id", lazy="selectin", cascade="all, delete-orphan"
    )


class RequestMessage(Base):
    """One message of a request's clarification thread."""

    __tablename__ = "access_request_messages"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    request_id: Mapped[str] = mapped_column(
        ForeignKey("access_requests.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[str] = mapped_column(String(40))
    author_role: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Vote(Base):
    """One committee member's decision on a referred request (quorum counts these)."""

    __tablename__ = "access_votes"
    __table_args__ = (UniqueConstraint("request_id", "member_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("access_requests.id", ondelete="CASCADE"))
    member_id: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(20))
    reasons: Mapped[str] = mapped_column(Text)
    conditions: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CommitteeSettings(Base):
    """How the committee of an organisation (or of one dataset) decides: its quorum."""

    __tablename__ = "access_committees"
    __table_args__ = (UniqueConstraint("scope_kind", "scope_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    scope_kind: Mapped[str] = mapped_column(String(20))
    scope_id: Mapped[str] = mapped_column(String(40))
    quorum: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Grant(Base):
    __tablename__ = "access_grants"
    __table_args__ = (
        Index("ix_access_grants_holder", "user_id", "version_id", "status", "expires_at"),
        Index("ix_access_grants_status", "status", "expires_at"),
        Index("ix_access_grants_dataset", "dataset_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("access_requests.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[str | None] = mapped_column(String(40))
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"))
    dataset_organisation_id: Mapped[str] = mapped_column(String(40))
    version_id: Mapped[str] = mapped_column(ForeignKey("dataset_versions.id"))
    version_number: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[dict[str, Any]] = mapped_column(JSON)
    conditions: Mapped[list[str]] = mapped_column(JSON)
    obligations: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    agreement_ref: Mapped[str | None] = mapped_column(String(80))
    agreement_terms: Mapped[dict[str, Any]] = mapped_column(JSON)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_sanction_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    duties: Mapped[list[Duty]] = relationship(
        order_by="Duty.id", lazy="selectin", cascade="all, delete-orphan"
    )


class Duty(Base):
    """Something the grant holder must do by ``due_at``: report publications, attest deletion."""

    __tablename__ = "access_duties"
    __table_args__ = (Index("ix_access_duties_due", "status", "due_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    grant_id: Mapped[str] = mapped_column(
        ForeignKey("access_grants.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    clause: Mapped[str | None] = mapped_column(String(100))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)


class Publication(Base):
    """A publication the grant holder reported (DOI and citation)."""

    __tablename__ = "access_publications"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    grant_id: Mapped[str] = mapped_column(
        ForeignKey("access_grants.id", ondelete="CASCADE"), index=True
    )
    doi: Mapped[str | None] = mapped_column(String(200))
    citation: Mapped[str] = mapped_column(Text)
    reported_by: Mapped[str] = mapped_column(String(40))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Appeal(Base):
    """An appeal against a denied request or a sanction, decided by the review body."""

    __tablename__ = "access_appeals"
    __table_args__ = (Index("ix_access_appeals_state", "state", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject: Mapped[str] = mapped_column(String(20))
    request_id: Mapped[str | None] = mapped_column(ForeignKey("access_requests.id"), index=True)
    sanction_id: Mapped[str | None] = mapped_column(ForeignKey("access_sanctions.id"), index=True)
    organisation_id: Mapped[str | None] = mapped_column(String(40))
    appellant_id: Mapped[str] = mapped_column(String(40))
    grounds: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    decided_by: Mapped[str | None] = mapped_column(String(40))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reasons: Mapped[str | None] = mapped_column(Text)
    grant_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BreachReport(Base):
    __tablename__ = "access_breaches"
    __table_args__ = (Index("ix_access_breaches_state", "state", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    reporter_id: Mapped[str] = mapped_column(String(40))
    grant_id: Mapped[str | None] = mapped_column(ForeignKey("access_grants.id"))
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"))
    dataset_organisation_id: Mapped[str] = mapped_column(String(40))
    suspect_user_id: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(30))
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(40))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    notes: Mapped[list[BreachNote]] = relationship(
        order_by="BreachNote.id", lazy="selectin", cascade="all, delete-orphan"
    )
    evidence: Mapped[list[Evidence]] = relationship(
        order_by="Evidence.id", lazy="selectin", cascade="all, delete-orphan"
    )


class BreachNote(Base):
    __tablename__ = "access_breach_notes"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    breach_id: Mapped[str] = mapped_column(
        ForeignKey("access_breaches.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Evidence(Base):
    """A file attached to a breach report; its bytes are a blob in the node's store."""

    __tablename__ = "access_breach_evidence"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    breach_id: Mapped[str] = mapped_column(
        ForeignKey("access_breaches.id", ondelete="CASCADE"), index=True
    )
    added_by: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Sanction(Base):
    __tablename__ = "access_sanctions"
    __table_args__ = (Index("ix_access_sanctions_subject", "subject_kind", "subject_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    subject_kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(40))
    breach_id: Mapped[str | None] = mapped_column(ForeignKey("access_breaches.id"))
    reason: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    imposed_by: Mapped[str] = mapped_column(String(40))
    revoked_grants: Mapped[list[str]] = mapped_column(JSON)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by: Mapped[str | None] = mapped_column(String(40))
    lift_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def in_force(self, now: datetime) -> bool:
        """A suspension bars its subject from ``starts_at`` until it ends or is lifted."""
        if self.kind != SanctionKind.SUSPENSION or self.lifted_at is not None:
            return False
        return self.starts_at <= now and (self.ends_at is None or now < self.ends_at)


class Notification(Base):
    """One message in a person's in-app inbox."""

    __tablename__ = "access_notifications"
    __table_args__ = (Index("ix_access_notifications_inbox", "user_id", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxEmail(Base):
    """An email written in the same transaction as its notification, sent after commit."""

    __tablename__ = "access_email_outbox"
    __table_args__ = (Index("ix_access_email_outbox_state", "state", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    notification_id: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
