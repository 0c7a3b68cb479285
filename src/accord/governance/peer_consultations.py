"""Consultations across the federation: tell peers of a consultation, hear theirs, answer them.

Every message between nodes is a signed node-to-node call (``federation.calls``): the notice a
node sends its active peers when it opens a consultation, and the comment a node sends back on
a peer's consultation. A peer that does not answer does not stop the consultation; the peers
that were told are recorded with it.
"""

from __future__ import annotations

from datetime import datetime

import httpx
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import ledger
from accord.clock import rfc3339
from accord.errors import AccordError, Conflict, FieldError, Forbidden, InvalidInput, NotFound
from accord.federation import calls, peers
from accord.federation.calls import Caller
from accord.governance import policies
from accord.governance.models import Comment, PeerConsultation
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.ids import has_prefix, new_id
from accord.node import NodeContext, node_of

NOTICE_PATH = "/api/v1/federation/consultations"
COMMENT_PATH = "/api/v1/federation/consultation-comments"


class Notice(BaseModel):
    """What a node tells its peers when it opens a consultation."""

    model_config = ConfigDict(extra="forbid")

    consultation: str = Field(max_length=40)
    kind: str = Field(max_length=40)
    title: str = Field(max_length=300)
    summary: str = Field(max_length=10_000)
    url: str = Field(max_length=500)
    deadline: datetime


class PeerCommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    consultation: str = Field(max_length=40)
    text: str = Field(min_length=1, max_length=policies.MAX_COMMENT)


def announce(node: NodeContext, consultation_id: str) -> list[str]:
    """Send the notice of a consultation to every active peer; the node ids that took it."""
    with node.session() as session:
        consultation = policies.get_consultation(session, consultation_id)
        policy = policies.policy_of(session, consultation)
        notice = Notice(
            consultation=consultation.id,
            kind=policy.kind,
            title=policy.title,
            summary=policy.summary,
            url=f"{node.identity.base_url}/governance/consultations/{consultation.id}",
            deadline=consultation.deadline_at,
        )
        targets = [(p.node_id, p.base_url) for p in peers.active_peers(session)]
    told = [node_id for node_id, base_url in targets if _send_notice(node, base_url, notice)]
    with node.session() as session:
        consultation = policies.get_consultation(session, consultation_id)
        consultation.peers_notified = told
        ledger.append(
            session,
            ledger.Event(
                "governance.consultation.announced",
                public={"consultation": consultation.id, "peers": told},
            ),
        )
        session.commit()
    return told


def receive_notice(session: Session, caller: Caller, notice: Notice) -> PeerConsultation:
    """A peer told this node of its consultation (the signature was checked by the route)."""
    existing = session.scalars(
        select(PeerConsultation).where(
            PeerConsultation.peer_id == caller.peer_id,
            PeerConsultation.remote_id == notice.consultation,
        )
    ).first()
    if existing is not None:
        return existing
    if notice.deadline.tzinfo is None:
        raise InvalidInput("the deadline needs a time zone", code="governance.invalid-deadline")
    found = PeerConsultation(
        id=new_id("pcn"),
        peer_id=caller.peer_id,
        peer_node_id=caller.node_id,
        remote_id=notice.consultation,
        kind=notice.kind,
        title=notice.title,
        summary=notice.summary,
        url=notice.url,
        deadline_at=notice.deadline,
        received_at=node_of(session).clock.now(),
    )
    session.add(found)
    session.flush()
    ledger.append(
        session,
        ledger.Event(
            "governance.notice.received",
            public={
                "notice": found.id,
                "node": caller.node_id,
                "consultation": notice.consultation,
                "deadline": rfc3339(notice.deadline),
            },
        ),
    )
    return found


def receive_comment(session: Session, caller: Caller, body: PeerCommentIn) -> Comment:
    """A peer node's comment on one of this node's consultations."""
    peer = peers.get_peer(session, caller.peer_id)
    return policies.peer_comment(session, body.consultation, peer.node_id, peer.name, body.text)


def respond(node: NodeContext, actor: Principal, notice_id: str, text: str) -> PeerConsultation:
    """Send this node's comment on a peer's consultation (a signed call), and log that it did."""
    if not actor.can(Permission.GOVERNANCE_PEER_RESPOND):
        raise Forbidden(
            f"this needs the permission {Permission.GOVERNANCE_PEER_RESPOND.value}",
            code="forbidden",
        )
    body = text.strip()
    if not body or len(body) > policies.MAX_COMMENT:
        raise InvalidInput(
            f"a comment has 1 to {policies.MAX_COMMENT} characters",
            code="governance.invalid-comment",
            errors=[FieldError("text", f"1 to {policies.MAX_COMMENT} characters")],
        )
    with node.session(readonly=True) as session:
        notice = get_notice(session, notice_id)
        peer = peers.get_peer(session, notice.peer_id)
        base_url, remote_id = peer.base_url, notice.remote_id
    response = calls.call(
        node,
        "POST",
        f"{base_url}{COMMENT_PATH}",
        body={"consultation": remote_id, "text": body},
    )
    _relay(response)
    with node.session() as session:
        notice = get_notice(session, notice_id)
        notice.responded_at = node.clock.now()
        ledger.append(
            session,
            ledger.Event(
                "governance.response.sent",
                subjects={"actor": actor.user_id},
                public={"notice": notice.id, "node": notice.peer_node_id},
                record={"text": body},
            ),
        )
        session.commit()
        session.refresh(notice)
        session.expunge(notice)
    return notice


def list_notices(session: Session) -> list[PeerConsultation]:
    stmt = select(PeerConsultation).order_by(PeerConsultation.deadline_at.desc())
    return list(session.scalars(stmt))


def get_notice(session: Session, notice_id: str) -> PeerConsultation:
    found = session.get(PeerConsultation, notice_id) if has_prefix(notice_id, "pcn") else None
    if found is None:
        raise NotFound(
            f"no peer consultation {notice_id[:60]!r}", code="governance.notice-not-found"
        )
    return found


def _send_notice(node: NodeContext, base_url: str, notice: Notice) -> bool:
    try:
        response = calls.call(
            node, "POST", f"{base_url}{NOTICE_PATH}", body=notice.model_dump(mode="json")
        )
    except AccordError:
        return False
    return response.is_success


def _relay(response: httpx.Response) -> None:
    """Raise the peer's refusal with its own code, so the person sees why (deadline, …)."""
    if response.is_success:
        return
    try:
        problem = response.json()
    except ValueError:
        problem = {}
    code = str(problem.get("code") or "federation.peer-refused")
    raise Conflict(
        f"the peer refused: {problem.get('detail', response.reason_phrase)}",
        code=code,
        hint=problem.get("hint"),
        extra={"peer_status": response.status_code},
    )
