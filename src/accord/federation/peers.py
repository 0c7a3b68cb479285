"""Peers: added by an admin with the key fingerprint checked out of band; active once both
sides have added each other (proved by a signed handshake); suspended at will.

Adding a peer fetches its ``/.well-known/accord-node`` descriptor and refuses it unless the key
it publishes has the expected fingerprint. The node then sends a signed handshake; the peer
accepts it only if it has added this node too, and both mark the relationship confirmed.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import ledger
from accord.errors import (
    Conflict,
    FieldError,
    Forbidden,
    InvalidInput,
    NodeUnavailable,
    NotFound,
    VerificationFailed,
)
from accord.federation import calls
from accord.federation.calls import Caller
from accord.federation.cosignature import Witness
from accord.federation.models import Peer
from accord.i18n.translate import N_, _l
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.ids import new_id
from accord.keys import fingerprint
from accord.ledger.note import NoteError, Verifier
from accord.node import NodeContext, node_of

DESCRIPTOR_PATH = "/.well-known/accord-node"
HANDSHAKE_PATH = "/api/v1/federation/handshakes"


def witness_name(base_url: str) -> str:
    """The name a node's cosignatures carry: its base URL's host[:port][/path] plus ``/witness``."""
    parts = urlsplit(base_url)
    return f"{parts.netloc}{parts.path.rstrip('/')}/witness"


def witness_of(peer: Peer | Caller) -> Witness:
    return Witness(witness_name(peer.base_url), public_key_of(peer))


def public_key_of(peer: Peer | Caller) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(peer.public_key))


def add_peer(session: Session, actor: Principal, url: str, expected_fingerprint: str) -> Peer:
    """Add the node at ``url`` if its descriptor's key has ``expected_fingerprint``."""
    _require(actor, Permission.FEDERATION_PEER_MANAGE)
    node = node_of(session)
    base_url = _clean_url(url)
    if base_url == node.identity.base_url:
        raise InvalidInput(N_("a node cannot peer with itself"), code="federation.self-peer")
    descriptor = fetch_descriptor(base_url)
    peer = _peer_from(descriptor, base_url, expected_fingerprint, actor, node.clock.now())
    for column, value in (("base_url", peer.base_url), ("node_id", peer.node_id)):
        if session.scalars(select(Peer).where(getattr(Peer, column) == value)).first():
            raise Conflict(
                _l("%(peer)s is a peer already", peer=value), code="federation.peer-exists"
            )
    session.add(peer)
    session.flush()
    ledger.append(
        session,
        ledger.Event(
            "federation.peer.added",
            subjects={"actor": actor.user_id},
            public={"peer": peer.id, "node": peer.node_id, "jurisdiction": peer.jurisdiction},
            record={"base_url": base_url, "fingerprint": peer.fingerprint},
        ),
    )
    return peer


def fetch_descriptor(base_url: str) -> dict[str, Any]:
    try:
        response = httpx.get(f"{base_url}{DESCRIPTOR_PATH}", timeout=calls.TIMEOUT)
    except httpx.TransportError as exc:
        raise NodeUnavailable(
            _l("%(base_url)s did not answer", base_url=base_url), code="federation.peer-unavailable"
        ) from exc
    if response.status_code != 200:
        raise InvalidInput(
            _l(
                "%(base_url)s%(path)s answered %(status)s",
                base_url=base_url,
                path=DESCRIPTOR_PATH,
                status=response.status_code,
            ),
            code="federation.no-descriptor",
            hint=N_("check the URL: it must be an Accord node's base URL"),
        )
    descriptor: dict[str, Any] = response.json()
    return descriptor


def handshake(node: NodeContext, peer_id: str) -> bool:
    """Tell the peer this node has added it; confirm the relationship if it has added us too."""
    with node.session() as session:
        peer = get_peer(session, peer_id)
        response = calls.call(
            node, "POST", f"{peer.base_url}{HANDSHAKE_PATH}", body={"node": node.identity.node_id}
        )
        if response.status_code in (401, 403):
            return False
        calls.answer(response)
        _confirm(session, peer)
        session.commit()
        return True


def accept_handshake(session: Session, caller: Caller) -> Peer:
    """A peer proved (by its signature) that it added this node: the relationship is active."""
    peer = get_peer(session, caller.peer_id)
    _confirm(session, peer)
    return peer


def suspend(session: Session, actor: Principal, peer_id: str, *, suspended: bool) -> Peer:
    """Suspend a peer (its calls are refused, it is not harvested or witnessed), or lift it."""
    _require(actor, Permission.FEDERATION_PEER_MANAGE)
    peer = get_peer(session, peer_id)
    if peer.suspended == suspended:
        return peer
    peer.suspended = suspended
    ledger.append(
        session,
        ledger.Event(
            "federation.peer.suspended" if suspended else "federation.peer.resumed",
            subjects={"actor": actor.user_id},
            public={"peer": peer.id, "node": peer.node_id},
        ),
    )
    return peer


def get_peer(session: Session, peer_id: str) -> Peer:
    peer = session.get(Peer, peer_id)
    if peer is None:
        peer = session.scalars(select(Peer).where(Peer.node_id == peer_id)).first()
    if peer is None:
        raise NotFound(_l("no peer %(peer_id)s", peer_id=peer_id), code="federation.peer-not-found")
    return peer


def list_peers(session: Session) -> Sequence[Peer]:
    return session.scalars(select(Peer).order_by(Peer.node_id)).all()


def active_peers(session: Session) -> list[Peer]:
    return [p for p in list_peers(session) if p.state == "active"]


def _confirm(session: Session, peer: Peer) -> None:
    if peer.confirmed:
        return
    peer.confirmed = True
    peer.confirmed_at = node_of(session).clock.now()
    ledger.append(
        session,
        ledger.Event(
            "federation.peer.confirmed",
            public={"peer": peer.id, "node": peer.node_id},
        ),
    )


def _peer_from(
    descriptor: dict[str, Any],
    base_url: str,
    expected: str,
    actor: Principal,
    now: datetime,
) -> Peer:
    try:
        raw = base64.b64decode(descriptor["public_key"]["key"], validate=True)
        key = Ed25519PublicKey.from_public_bytes(raw)
        log = descriptor["log"]
        log_verifier = Verifier.from_key(log["verifier_key"])
        node_id, name = str(descriptor["node_id"]), str(descriptor["name"])
        jurisdiction, published_url = str(descriptor["jurisdiction"]), str(descriptor["base_url"])
    except (KeyError, TypeError, ValueError, binascii.Error, NoteError) as exc:
        raise InvalidInput(
            _l(
                "%(base_url)s%(path)s is not a node descriptor this node understands",
                base_url=base_url,
                path=DESCRIPTOR_PATH,
            ),
            code="federation.bad-descriptor",
        ) from exc
    if fingerprint(key) != expected.strip():
        raise VerificationFailed(
            _l(
                "the key of %(base_url)s has fingerprint %(fingerprint)s, not %(expected)s",
                base_url=base_url,
                fingerprint=fingerprint(key),
                expected=expected,
            ),
            code="federation.fingerprint-mismatch",
            hint=N_("ask the peer's admin for the fingerprint again, over a channel you trust"),
        )
    if published_url.rstrip("/") != base_url or log_verifier.public_key.public_bytes_raw() != raw:
        raise VerificationFailed(
            _l("%(base_url)s describes itself with another URL or log key", base_url=base_url),
            code="federation.bad-descriptor",
        )
    return Peer(
        id=new_id("peer"),
        node_id=node_id,
        name=name,
        jurisdiction=jurisdiction,
        base_url=base_url,
        public_key=base64.b64encode(raw).decode(),
        fingerprint=fingerprint(key),
        log_origin=log_verifier.name,
        log_key=log_verifier.vkey(),
        confirmed=False,
        suspended=False,
        added_by=actor.user_id,
        added_at=now,
    )


def _clean_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise InvalidInput(
            _l("%(url)r is not a node's base URL", url=url),
            code="federation.bad-url",
            errors=[
                FieldError("url", N_("an http(s) URL without query, like https://node.example"))
            ],
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _require(actor: Principal, permission: Permission) -> None:
    if not actor.can(permission):
        raise Forbidden(
            _l("this needs the permission %(permission)s", permission=permission.value),
            code="forbidden",
        )
