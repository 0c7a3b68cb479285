"""Rotating the node's signing key: a new Ed25519 key, introduced by a log entry the old key
signs, the old key's last checkpoint covering that entry, then the new key in every process.

The key table (``ledger_keys``) is what the log's signer follows; until the first rotation it is
empty and the node's one key file is the whole history.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import ledger
from accord.clock import rfc3339
from accord.errors import Forbidden
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.keys import (
    NEXT_SIGNING_KEY_FILE,
    fingerprint,
    new_signing_key,
    promote_next_key,
    public_key_b64,
)
from accord.ledger import service
from accord.ledger.keyring import ROTATION_EVENT, Keyring, NodeKey, rotation_statement
from accord.ledger.models import LedgerKey
from accord.node import NodeContext, node_of


@dataclass(frozen=True)
class Rotation:
    old: NodeKey
    new: NodeKey
    seq: int
    """The log entry that records the rotation."""


def keyring(session: Session) -> Keyring:
    """The node's key history: the key table, or the key file alone before any rotation."""
    rows = session.scalars(select(LedgerKey).order_by(LedgerKey.from_size)).all()
    if not rows:
        return Keyring.single(node_of(session).signing_key.public_key())
    return Keyring(tuple(_key_of(row) for row in rows))


def rotate(node: NodeContext, actor: Principal) -> Rotation:
    """Create a new signing key and make it the node's; see the module docstring."""
    if not actor.can(Permission.NODE_ADMIN):
        raise Forbidden(
            f"this needs the permission {Permission.NODE_ADMIN.value}", code="forbidden"
        )
    keys_dir = node.settings.keys_dir
    _finish_interrupted(node)
    new_private = new_signing_key(keys_dir)
    try:
        with node.session() as session:
            rotation = _record(session, actor, new_private.public_key())
            session.commit()
    except BaseException:
        (keys_dir / NEXT_SIGNING_KEY_FILE).unlink(missing_ok=True)
        raise
    promote_next_key(keys_dir)
    return rotation


def _finish_interrupted(node: NodeContext) -> None:
    """A pending key file left by a rotation that stopped: promote it if the rotation was
    committed (the key table names it current), else discard it."""
    pending = node.settings.keys_dir / NEXT_SIGNING_KEY_FILE
    if not pending.exists():
        return
    key = serialization.load_pem_private_key(pending.read_bytes(), None)
    with node.session(readonly=True) as session:
        current = session.scalar(
            select(LedgerKey.fingerprint).where(LedgerKey.until_size.is_(None))
        )
    if isinstance(key, Ed25519PrivateKey) and current == fingerprint(key.public_key()):
        promote_next_key(node.settings.keys_dir)
    else:
        pending.unlink()


def _record(session: Session, actor: Principal, new_public: Ed25519PublicKey) -> Rotation:
    node = node_of(session)
    now = node.clock.now()
    old = keyring(session).current
    seq = service.next_seq(session)
    new_b64 = public_key_b64(new_public)
    statement = rotation_statement(node.identity.node_id, old.fingerprint, new_b64, seq + 2)
    old_private = node.signing_key_for(old.fingerprint)
    signature = base64.b64encode(old_private.sign(statement)).decode()
    ledger.append(
        session,
        ledger.Event(
            ROTATION_EVENT,
            subjects={"actor": actor.user_id},
            public={
                "old_key": old.fingerprint,
                "new_key": fingerprint(new_public),
                "new_public_key": new_b64,
                "from_size": seq + 2,
                "valid_from": rfc3339(now),
                "signature": signature,
            },
        ),
    )
    service.checkpoint_now(session)
    _retire(session, old, seq + 1, now)
    new = NodeKey(new_public, seq + 2, None, now, None, seq, signature)
    session.add(_row_of(new))
    session.flush()
    return Rotation(old=_with_end(old, seq + 1, now), new=new, seq=seq)


def _retire(session: Session, old: NodeKey, until_size: int, now: datetime) -> None:
    row = session.get(LedgerKey, old.fingerprint)
    if row is None:
        row = _row_of(old)
        session.add(row)
    row.until_size = until_size
    row.valid_until = now


def _with_end(key: NodeKey, until_size: int, now: datetime) -> NodeKey:
    return NodeKey(
        key.public_key,
        key.from_size,
        until_size,
        key.valid_from,
        now,
        key.rotation_seq,
        key.rotation_signature,
    )


def _row_of(key: NodeKey) -> LedgerKey:
    return LedgerKey(
        fingerprint=key.fingerprint,
        public_key=key.key_b64,
        valid_from=key.valid_from,
        valid_until=key.valid_until,
        from_size=key.from_size,
        until_size=key.until_size,
        rotation_seq=key.rotation_seq,
        rotation_signature=key.rotation_signature,
    )


def _key_of(row: LedgerKey) -> NodeKey:
    return NodeKey(
        Ed25519PublicKey.from_public_bytes(base64.b64decode(row.public_key)),
        row.from_size,
        row.until_size,
        row.valid_from,
        row.valid_until,
        row.rotation_seq,
        row.rotation_signature,
    )
