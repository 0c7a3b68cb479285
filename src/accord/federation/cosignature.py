"""C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature): a witness's timestamped signature
of a checkpoint, as an extra signed-note line.

The signed message is ``cosignature/v1\\ntime <T>\\n`` followed by the checkpoint body; the
signature line's blob is ``key ID (4) || T (8, big-endian) || Ed25519 signature (64)``, and the
key ID is ``SHA-256(name || 0x0A || 0x04 || public key)[:4]`` (signature type 0x04). Pure
functions; :func:`verify_cosignature` fails closed.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from accord.ledger.note import NoteError, key_id, parse_note

COSIGNATURE_V1 = 0x04
_RAW = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class Witness:
    """A witness's name and public key (the name is how its cosignature lines are labelled)."""

    name: str
    public_key: Ed25519PublicKey

    @property
    def key_id(self) -> int:
        return key_id(self.name, COSIGNATURE_V1, self.public_key.public_bytes(*_RAW))

    def vkey(self) -> str:
        """``<name>+<hex key ID>+base64(0x04 || public key)``, the verifier key form."""
        blob = bytes([COSIGNATURE_V1]) + self.public_key.public_bytes(*_RAW)
        return f"{self.name}+{self.key_id:08x}+{base64.b64encode(blob).decode()}"

    @classmethod
    def from_vkey(cls, vkey: str) -> Witness:
        name, _, rest = vkey.partition("+")
        hex_id, _, b64 = rest.partition("+")
        try:
            blob = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            raise NoteError(f"not a cosignature verifier key: {vkey!r}") from None
        if len(blob) != 33 or blob[0] != COSIGNATURE_V1:
            raise NoteError("not a cosignature/v1 (type 0x04) Ed25519 key")
        witness = cls(name, Ed25519PublicKey.from_public_bytes(blob[1:]))
        if f"{witness.key_id:08x}" != hex_id:
            raise NoteError(f"witness key ID {hex_id} does not match the key")
        return witness


def signed_message(checkpoint_body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint_body}".encode()


def cosign(name: str, key: Ed25519PrivateKey, checkpoint_body: str, timestamp: int) -> str:
    """The cosignature line (``— <name> <base64>\\n``) of ``checkpoint_body`` at ``timestamp``."""
    witness = Witness(name, key.public_key())
    signature = key.sign(signed_message(checkpoint_body, timestamp))
    blob = witness.key_id.to_bytes(4, "big") + timestamp.to_bytes(8, "big") + signature
    return f"\u2014 {name} {base64.b64encode(blob).decode()}\n"


def verify_cosignature(note: str, witness: Witness) -> int:
    """Check ``witness``'s cosignature on the checkpoint note; return its timestamp.

    Raises ``NoteError`` when the note has no cosignature line by this witness or it fails."""
    parsed = parse_note(note)
    for line in parsed.signatures:
        if line.name != witness.name or line.key_id != witness.key_id:
            continue
        if len(line.signature) != 72:
            raise NoteError(f"cosignature by {witness.name} is not 8 + 64 bytes")
        timestamp = int.from_bytes(line.signature[:8], "big")
        try:
            witness.public_key.verify(line.signature[8:], signed_message(parsed.text, timestamp))
        except InvalidSignature:
            raise NoteError(f"cosignature by {witness.name} does not verify") from None
        return timestamp
    raise NoteError(f"the checkpoint has no cosignature by {witness.name}")


def count_cosignatures(note: str, witnesses: list[Witness]) -> list[str]:
    """The names of ``witnesses`` whose cosignatures on ``note`` verify."""
    valid: list[str] = []
    for witness in witnesses:
        try:
            verify_cosignature(note, witness)
        except NoteError:
            continue
        valid.append(witness.name)
    return valid
