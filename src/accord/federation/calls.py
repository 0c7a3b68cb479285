"""Signed node-to-node calls: outgoing requests signed with the node key (RFC 9421), incoming
ones authenticated against the peer's key, fresh, and never replayed.

A call is accepted from a peer that this node has added and not suspended; only the handshake
(which is how the relationship becomes active) is accepted from a peer still pending. Every
nonce is remembered for twice the freshness window, so a replay inside it is refused and one
after it is stale.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from accord.errors import Conflict, Forbidden, NodeUnavailable, VerificationFailed
from accord.federation import peer_keys, signatures
from accord.federation.models import Peer, SeenNonce
from accord.keys import fingerprint
from accord.node import NodeContext

TIMEOUT = httpx.Timeout(30.0, connect=5.0)


@dataclass(frozen=True)
class Caller:
    """The peer node a verified call came from."""

    peer_id: str
    node_id: str
    jurisdiction: str
    base_url: str
    public_key: str
    state: str


def call(
    node: NodeContext,
    method: str,
    url: str,
    *,
    body: Any = None,
    params: dict[str, str] | None = None,
    http: httpx.Client | None = None,
) -> httpx.Response:
    """Send a signed request to a peer; a peer that does not answer is ``NodeUnavailable``."""
    target, content, headers = _signed(node, method, url, body, params)
    try:
        if http is not None:
            return http.request(method, target, content=content, headers=headers)
        with httpx.Client(timeout=TIMEOUT) as client:
            return client.request(method, target, content=content, headers=headers)
    except httpx.TransportError as exc:
        raise _unavailable(target, exc) from exc


@contextmanager
def stream(node: NodeContext, url: str) -> Iterator[httpx.Response]:
    """A signed GET whose answer is read as it arrives (for files); closed on exit."""
    target, _, headers = _signed(node, "GET", url, None, None)
    with httpx.Client(timeout=TIMEOUT) as client:
        try:
            with client.stream("GET", target, headers=headers) as response:
                yield response
        except httpx.TransportError as exc:
            raise _unavailable(target, exc) from exc


def _signed(
    node: NodeContext, method: str, url: str, body: Any, params: dict[str, str] | None
) -> tuple[httpx.URL, bytes, dict[str, str]]:
    target = httpx.URL(url, params=params) if params else httpx.URL(url)
    content = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
    headers = signatures.sign(
        node.signing_key,
        fingerprint(node.signing_key.public_key()),
        method=method,
        target_uri=str(target),
        body=content,
        created=int(node.clock.now().timestamp()),
        nonce=secrets.token_urlsafe(18),
    )
    if body is not None:
        headers["Content-Type"] = "application/json"
    return target, content, headers


def _unavailable(target: httpx.URL, exc: Exception) -> NodeUnavailable:
    return NodeUnavailable(
        f"{target.host}:{target.port} did not answer ({exc.__class__.__name__})",
        code="federation.peer-unavailable",
    )


def answer(response: httpx.Response) -> Any:
    """The JSON body of a peer's success answer; its problem document raised otherwise."""
    if response.is_success:
        return response.json()
    try:
        problem = response.json()
    except ValueError:
        problem = {}
    raise Conflict(
        f"the peer refused: {problem.get('detail', response.reason_phrase)}",
        code="federation.peer-refused",
        extra={"peer_status": response.status_code, "peer_code": problem.get("code")},
    )


def authenticate(
    node: NodeContext,
    *,
    method: str,
    target_uri: str,
    headers: dict[str, str],
    body: bytes,
    allow_pending: bool = False,
) -> Caller:
    """Verify a signed call and remember its nonce; raise unless the peer may call now."""
    with node.session() as session:
        found: dict[str, Peer] = {}

        def key_for(keyid: str) -> Ed25519PublicKey:
            peer = session.scalars(select(Peer).where(Peer.fingerprint == keyid)).first()
            if peer is None:
                peer = peer_keys.refresh_for_keyid(session, keyid)
            if peer is None:
                raise VerificationFailed(
                    "the call is signed by a node that is not a peer of this node",
                    code="federation.unknown-peer",
                    status=401,
                )
            found["peer"] = peer
            return Ed25519PublicKey.from_public_bytes(base64.b64decode(peer.public_key))

        now = node.clock.now()
        signed = signatures.verify(
            headers,
            method=method,
            target_uri=target_uri,
            body=body,
            now=int(now.timestamp()),
            key_for=key_for,
        )
        peer = found["peer"]
        _check_state(peer, allow_pending)
        window = timedelta(seconds=2 * signatures.MAX_AGE_SECONDS)
        session.execute(delete(SeenNonce).where(SeenNonce.seen_at < now - window))
        session.add(SeenNonce(nonce=signed.nonce, peer_id=peer.id, seen_at=now))
        try:
            session.commit()
        except IntegrityError:
            raise VerificationFailed(
                "this signed call was sent before: a replay is refused",
                code="federation.replayed",
                status=401,
            ) from None
        return Caller(
            peer.id, peer.node_id, peer.jurisdiction, peer.base_url, peer.public_key, peer.state
        )


def _check_state(peer: Peer, allow_pending: bool) -> None:
    if peer.suspended:
        raise Forbidden(
            f"{peer.node_id} is suspended on this node", code="federation.peer-suspended"
        )
    if not peer.confirmed and not allow_pending:
        raise Forbidden(
            f"{peer.node_id} has not completed peering with this node",
            code="federation.peer-pending",
        )
