"""C2SP signed-note (https://c2sp.org/signed-note): text signed by one or more keys.

A note is its text (ending in a newline), a blank line, then one signature line per key::

    — <key name> base64(uint32 key ID || signature)

This module speaks the Ed25519 signature type (0x01) only, whose key ID is
``SHA-256(key name || 0x0A || 0x01 || public key)[:4]`` and whose verifier key string is
``<name>+<hex key ID>+base64(0x01 || public key)``. Any other signature in a note is kept but
never trusted. :func:`open_note` fails closed (STYLE.md §6): it returns the verified note or
raises.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

ED25519 = 0x01
"""The signed-note signature type byte for Ed25519."""

MAX_SIGNATURES = 100
"""Notes with more signature lines are refused (the spec asks verifiers to accept at least 16)."""

_DASH = "\u2014 "
_RAW = serialization.Encoding.Raw


class NoteError(ValueError):
    """A note, key or signature is malformed, or no trusted signature on a note verified."""


@dataclass(frozen=True)
class Signature:
    """One signature line: who (name and key ID) and the raw signature bytes."""

    name: str
    key_id: int
    signature: bytes

    def line(self) -> str:
        blob = self.key_id.to_bytes(4, "big") + self.signature
        return f"{_DASH}{self.name} {base64.b64encode(blob).decode()}\n"


@dataclass(frozen=True)
class UnverifiedNote:
    """A note as parsed: nothing in it has been checked, so nothing in it may be trusted yet."""

    text: str
    signatures: tuple[Signature, ...]


@dataclass(frozen=True)
class VerifiedNote:
    """A note with at least one signature by a trusted key checked; ``signers`` names them."""

    text: str
    signers: tuple[str, ...]


def key_id(name: str, signature_type: int, public_key: bytes) -> int:
    """``SHA-256(name || 0x0A || type || public key)[:4]`` as a big-endian uint32."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


class Verifier:
    """An Ed25519 note verifier: a key name and a public key."""

    def __init__(self, name: str, public_key: Ed25519PublicKey) -> None:
        _check_key_name(name)
        self.name = name
        self.public_key = public_key
        self.raw_key = public_key.public_bytes(_RAW, serialization.PublicFormat.Raw)
        self.key_id = key_id(name, ED25519, self.raw_key)

    @classmethod
    def from_key(cls, vkey: str) -> Verifier:
        """Parse ``<name>+<hex key ID>+<base64(0x01 || public key)>``, checking the key ID."""
        name, sep, rest = vkey.partition("+")
        hex_id, sep2, b64 = rest.partition("+")
        if not (sep and sep2) or len(hex_id) != 8 or hex_id != hex_id.lower():
            raise NoteError(f"not a verifier key: {vkey!r}")
        blob = _b64decode(b64, "verifier key")
        if len(blob) != 33 or blob[0] != ED25519:
            raise NoteError("verifier key is not an Ed25519 (type 0x01) key")
        verifier = cls(name, Ed25519PublicKey.from_public_bytes(blob[1:]))
        if f"{verifier.key_id:08x}" != hex_id:
            raise NoteError(f"verifier key ID {hex_id} does not match the key")
        return verifier

    def vkey(self) -> str:
        """The verifier key string any signed-note implementation accepts."""
        b64 = base64.b64encode(bytes([ED25519]) + self.raw_key).decode()
        return f"{self.name}+{self.key_id:08x}+{b64}"

    def verify(self, text: bytes, signature: bytes) -> bool:
        try:
            self.public_key.verify(signature, text)
        except InvalidSignature:
            return False
        return True


class Signer:
    """An Ed25519 note signer: a key name and a private key."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self.private_key = private_key
        self.verifier = Verifier(name, private_key.public_key())

    @property
    def name(self) -> str:
        return self.verifier.name

    @property
    def key_id(self) -> int:
        return self.verifier.key_id

    @classmethod
    def from_key(cls, skey: str) -> Signer:
        """Parse the Go ``sumdb/note`` signer key form ``PRIVATE+KEY+<name>+<hex id>+<b64>``."""
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("not a signer key: it must start with PRIVATE+KEY+")
        name, hex_id, b64 = parts[2:]
        blob = _b64decode(b64, "signer key")
        if len(blob) != 33 or blob[0] != ED25519:
            raise NoteError("not an Ed25519 signer key")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(blob[1:]))
        if f"{signer.key_id:08x}" != hex_id:
            raise NoteError(f"signer key ID {hex_id} does not match the key")
        return signer

    def sign(self, text: bytes) -> Signature:
        return Signature(self.name, self.key_id, self.private_key.sign(text))


def sign_note(text: str, signers: Sequence[Signer]) -> str:
    """The signed note of ``text`` (which must end in a newline) by each of ``signers``."""
    _check_text(text)
    body = text.encode()
    return text + "\n" + "".join(signer.sign(body).line() for signer in signers)


def parse_note(message: str | bytes) -> UnverifiedNote:
    """Split a note into its text and signature lines, checking only the syntax."""
    if isinstance(message, bytes):
        try:
            message = message.decode("utf-8")
        except UnicodeDecodeError:
            raise NoteError("note is not valid UTF-8") from None
    if not message.endswith("\n"):
        raise NoteError("note does not end in a newline")
    split = message.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line before its signatures")
    text, lines = message[: split + 1], message[split + 2 :].splitlines()
    _check_text(text)
    if not lines:
        raise NoteError("note has no signatures")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
    return UnverifiedNote(text, tuple(_parse_signature(line) for line in lines))


def open_note(message: str | bytes, verifiers: Iterable[Verifier]) -> VerifiedNote:
    """Parse ``message`` and check its signatures against the trusted ``verifiers``.

    A signature by an unknown key is ignored; one by a known key that fails rejects the whole
    note; a note with no verified signature by a known key is rejected.
    """
    note = parse_note(message)
    known = {(v.name, v.key_id): v for v in verifiers}
    body = note.text.encode()
    signers: list[str] = []
    for sig in note.signatures:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            continue
        if not verifier.verify(body, sig.signature):
            raise NoteError(f"invalid signature for key {sig.name}+{sig.key_id:08x}")
        if sig.name not in signers:
            signers.append(sig.name)
    if not signers:
        raise NoteError("note has no signature by a trusted key")
    return VerifiedNote(note.text, tuple(signers))


def _parse_signature(line: str) -> Signature:
    if not line.startswith(_DASH):
        raise NoteError(f"not a signature line: {line!r}")
    name, sep, b64 = line[len(_DASH) :].partition(" ")
    if not sep:
        raise NoteError(f"not a signature line: {line!r}")
    _check_key_name(name)
    blob = _b64decode(b64, "signature")
    if len(blob) < 5:
        raise NoteError("signature is too short")
    return Signature(name, int.from_bytes(blob[:4], "big"), blob[4:])


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("note text does not end in a newline")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteError("note text holds a control character")


def _check_key_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() for c in name):
        raise NoteError(f"bad key name {name!r}: empty, or holds a space or '+'")


def _b64decode(text: str, what: str) -> bytes:
    try:
        blob = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError(f"{what} is not base64") from None
    if base64.b64encode(blob).decode() != text:
        raise NoteError(f"{what} is not canonical base64")
    return blob
