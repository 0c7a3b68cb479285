"""Governance tables: risk assessments, node policies and their consultations, comments, the
consultations of peer nodes this node was told about, and the public governance register."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base, UTCDateTime


class RiskAssessment(Base):
    """One assessment of one dataset version; a later one (``number`` + 1) supersedes it."""

    __tablename__ = "governance_assessments"
    __table_args__ = (UniqueConstraint("version_id", "number"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"), index=True)
    version_id: Mapped[str] = mapped_column(ForeignKey("dataset_versions.id"))
    version_number: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    assessment: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The structured assessment as submitted (categories, levels, mitigations, notes)."""
    rules_version: Mapped[str] = mapped_column(String(100))
    recommendation: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Tier, mode, safeguards and reasons the published rules gave."""
    chosen_tier: Mapped[str] = mapped_column(String(20))
    chosen_mode: Mapped[str] = mapped_column(String(20))
    justification: Mapped[str | None] = mapped_column(Text)
    """Why the steward chose differently from the recommendation (None when they did not)."""
    assessed_by: Mapped[str] = mapped_column(String(40))
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Policy(Base):
    """One version of one of the node's own rules documents (``kind`` names the document)."""

    __tablename__ = "governance_policies"
    __table_args__ = (UniqueConstraint("kind", "number"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20))
    """``proposed`` while consulted on, then ``adopted`` or ``rejected``."""
    proposed_by: Mapped[str] = mapped_column(String(40))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    effective_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Consultation(Base):
    """The public consultation on a proposed policy version: open until its deadline."""

    __tablename__ = "governance_consultations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    policy_id: Mapped[str] = mapped_column(ForeignKey("governance_policies.id"), unique=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str | None] = mapped_column(String(20))
    reasons: Mapped[str | None] = mapped_column(Text)
    peers_notified: Mapped[list[str]] = mapped_column(JSON, default=list)


class Comment(Base):
    """A response to a consultation: from a registered user, or from a peer node (signed)."""

    __tablename__ = "governance_comments"
    __table_args__ = (Index("ix_governance_comments_consultation", "consultation_id", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    consultation_id: Mapped[str] = mapped_column(ForeignKey("governance_consultations.id"))
    author_kind: Mapped[str] = mapped_column(String(10))
    """``user`` or ``peer``."""
    author_id: Mapped[str] = mapped_column(String(100))
    """A user id, or the peer's node id."""
    author_name: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PeerConsultation(Base):
    """A consultation a peer node opened and told this node about (signed notice)."""

    __tablename__ = "governance_peer_consultations"
    __table_args__ = (UniqueConstraint("peer_id", "remote_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    peer_id: Mapped[str] = mapped_column(ForeignKey("federation_peers.id"))
    peer_node_id: Mapped[str] = mapped_column(String(100))
    remote_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(500))
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Membership(Base):
    """A seat on a committee or on the review body, as the public register shows it."""

    __tablename__ = "governance_memberships"
    __table_args__ = (Index("ix_governance_memberships_body", "body", "ended_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(String(20))
    """``committee`` or ``review-body``."""
    scope_kind: Mapped[str] = mapped_column(String(20))
    scope_id: Mapped[str] = mapped_column(String(40))
    role_assignment_id: Mapped[str | None] = mapped_column(String(40))
    term_start: Mapped[date] = mapped_column(Date)
    term_end: Mapped[date] = mapped_column(Date)
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    appointed_by: Mapped[str] = mapped_column(String(40))
    appointed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(Text)


class PeerSoftware(Base):
    """What a peer node runs, as its descriptor said when this node last looked."""

    __tablename__ = "governance_peer_software"

    peer_id: Mapped[str] = mapped_column(ForeignKey("federation_peers.id"), primary_key=True)
    peer_node_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(100))
    sbom_url: Mapped[str | None] = mapped_column(String(500))
    sbom_sha256: Mapped[str | None] = mapped_column(String(64))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
