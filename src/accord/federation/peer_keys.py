"""A peer's key history, picked up from its descriptor and trusted only through rotations.

The key a peer was added with (fingerprint checked out of band) is the anchor. The descriptor's
``keys`` list is accepted when it holds the key this node trusts now and every later key
carries its predecessor's signature of the rotation (``ledger.keyring.verify_rotation``). The
peer row then moves to the newest key (its calls and log verify with it), and the change is
logged. Checkpoints open with the key valid for their size: one signed by a retired key after
its retirement is refused (decision 1311).
"""

from __future__ import annotations

import base64
import time
from contextlib import nullcontext
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import ledger
from accord.errors import AccordError, VerificationFailed
from accord.federation import calls
from accord.federation.models import Peer
from accord.ledger import merkle
from accord.ledger.canonical import canonical_json
from accord.ledger.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from accord.ledger.keyring import (
    KeyHistoryError,
    Keyring,
    NodeKey,
    check_rotation_entry,
    keyring_from_json,
    open_checkpoint_with,
    transitions,
    verify_rotation,
)
from accord.ledger.note import NoteError, Verifier

REFRESH_INTERVAL_SECONDS = 60.0
"""An unknown key id on a call refreshes the peers' keys at most this often (per process)."""
_last_refresh: dict[str, float] = {}


def trusted_history(peer: Peer, descriptor: dict[str, Any]) -> Keyring:
    """The part of the descriptor's key history from the key trusted now, every rotation after
    it verified; a descriptor without ``keys`` is a node that never rotated."""
    items = descriptor.get("keys")
    if not items:
        return Keyring.single(Ed25519PublicKey.from_public_bytes(base64.b64decode(peer.public_key)))
    history = keyring_from_json(items)
    start = next((i for i, key in enumerate(history.keys) if key.key_b64 == peer.public_key), None)
    if start is None:
        raise KeyHistoryError(f"the key history of {peer.node_id} no longer holds its trusted key")
    for old, new in zip(history.keys[start:], history.keys[start + 1 :], strict=False):
        verify_rotation(peer.node_id, old, new)
    return Keyring(history.keys[start:])


def accept_history(
    session: Session,
    peer: Peer,
    descriptor: dict[str, Any],
    http: httpx.Client | None = None,
) -> Keyring:
    """Verify the descriptor's key history and move the peer to its newest key (logged).

    Each rotation this node has not seen is also checked in the peer's log: the rotation entry
    names the new key and is included in the checkpoint the old key signed last (``http``
    reaches the peer; by default a client for its base URL)."""
    try:
        history = trusted_history(peer, descriptor)
        if history.current.key_b64 != peer.public_key:
            own = httpx.Client(base_url=peer.base_url, timeout=calls.TIMEOUT)
            with nullcontext(http) if http else own as client:
                for seq, old, new in transitions(history):
                    check_rotation_in_log(client, peer, seq, old, new)
    except KeyHistoryError as exc:
        raise VerificationFailed(
            f"{peer.node_id}'s key history does not verify: {exc}",
            code="federation.bad-key-history",
            hint="ask the peer's admin whether the node's key was replaced without a rotation",
        ) from exc
    current = history.current
    if current.key_b64 != peer.public_key:
        previous = peer.fingerprint
        peer.public_key, peer.fingerprint = current.key_b64, current.fingerprint
        peer.log_key = Verifier(peer.log_origin, current.public_key).vkey()
        ledger.append(
            session,
            ledger.Event(
                "federation.peer_key.accepted",
                public={
                    "peer": peer.id,
                    "node": peer.node_id,
                    "old_key": previous,
                    "new_key": current.fingerprint,
                    "from_size": current.from_size,
                },
            ),
        )
    return history


def open_peer_checkpoint(note: str, peer: Peer, history: Keyring) -> Checkpoint:
    """The peer's checkpoint, verified with the key of its history valid for its size."""
    try:
        return open_checkpoint_with(note, history, peer.log_origin)
    except (CheckpointError, NoteError) as exc:
        raise VerificationFailed(
            f"{peer.node_id}'s checkpoint does not verify with its log keys: {exc}",
            code="federation.bad-checkpoint",
        ) from exc


def check_rotation_in_log(
    http: httpx.Client, peer: Peer, seq: int, old: NodeKey, new: NodeKey
) -> None:
    """Raise ``KeyHistoryError`` unless entry ``seq`` of the peer's log is the rotation from
    ``old`` to ``new``, proved included in the checkpoint of ``old``'s last size that ``old``
    signed."""
    size = old.until_size or 0
    try:
        proof = http.get(
            "/api/v1/log/proofs/inclusion", params={"index": seq, "tree_size": size}
        ).json()
        entry = canonical_json(http.get(f"/api/v1/log/entries/{seq}").json()["entry"])
        checkpoint = open_checkpoint(proof["checkpoint"], Verifier(peer.log_origin, old.public_key))
        hashes = [base64.b64decode(h) for h in proof["proof"]]
        if checkpoint.size != size:
            raise KeyHistoryError(f"the old key's last checkpoint is not of {size} entries")
        merkle.verify_inclusion(seq, size, merkle.leaf_hash(entry), hashes, checkpoint.root_hash)
    except (httpx.HTTPError, ValueError, KeyError, TypeError, NoteError, merkle.ProofError) as exc:
        raise KeyHistoryError(f"the rotation entry {seq} is not proved in the log: {exc}") from exc
    problem = check_rotation_entry(entry, seq, old, new)
    if problem:
        raise KeyHistoryError(problem)


def refresh_for_keyid(session: Session, keyid: str) -> Peer | None:
    """A call came signed by an unknown key: look for a peer that rotated to it (at most once
    a minute), accepting its verified history. Returns that peer, or None."""
    now = time.monotonic()
    if now - _last_refresh.get(keyid, -REFRESH_INTERVAL_SECONDS) < REFRESH_INTERVAL_SECONDS:
        return None
    _last_refresh[keyid] = now
    from accord.federation.peers import fetch_descriptor

    for peer in session.scalars(select(Peer).where(Peer.suspended.is_(False))):
        try:
            descriptor = fetch_descriptor(peer.base_url)
            if _lists(descriptor, keyid):
                accept_history(session, peer, descriptor)
                return peer
        except (AccordError, ValueError):  # a peer that does not answer or lies is skipped
            continue
    return None


def _lists(descriptor: dict[str, Any], keyid: str) -> bool:
    keys = descriptor.get("keys") or []
    return any(isinstance(k, dict) and k.get("fingerprint") == keyid for k in keys)
