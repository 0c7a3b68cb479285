"""Signed transparency reports: RFC 8785 canonical JSON signed with the node's Ed25519 key.

The same construction as a version's manifest (decision 0302): the report document is
serialised canonically, so its bytes, SHA-256 and signature are the same wherever it is rebuilt;
the signature is standard base64. The signed file is an envelope holding the canonical bytes as
a string, the signature, the node's public key and the digest the log entry carries.
Verification raises ``VerificationFailed`` and returns nothing on success.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from accord.errors import VerificationFailed
from accord.keys import public_key_b64

ENVELOPE_FORMAT = "accord-signed-report/1"


@dataclass(frozen=True)
class SignedReport:
    canonical: bytes
    signature: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.canonical).hexdigest()

    @property
    def document(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.canonical)
        return value

    def envelope(self, public_key: Ed25519PublicKey, ledger_seq: int) -> dict[str, Any]:
        return {
            "format": ENVELOPE_FORMAT,
            "report": self.canonical.decode("utf-8"),
            "sha256": self.sha256,
            "signature": self.signature,
            "algorithm": "Ed25519",
            "public_key": public_key_b64(public_key),
            "ledger_seq": ledger_seq,
        }


def canonical_report(document: dict[str, Any]) -> bytes:
    """The bytes that are signed and whose SHA-256 the log holds."""
    return bytes(rfc8785.dumps(document))


def sign_canonical(key: Ed25519PrivateKey, canonical: bytes) -> SignedReport:
    return SignedReport(canonical, base64.b64encode(key.sign(canonical)).decode())


def sign_report(key: Ed25519PrivateKey, document: dict[str, Any]) -> SignedReport:
    return sign_canonical(key, canonical_report(document))


def envelope_of(value: Any) -> dict[str, Any]:
    """``value`` as a signed report's envelope, or ``VerificationFailed`` if it is not one."""
    if not isinstance(value, dict) or value.get("format") != ENVELOPE_FORMAT:
        raise VerificationFailed(
            f"not a signed report (expected format {ENVELOPE_FORMAT})",
            code="reports.not-a-signed-report",
        )
    return value


def verify_envelope(envelope: Any, public_key: Ed25519PublicKey | None = None) -> SignedReport:
    """Check an envelope's signature (with ``public_key``, else the key it names) and digest;
    return the report. Any changed byte of the report, digest or signature fails."""
    envelope = envelope_of(envelope)
    try:
        canonical = str(envelope["report"]).encode("utf-8")
        signature = str(envelope["signature"])
        key = public_key or Ed25519PublicKey.from_public_bytes(
            base64.b64decode(str(envelope["public_key"]), validate=True)
        )
    except (KeyError, ValueError, binascii.Error):
        raise VerificationFailed(
            "the signed report lacks its report, signature or public key",
            code="reports.envelope-incomplete",
        ) from None
    verify_report(key, canonical, signature)
    if envelope.get("sha256") != hashlib.sha256(canonical).hexdigest():
        raise VerificationFailed(
            "the report's digest does not match its bytes", code="reports.digest-mismatch"
        )
    return SignedReport(canonical, signature)


def verify_report(public_key: Ed25519PublicKey, canonical: bytes, signature: str) -> None:
    try:
        public_key.verify(base64.b64decode(signature, validate=True), canonical)
    except (InvalidSignature, binascii.Error, ValueError):
        raise VerificationFailed(
            "the report's signature does not verify with the node's key",
            code="reports.signature",
        ) from None
    try:
        canonical_again = rfc8785.dumps(json.loads(canonical))
    except ValueError:
        canonical_again = b""
    if canonical_again != canonical:
        raise VerificationFailed(
            "the report bytes are not in canonical form (RFC 8785)",
            code="reports.not-canonical",
        )
