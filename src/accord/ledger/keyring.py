"""The node's signing keys over time, and checkpoints opened with the key valid for their size.

A rotation is the log entry ``ledger.key.rotated`` at sequence number ``r``: it names the new
key and carries the old key's signature of the :func:`rotation_statement`. The old key signs
the checkpoint of ``r + 1`` entries (the one covering the rotation) and no larger one; the new
key signs every checkpoint from ``r + 2`` entries on. So a checkpoint verifies only with the key
whose size range holds its size, and one signed by a retired key after its retirement is
refused (decision 1310).

Everything here is pure: keys and notes in, a checkpoint or an exception out (STYLE.md §6).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from accord.clock import rfc3339
from accord.keys import fingerprint
from accord.ledger.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from accord.ledger.note import NoteError, Verifier, parse_note

ROTATION_EVENT = "ledger.key.rotated"
STATEMENT_TAG = "accord-key-rotation/v1"


class KeyHistoryError(ValueError):
    """A key history is malformed, or a rotation's signature does not verify."""


@dataclass(frozen=True)
class NodeKey:
    """One signing key of a node and where it is valid."""

    public_key: Ed25519PublicKey
    from_size: int
    until_size: int | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    rotation_seq: int | None = None
    rotation_signature: str | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    @property
    def key_b64(self) -> str:
        return base64.b64encode(self.public_key.public_bytes_raw()).decode()

    def signs_size(self, size: int) -> bool:
        return self.from_size <= size and (self.until_size is None or size <= self.until_size)

    def valid_at(self, when: datetime) -> bool:
        after_start = self.valid_from is None or when >= self.valid_from
        return after_start and (self.valid_until is None or when < self.valid_until)

    def as_json(self) -> dict[str, Any]:
        return {
            "algorithm": "Ed25519",
            "key": self.key_b64,
            "fingerprint": self.fingerprint,
            "valid_from": rfc3339(self.valid_from) if self.valid_from else None,
            "valid_until": rfc3339(self.valid_until) if self.valid_until else None,
            "from_size": self.from_size,
            "until_size": self.until_size,
            "rotation": None
            if self.rotation_seq is None
            else {"seq": self.rotation_seq, "signature": self.rotation_signature},
        }


@dataclass(frozen=True)
class Keyring:
    """A node's keys, oldest first, each taking over where the one before ends."""

    keys: tuple[NodeKey, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyHistoryError("a key history needs at least one key")
        for old, new in zip(self.keys, self.keys[1:], strict=False):
            if old.until_size is None or new.from_size != old.until_size + 1:
                raise KeyHistoryError("each key must start right after the one before it ends")

    @classmethod
    def single(cls, public_key: Ed25519PublicKey) -> Keyring:
        return cls((NodeKey(public_key, 0),))

    @property
    def current(self) -> NodeKey:
        return self.keys[-1]

    def for_size(self, size: int) -> NodeKey:
        for key in self.keys:
            if key.signs_size(size):
                return key
        raise KeyHistoryError(f"no key of this node may sign a checkpoint of {size} entries")

    def at(self, when: datetime) -> NodeKey:
        """The key valid at ``when`` (a manifest's signing time, a call's creation)."""
        for key in reversed(self.keys):
            if key.valid_at(when):
                return key
        raise KeyHistoryError(f"no key of this node was valid at {rfc3339(when)}")

    def around(self, when: datetime) -> list[NodeKey]:
        """The keys valid at ``when``, bounds included: at the instant of a rotation both the
        old and the new key are candidates, and the signature decides."""
        return [
            key
            for key in reversed(self.keys)
            if (key.valid_from is None or key.valid_from <= when)
            and (key.valid_until is None or when <= key.valid_until)
        ]

    def by_fingerprint(self, wanted: str) -> NodeKey | None:
        return next((k for k in self.keys if k.fingerprint == wanted), None)

    def verifiers(self, origin: str) -> list[Verifier]:
        return [Verifier(origin, k.public_key) for k in self.keys]

    def as_json(self) -> list[dict[str, Any]]:
        return [key.as_json() for key in self.keys]


def rotation_statement(node_id: str, old: str, new_key_b64: str, from_size: int) -> bytes:
    """What the old key signs: the node, the old key's fingerprint, the new key, and the first
    checkpoint size the new key signs."""
    return f"{STATEMENT_TAG}\n{node_id}\n{old}\n{new_key_b64}\n{from_size}\n".encode()


def verify_rotation(node_id: str, old: NodeKey, new: NodeKey) -> None:
    """Raise unless ``new`` carries ``old``'s signature of their rotation statement."""
    if new.rotation_signature is None or new.from_size < 1:
        raise KeyHistoryError(f"the key {new.fingerprint} carries no rotation signature")
    statement = rotation_statement(node_id, old.fingerprint, new.key_b64, new.from_size)
    try:
        signature = base64.b64decode(new.rotation_signature, validate=True)
        old.public_key.verify(signature, statement)
    except (InvalidSignature, binascii.Error, ValueError):
        raise KeyHistoryError(
            f"the rotation to {new.fingerprint} is not signed by the key {old.fingerprint}"
        ) from None


def verify_chain(node_id: str, keyring: Keyring) -> None:
    """Every key after the first is introduced by its predecessor's signature."""
    for old, new in zip(keyring.keys, keyring.keys[1:], strict=False):
        verify_rotation(node_id, old, new)


def open_checkpoint_with(note: str | bytes, keyring: Keyring, origin: str) -> Checkpoint:
    """Verify the checkpoint with the key of ``keyring`` that signed it, and refuse it unless
    that key may sign a checkpoint of its size."""
    known = {Verifier(origin, k.public_key).key_id: k for k in keyring.keys}
    signed_by = [sig.key_id for sig in parse_note(note).signatures if sig.name == origin]
    key = next((known[i] for i in signed_by if i in known), None)
    if key is None:
        raise NoteError("note has no signature by a key of this log")
    checkpoint = open_checkpoint(note, Verifier(origin, key.public_key))
    if not key.signs_size(checkpoint.size):
        raise CheckpointError(
            f"the checkpoint of {checkpoint.size} entries is signed by the key "
            f"{key.fingerprint}, which signs only checkpoints of "
            f"{_range(key)} entries (it was rotated out)"
        )
    return checkpoint


def check_rotation_entry(entry: bytes, seq: int, old: NodeKey, new: NodeKey) -> str:
    """Why log entry ``seq`` is not the rotation from ``old`` to ``new`` ("" when it is)."""
    try:
        parsed = json.loads(entry)
        public = parsed["public"]
        if parsed["type"] != ROTATION_EVENT:
            return f"entry {seq} should be the rotation to the key {new.fingerprint}"
        named = (public["old_key"], public["new_public_key"], public["from_size"])
        signature, node_id = public["signature"], str(parsed["node"])
    except (ValueError, KeyError, TypeError):
        return f"entry {seq} is not a key rotation this auditor understands"
    if named != (old.fingerprint, new.key_b64, new.from_size) or seq + 2 != new.from_size:
        return f"entry {seq} rotates to another key than the key history shows"
    try:
        verify_rotation(node_id, old, _with_signature(new, str(signature)))
    except KeyHistoryError as exc:
        return f"entry {seq}: {exc}"
    return ""


def keyring_from_json(items: Sequence[dict[str, Any]]) -> Keyring:
    """A key history as the node descriptor lists it (``keys``)."""
    try:
        return Keyring(tuple(_key_from_json(item) for item in items))
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise KeyHistoryError(f"not a key history this node understands: {exc}") from exc


def transitions(keyring: Keyring) -> Iterable[tuple[int, NodeKey, NodeKey]]:
    """``(rotation entry seq, old key, new key)`` for each rotation in the history."""
    for old, new in zip(keyring.keys, keyring.keys[1:], strict=False):
        yield new.from_size - 2, old, new


def _key_from_json(item: dict[str, Any]) -> NodeKey:
    raw = base64.b64decode(item["key"], validate=True)
    rotation = item.get("rotation") or {}
    return NodeKey(
        Ed25519PublicKey.from_public_bytes(raw),
        int(item["from_size"]),
        None if item.get("until_size") is None else int(item["until_size"]),
        _time(item.get("valid_from")),
        _time(item.get("valid_until")),
        None if rotation.get("seq") is None else int(rotation["seq"]),
        None if rotation.get("signature") is None else str(rotation["signature"]),
    )


def _time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _with_signature(key: NodeKey, signature: str) -> NodeKey:
    return NodeKey(key.public_key, key.from_size, key.until_size, rotation_signature=signature)


def _range(key: NodeKey) -> str:
    if key.until_size is None:
        return f"{key.from_size} or more"
    return f"{key.from_size} to {key.until_size}"
