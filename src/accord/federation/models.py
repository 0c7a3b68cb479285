"""Federation tables: peers, seen request nonces, harvested records, witnessed checkpoints,
forks kept as evidence, cosignatures collected for this node's log, mirrors, mutual
recognition of visas, visiting researchers, cross-node requests, and scheduler leases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base, UTCDateTime


class Peer(Base):
    """A node this node has added; active once the other side has added this node too."""

    __tablename__ = "federation_peers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    node_id: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    jurisdiction: Mapped[str] = mapped_column(String(10))
    base_url: Mapped[str] = mapped_column(String(500), unique=True)
    public_key: Mapped[str] = mapped_column(String(100))
    """Raw Ed25519 public key, base64."""
    fingerprint: Mapped[str] = mapped_column(String(100), unique=True)
    log_origin: Mapped[str] = mapped_column(String(500))
    log_key: Mapped[str] = mapped_column(String(500))
    """The peer log's signed-note verifier key."""
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    """The peer has added this node (proved by a signed handshake)."""
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    added_by: Mapped[str] = mapped_column(String(40))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def state(self) -> str:
        if self.suspended:
            return "suspended"
        return "active" if self.confirmed else "pending"


class SeenNonce(Base):
    """A signed call's nonce, kept while its signature could still be fresh (replay guard)."""

    __tablename__ = "federation_nonces"

    nonce: Mapped[str] = mapped_column(String(100), primary_key=True)
    peer_id: Mapped[str] = mapped_column(ForeignKey("federation_peers.id"))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class RemoteRecord(Base):
    """A catalogue record harvested from a peer: metadata only, marked with its home node."""

    __tablename__ = "federation_remote_records"
    __table_args__ = (Index("ix_federation_remote_records_peer_datestamp", "peer_id", "datestamp"),)

    identifier: Mapped[str] = mapped_column(String(300), primary_key=True)
    peer_id: Mapped[str] = mapped_column(ForeignKey("federation_peers.id"))
    pid: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    creators: Mapped[str] = mapped_column(Text)
    subjects: Mapped[str] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer)
    rights: Mapped[str] = mapped_column(Text)
    datestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    resource: Mapped[str | None] = mapped_column(Text)
    """The DataCite kernel-4 ``<resource>`` as harvested (None once deleted)."""
    harvested_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HarvestState(Base):
    """How far harvesting of one peer has come."""

    __tablename__ = "federation_harvests"

    peer_id: Mapped[str] = mapped_column(ForeignKey("federation_peers.id"), primary_key=True)
    last_datestamp: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    records: Mapped[int] = mapped_column(Integer, default=0)


class WitnessedCheckpoint(Base):
    """A peer's checkpoint this node verified (consistent with the last one) and cosigned."""

    __tablename__ = "federation_witnessed"

    peer_id: Mapped[str] = mapped_column(ForeignKey("federation_peers.id"), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    cosignature: Mapped[str] = mapped_column(Text)
    witnessed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ForkEvidence(Base):
    """Two signed checkpoints of one peer's log that cannot both be true."""

    __tablename__ = "federation_forks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    peer_id: Mapped[str] = mapped_column(ForeignKey("federation_peers.id"), index=True)
    reason: Mapped[str] = mapped_column(String(40))
    seen_note: Mapped[str] = mapped_column(Text)
    new_note: Mapped[str] = mapped_column(Text)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CollectedCosignature(Base):
    """A peer witness's cosignature of one of this node's own checkpoints."""

    __tablename__ = "federation_cosignatures"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    peer_id: Mapped[str] = mapped_column(ForeignKey("federation_peers.id"), primary_key=True)
    line: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Mirror(Base):
    """A peer's open dataset version whose bytes this node holds, verified against its manifest."""

    __tablename__ = "federation_mirrors"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    peer_id: Mapped[str] = mapped_column(ForeignKey("federation_peers.id"))
    dataset_id: Mapped[str] = mapped_column(String(40))
    number: Mapped[int] = mapped_column(Integer)
    pid: Mapped[str] = mapped_column(String(300), unique=True)
    manifest: Mapped[str] = mapped_column(Text)
    manifest_signature: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MirrorFile(Base):
    __tablename__ = "federation_mirror_files"

    mirror_id: Mapped[str] = mapped_column(ForeignKey("federation_mirrors.id"), primary_key=True)
    path: Mapped[str] = mapped_column(String(500), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(200))


class Recognition(Base):
    """A kind of visa this node accepts from one peer (its mutual-recognition settings):
    ``affiliation``, ``country`` or ``accreditation:<kind>``."""

    __tablename__ = "federation_recognitions"

    peer_id: Mapped[str] = mapped_column(ForeignKey("federation_peers.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(120), primary_key=True)
    added_by: Mapped[str] = mapped_column(String(40))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Visitor(Base):
    """A peer's researcher known here through the passports their home node sent: the local
    account (which cannot sign in) that holds their requests and grants on this node."""

    __tablename__ = "federation_visitors"
    __table_args__ = (UniqueConstraint("peer_id", "subject"),)

    user_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    peer_id: Mapped[str] = mapped_column(ForeignKey("federation_peers.id"))
    subject: Mapped[str] = mapped_column(String(100))
    """The researcher's user id on their home node (the passport's ``sub``)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RemoteRequest(Base):
    """A researcher's access request sent from this node to the peer holding the dataset,
    with the status last read from it."""

    __tablename__ = "federation_remote_requests"
    __table_args__ = (Index("ix_federation_remote_requests_user", "user_id", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40))
    peer_id: Mapped[str] = mapped_column(ForeignKey("federation_peers.id"))
    dataset_id: Mapped[str] = mapped_column(String(40))
    version_number: Mapped[int] = mapped_column(Integer)
    project_title: Mapped[str] = mapped_column(String(300))
    remote_id: Mapped[str] = mapped_column(String(40))
    """The request's id on the peer."""
    state: Mapped[str] = mapped_column(String(20), index=True)
    mode: Mapped[str] = mapped_column(String(20))
    reasons: Mapped[str | None] = mapped_column(Text)
    grant_id: Mapped[str | None] = mapped_column(String(40))
    grant_state: Mapped[str | None] = mapped_column(String(20))
    grant_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    files: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    refused_visas: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Lease(Base):
    """Who runs a scheduled task (``harvest:<peer>``, ``witness:<peer>``) until when, so that
    several scheduler processes never run the same task at once."""

    __tablename__ = "federation_leases"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
