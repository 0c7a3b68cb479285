"""The node's key material, kept as files in the data dir's ``keys/`` folder at mode 0600.

- ``node_ed25519.pem``: the node's Ed25519 signing key (checkpoints, manifests, passports).
- ``pseudonym.key``: 32 random bytes, the HMAC key that turns people into log pseudonyms.

Keys are created once and never overwritten.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

SIGNING_KEY_FILE = "node_ed25519.pem"
PSEUDONYM_KEY_FILE = "pseudonym.key"


def ensure_keys(keys_dir: Path) -> bool:
    """Create any missing key file; return True if something was created."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(keys_dir, 0o700)
    created = False
    signing = keys_dir / SIGNING_KEY_FILE
    if not signing.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_private(signing, pem)
        created = True
    pseudonym = keys_dir / PSEUDONYM_KEY_FILE
    if not pseudonym.exists():
        _write_private(pseudonym, secrets.token_bytes(32))
        created = True
    return created


def _write_private(path: Path, data: bytes) -> None:
    """Write with mode 0600 from the first byte; refuse to replace an existing file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def load_signing_key(keys_dir: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key((keys_dir / SIGNING_KEY_FILE).read_bytes(), None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{keys_dir / SIGNING_KEY_FILE} is not an Ed25519 private key")
    return key


def load_pseudonym_key(keys_dir: Path) -> bytes:
    return (keys_dir / PSEUDONYM_KEY_FILE).read_bytes()


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_b64(key: Ed25519PublicKey) -> str:
    return base64.b64encode(public_key_bytes(key)).decode()


def fingerprint(key: Ed25519PublicKey) -> str:
    """``SHA256:<base64>`` of the raw public key, to compare out of band."""
    digest = hashlib.sha256(public_key_bytes(key)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")
