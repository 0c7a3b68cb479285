"""Witnessing peers' transparency logs (C2SP tlog-witness practice, tlog-cosignature lines).

For each active peer the node fetches the newest checkpoint, checks the peer log's signature,
and checks it against the last checkpoint it witnessed: same size needs the same root; a larger
one needs an RFC 9162 consistency proof from the peer. A consistent checkpoint is cosigned, kept,
and the cosignature sent back to the peer, which serves it with its checkpoint. An inconsistent
one (a fork or split view) is kept beside the one seen before as evidence, logged, and reported.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Literal

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import ledger
from accord.errors import AccordError, Conflict, NodeUnavailable, VerificationFailed
from accord.federation import calls, peer_keys, peers
from accord.federation.calls import Caller
from accord.federation.cosignature import cosign, verify_cosignature
from accord.federation.models import CollectedCosignature, ForkEvidence, Peer, WitnessedCheckpoint
from accord.ids import new_id
from accord.ledger import merkle
from accord.ledger import service as ledger_service
from accord.ledger.checkpoint import Checkpoint, CheckpointError, parse_checkpoint
from accord.ledger.models import LedgerCheckpoint
from accord.ledger.note import NoteError, parse_note
from accord.node import NodeContext, node_of

COSIGNATURES_PATH = "/api/v1/federation/cosignatures"
Outcome = Literal["cosigned", "unchanged", "older", "fork"]


@dataclass(frozen=True)
class WitnessReport:
    peer: str
    outcome: Outcome
    size: int
    previous_size: int | None
    delivered: bool = False
    detail: str = ""


def witness_peer(session: Session, peer_id: str) -> WitnessReport:
    """Fetch, verify, compare and cosign one peer's newest checkpoint; the caller commits."""
    peer = peers.get_peer(session, peer_id)
    if peer.state != "active":
        raise Conflict(
            f"{peer.node_id} is {peer.state}, not active", code="federation.peer-not-active"
        )
    history = peer_keys.accept_history(session, peer, peers.fetch_descriptor(peer.base_url))
    with httpx.Client(timeout=calls.TIMEOUT) as http:
        note = _fetch(http, f"{peer.base_url}/log/checkpoint").decode()
        checkpoint = peer_keys.open_peer_checkpoint(note, peer, history)
        last = last_witnessed(session, peer.id)
        fork = _compare(http, peer, last, checkpoint) if last is not None else None
    if last is not None and fork is not None:
        _keep_fork(session, peer, last, note, fork)
        return WitnessReport(peer.node_id, "fork", checkpoint.size, last.size, detail=fork)
    if last is not None and checkpoint.size <= last.size:
        outcome: Outcome = "unchanged" if checkpoint.size == last.size else "older"
        return WitnessReport(peer.node_id, outcome, checkpoint.size, last.size)
    line = _cosign(session, peer, note, checkpoint)
    delivered = _deliver(node_of(session), peer.base_url, checkpoint, line)
    previous = last.size if last else None
    return WitnessReport(peer.node_id, "cosigned", checkpoint.size, previous, delivered)


def last_witnessed(session: Session, peer_id: str) -> WitnessedCheckpoint | None:
    return session.scalars(
        select(WitnessedCheckpoint)
        .where(WitnessedCheckpoint.peer_id == peer_id)
        .order_by(WitnessedCheckpoint.size.desc())
        .limit(1)
    ).first()


def forks(session: Session) -> list[ForkEvidence]:
    return list(session.scalars(select(ForkEvidence).order_by(ForkEvidence.detected_at.desc())))


def receive_cosignature(session: Session, caller: Caller, checkpoint_body: str, line: str) -> int:
    """Keep a peer witness's cosignature of one of this node's checkpoints; return its size."""
    try:
        checkpoint = parse_checkpoint(checkpoint_body)
    except CheckpointError as exc:
        raise VerificationFailed(str(exc), code="federation.bad-checkpoint") from exc
    own = ledger_service.checkpoint_at(session, checkpoint.size)
    if own is None or parse_note(own.note).text != checkpoint_body:
        raise VerificationFailed(
            f"this node never signed that checkpoint of size {checkpoint.size}",
            code="federation.unknown-checkpoint",
        )
    try:
        verify_cosignature(checkpoint_body + "\n" + line, peers.witness_of(caller))
    except NoteError as exc:
        raise VerificationFailed(str(exc), code="federation.bad-cosignature") from exc
    row = session.get(CollectedCosignature, (checkpoint.size, caller.peer_id))
    if row is None:
        row = CollectedCosignature(size=checkpoint.size, peer_id=caller.peer_id)
        session.add(row)
    row.line, row.received_at = line, node_of(session).clock.now()
    ledger.append(
        session,
        ledger.Event(
            "federation.cosignature.received",
            public={"peer": caller.peer_id, "size": checkpoint.size},
        ),
    )
    return checkpoint.size


def cosigned_checkpoint(session: Session, size: int | None = None) -> str:
    """This node's checkpoint (the newest with cosignatures, or of ``size``) with every
    cosignature collected for it appended as extra signed-note lines."""
    if size is None:
        size = session.scalar(
            select(CollectedCosignature.size).order_by(CollectedCosignature.size.desc()).limit(1)
        )
    own: LedgerCheckpoint | None
    if size is None:
        own = ledger_service.latest_checkpoint(session)
    else:
        own = ledger_service.checkpoint_at(session, size)
    if own is None:
        raise Conflict("this node has signed no checkpoint yet", code="federation.no-checkpoint")
    lines = session.scalars(
        select(CollectedCosignature.line)
        .where(CollectedCosignature.size == own.size)
        .order_by(CollectedCosignature.peer_id)
    ).all()
    return own.note + "".join(lines)


def _fetch(http: httpx.Client, url: str, params: dict[str, int] | None = None) -> bytes:
    try:
        response = http.get(url, params=params)
    except httpx.TransportError as exc:
        raise NodeUnavailable(f"{url} did not answer", code="federation.peer-unavailable") from exc
    if response.status_code != 200:
        raise Conflict(f"{url} answered {response.status_code}", code="federation.peer-refused")
    return response.content


def _compare(
    http: httpx.Client, peer: Peer, last: WitnessedCheckpoint, new: Checkpoint
) -> str | None:
    """Why ``new`` cannot follow ``last`` (a fork), or None when they are consistent."""
    if new.size == last.size:
        return None if new.root_hash == last.root_hash else "same-size-different-root"
    first, second = sorted((last.size, new.size))
    roots = {last.size: last.root_hash, new.size: new.root_hash}
    answer = _fetch(
        http, f"{peer.base_url}/api/v1/log/proofs/consistency", {"first": first, "second": second}
    )
    try:
        proof = [base64.b64decode(h) for h in json.loads(answer)["proof"]]
        merkle.verify_consistency(first, second, proof, roots[first], roots[second])
    except (merkle.ProofError, KeyError, ValueError):
        return "inconsistent"
    return None


def _keep_fork(
    session: Session, peer: Peer, last: WitnessedCheckpoint, note: str, reason: str
) -> None:
    evidence = ForkEvidence(
        id=new_id("fork"),
        peer_id=peer.id,
        reason=reason,
        seen_note=last.note,
        new_note=note,
        detected_at=node_of(session).clock.now(),
    )
    session.add(evidence)
    ledger.append(
        session,
        ledger.Event(
            "federation.fork.detected",
            public={"peer": peer.id, "fork": evidence.id, "reason": reason, "size": last.size},
            record={"seen_note": last.note, "new_note": note},
        ),
    )


def _cosign(session: Session, peer: Peer, note: str, checkpoint: Checkpoint) -> str:
    node = node_of(session)
    now = node.clock.now()
    name = peers.witness_name(node.identity.base_url)
    line = cosign(name, node.signing_key, checkpoint.body(), int(now.timestamp()))
    session.add(
        WitnessedCheckpoint(
            peer_id=peer.id,
            size=checkpoint.size,
            root_hash=checkpoint.root_hash,
            note=note,
            cosignature=line,
            witnessed_at=now,
        )
    )
    ledger.append(
        session,
        ledger.Event(
            "federation.checkpoint.cosigned",
            public={"peer": peer.id, "size": checkpoint.size},
        ),
    )
    return line


def _deliver(node: NodeContext, base_url: str, checkpoint: Checkpoint, line: str) -> bool:
    """Send the cosignature to the log's node; a refusal is reported, not fatal."""
    body = {"checkpoint": checkpoint.body(), "cosignature": line}
    try:
        calls.answer(calls.call(node, "POST", f"{base_url}{COSIGNATURES_PATH}", body=body))
    except AccordError:
        return False
    return True
