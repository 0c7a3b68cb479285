"""The manifest of a published version: every file's path, size, media type and SHA-256.

The manifest is a JSON object serialised canonically (RFC 8785, JSON Canonicalization Scheme),
so that its bytes, and therefore its SHA-256 and its signature, are the same wherever it is
rebuilt. The node signs those bytes with its Ed25519 key (RFC 8032); the signature travels as
standard base64. Functions here are pure: keys and values in, values out; verification raises
``VerificationFailed`` and returns nothing on success.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from accord.errors import VerificationFailed

MANIFEST_FORMAT = "accord-manifest/1"


@dataclass(frozen=True)
class ManifestFile:
    path: str
    size: int
    media_type: str
    sha256: str


@dataclass(frozen=True)
class SignedManifest:
    """Canonical manifest bytes and the node's signature over them."""

    canonical: bytes
    signature: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.canonical).hexdigest()

    @property
    def document(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.canonical)
        return value


def metadata_digest(document: Mapping[str, Any]) -> str:
    """SHA-256 of a metadata document's RFC 8785 canonical form."""
    return hashlib.sha256(rfc8785.dumps(dict(document))).hexdigest()


def build_manifest(
    *,
    node_id: str,
    pid: str,
    dataset_id: str,
    number: int,
    published_at: str,
    metadata_sha256: str,
    files: Sequence[ManifestFile],
) -> dict[str, Any]:
    """The manifest document; files sorted by path so that order never changes the bytes."""
    return {
        "format": MANIFEST_FORMAT,
        "node": node_id,
        "pid": pid,
        "dataset": dataset_id,
        "version": number,
        "published_at": published_at,
        "metadata_sha256": metadata_sha256,
        "files": [asdict(f) for f in sorted(files, key=lambda f: f.path)],
    }


def sign_manifest(key: Ed25519PrivateKey, manifest: Mapping[str, Any]) -> SignedManifest:
    canonical = rfc8785.dumps(dict(manifest))
    return SignedManifest(canonical, base64.b64encode(key.sign(canonical)).decode())


def verify_manifest(public_key: Ed25519PublicKey, canonical: bytes, signature: str) -> None:
    """Raise ``VerificationFailed`` unless ``signature`` signs exactly ``canonical``, and
    ``canonical`` is the RFC 8785 form of itself (no re-serialisation slipped in)."""
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key.verify(raw, canonical)
    except (InvalidSignature, binascii.Error, ValueError):
        raise VerificationFailed(
            "the manifest signature does not verify with the node's key",
            code="catalog.manifest-signature",
        ) from None
    if rfc8785.dumps(json.loads(canonical)) != canonical:
        raise VerificationFailed(
            "the manifest bytes are not in canonical form (RFC 8785)",
            code="catalog.manifest-not-canonical",
        )


def manifest_files(document: Mapping[str, Any]) -> list[ManifestFile]:
    return [ManifestFile(**entry) for entry in document["files"]]
