"""Cross-node access, from the researcher's home node: a request for a dataset held by a peer
is sent to it with the researcher's passport (a signed node-to-node call); the peer's engine and
committee decide, and its grant lives there. This node reads the status back from the peer
(polling: when the researcher looks, and on the scheduler's rounds) and relays the files of a
download grant from the peer. Every step is logged here as well as on the peer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import ledger
from accord.access.schemas import RequestCreate
from accord.errors import Conflict, Forbidden, NodeUnavailable, NotFound
from accord.federation import calls, peers
from accord.federation.models import Peer, RemoteRequest
from accord.federation.passports import passport_for
from accord.i18n.translate import N_, _l
from accord.identity.principal import OPERATOR_ID, Principal
from accord.ids import new_id
from accord.node import node_of
from accord.paging import fetch_page

REQUESTS_PATH = "/api/v1/federation/access-requests"
SETTLED = frozenset({"denied", "withdrawn", "expired", "cancelled"})
"""States after which the peer's answer no longer changes (a grant's state still can)."""


def submit(session: Session, actor: Principal, node_id: str, data: RequestCreate) -> RemoteRequest:
    """Send ``data`` to the peer ``node_id`` holding the dataset, with a fresh passport of
    ``actor``; keep the peer's answer. The caller commits."""
    if actor.user_id == OPERATOR_ID:
        raise Forbidden(
            N_("the node operator is not a person and cannot request access"),
            code="access.requester-not-a-user",
        )
    peer = _active_peer(session, node_id)
    node = node_of(session)
    body = {
        "passport": passport_for(session, actor.user_id),
        "request": data.model_dump(mode="json"),
    }
    answer = calls.answer(calls.call(node, "POST", f"{peer.base_url}{REQUESTS_PATH}", body=body))
    now = node.clock.now()
    request = RemoteRequest(
        id=new_id("rrq"),
        user_id=actor.user_id,
        peer_id=peer.id,
        dataset_id=data.dataset_id,
        version_number=int(answer["version"]),
        project_title=data.project_title,
        remote_id=str(answer["id"]),
        state="",
        mode=data.mode,
        files=[],
        refused_visas=list(answer.get("refused_visas", [])),
        created_at=now,
        updated_at=now,
        checked_at=now,
    )
    _apply(request, answer)
    session.add(request)
    ledger.append(
        session,
        ledger.Event(
            "federation.remote-request.submitted",
            subjects={"requester": actor.user_id},
            public={
                "request": request.id,
                "peer": peer.id,
                "remote_request": request.remote_id,
                "dataset": request.dataset_id,
                "version": request.version_number,
                "state": request.state,
            },
            record={"project_title": data.project_title},
        ),
    )
    return request


def get(session: Session, viewer: Principal, request_id: str) -> RemoteRequest:
    request = session.get(RemoteRequest, request_id) if len(request_id) <= 40 else None
    if request is None or request.user_id != viewer.user_id:
        raise NotFound(
            _l("no request %(request_id)r", request_id=request_id[:60]),
            code="federation.request-not-found",
        )
    return request


def list_mine(
    session: Session, viewer: Principal, *, limit: int = 50, cursor: str | None = None
) -> tuple[Sequence[RemoteRequest], str | None]:
    query = select(RemoteRequest).where(RemoteRequest.user_id == viewer.user_id)
    return fetch_page(session, query, RemoteRequest.id, limit=limit, cursor=cursor)


def refresh(session: Session, request: RemoteRequest) -> bool:
    """Read the request's status from its peer; log and keep it when it changed. The caller
    commits. A suspended peer is not asked."""
    peer = session.get(Peer, request.peer_id)
    if peer is None or peer.state != "active":
        return False
    node = node_of(session)
    url = f"{peer.base_url}{REQUESTS_PATH}/{request.remote_id}"
    answer = calls.answer(calls.call(node, "GET", url))
    before = _snapshot(request)
    _apply(request, answer)
    request.checked_at = node.clock.now()
    if _snapshot(request) == before:
        return False
    request.updated_at = request.checked_at
    ledger.append(
        session,
        ledger.Event(
            "federation.remote-request.updated",
            subjects={"requester": request.user_id},
            public={
                "request": request.id,
                "peer": peer.id,
                "state": request.state,
                "grant": request.grant_id,
                "grant_state": request.grant_state,
                "mode": request.mode,
            },
        ),
    )
    return True


def refresh_if_reachable(session: Session, request: RemoteRequest) -> bool:
    """``refresh``, keeping the last status read when the peer does not answer."""
    try:
        return refresh(session, request)
    except NodeUnavailable:
        return False


def pending(session: Session) -> Sequence[RemoteRequest]:
    """Requests whose status may still change (for the scheduler's rounds)."""
    return session.scalars(
        select(RemoteRequest)
        .where(RemoteRequest.state.not_in(SETTLED))
        .order_by(RemoteRequest.checked_at)
    ).all()


def file_url(session: Session, request: RemoteRequest, file_id: str) -> str:
    """Where the peer serves one file of the request's download grant; logs the relay."""
    if request.grant_state != "active" or request.mode != "download":
        raise Conflict(
            f"request {request.id} holds no active download grant"
            + (
                " (the grant is for the sandbox at the data's node)"
                if request.mode == "sandbox"
                else ""
            ),
            code="federation.no-download-grant",
        )
    if not any(f.get("id") == file_id for f in request.files):
        raise NotFound(
            _l(
                "no file %(file_id)r in %(request_id)s", file_id=file_id[:60], request_id=request.id
            ),
            code="federation.file-not-found",
        )
    peer = peers.get_peer(session, request.peer_id)
    ledger.append(
        session,
        ledger.Event(
            "federation.download.relayed",
            subjects={"holder": request.user_id},
            public={
                "request": request.id,
                "peer": peer.id,
                "grant": request.grant_id,
                "file": file_id,
            },
        ),
    )
    return f"{peer.base_url}{REQUESTS_PATH}/{request.remote_id}/files/{file_id}"


def _active_peer(session: Session, node_id: str) -> Peer:
    peer = peers.get_peer(session, node_id)
    if peer.state != "active":
        raise Conflict(
            _l(
                "%(peer)s is %(state)s, not active",
                peer=peer.node_id,
                state=peer.state,
            ),
            code="federation.peer-not-active",
        )
    return peer


def _apply(request: RemoteRequest, answer: dict[str, Any]) -> None:
    request.state = str(answer["state"])
    request.reasons = answer.get("reasons")
    grant = answer.get("grant")
    if isinstance(grant, dict):
        request.grant_id = str(grant["id"])
        request.grant_state = str(grant["state"])
        request.mode = str(grant["mode"])
        request.grant_expires_at = datetime.fromisoformat(str(grant["expires_at"]))
        request.files = list(grant.get("files", []))


def _snapshot(request: RemoteRequest) -> tuple[Any, ...]:
    return (request.state, request.reasons, request.grant_id, request.grant_state, request.mode)
