"""The node's key material, kept as files in the data dir's ``keys/`` folder at mode 0600.

- ``node_ed25519.pem``: the node's Ed25519 signing key (checkpoints, manifests, passports).
- ``pseudonym.key``: 32 random bytes, the HMAC key that turns people into log pseudonyms.
- ``retired/node_ed25519-<fingerprint hex>.pem``: signing keys retired by a rotation.

Keys are created once and never overwritten: a rotation writes the new key beside the current
one (``node_ed25519.next.pem``), then moves the current one to ``retired/`` and the new one into
its place, each step an atomic rename (decision 1310).
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
NEXT_SIGNING_KEY_FILE = "node_ed25519.next.pem"
RETIRED_DIR = "retired"
PSEUDONYM_KEY_FILE = "pseudonym.key"


def ensure_keys(keys_dir: Path) -> bool:
    """Create any missing key file; return True if something was created."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(keys_dir, 0o700)
    created = False
    signing = keys_dir / SIGNING_KEY_FILE
    if not signing.exists():
        _write_private(signing, _pem(Ed25519PrivateKey.generate()))
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
    return _load_ed25519(keys_dir / SIGNING_KEY_FILE)


def _load_ed25519(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def _pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _hex_fingerprint(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(public_key_bytes(key)).hexdigest()[:32]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def new_signing_key(keys_dir: Path) -> Ed25519PrivateKey:
    """Create the next signing key as ``node_ed25519.next.pem`` (refused if one is pending)."""
    key = Ed25519PrivateKey.generate()
    _write_private(keys_dir / NEXT_SIGNING_KEY_FILE, _pem(key))
    return key


def promote_next_key(keys_dir: Path) -> None:
    """Retire the current signing key to ``retired/`` and make the next one current."""
    pending = keys_dir / NEXT_SIGNING_KEY_FILE
    if not pending.exists():
        return
    current = keys_dir / SIGNING_KEY_FILE
    retired = keys_dir / RETIRED_DIR
    retired.mkdir(mode=0o700, exist_ok=True)
    old = load_signing_key(keys_dir)
    os.replace(current, retired / f"node_ed25519-{_hex_fingerprint(old.public_key())}.pem")
    os.replace(pending, current)
    _fsync_dir(retired)
    _fsync_dir(keys_dir)


def signing_key_by_fingerprint(keys_dir: Path, wanted: str) -> Ed25519PrivateKey:
    """The signing key (current, pending or retired) whose public key has ``wanted``."""
    candidates = [keys_dir / SIGNING_KEY_FILE, keys_dir / NEXT_SIGNING_KEY_FILE]
    candidates += sorted((keys_dir / RETIRED_DIR).glob("*.pem"))
    for path in candidates:
        if path.exists():
            key = _load_ed25519(path)
            if fingerprint(key.public_key()) == wanted:
                return key
    raise LookupError(f"no key file in {keys_dir} holds the key {wanted}")


def key_file_stamp(keys_dir: Path) -> tuple[int, int]:
    """Identity of the current key file (inode, mtime): it changes when a rotation lands."""
    stat = (keys_dir / SIGNING_KEY_FILE).stat()
    return stat.st_ino, stat.st_mtime_ns


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
