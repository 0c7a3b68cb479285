"""Derivation keys at rest: each pseudonym key is wrapped with AES-256-GCM (NIST SP 800-38D)
under a key-encryption key derived from the node's pseudonym secret with HKDF-SHA-256
(RFC 5869), the derivation id bound as associated data. A database dump alone therefore
reveals no pseudonym key, and a wrapped key cannot be moved to another derivation."""

from __future__ import annotations

import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"accord deid derivation keys v1"
_NONCE = 12


def wrap(node_secret: bytes, derivation_id: str, key: bytes) -> bytes:
    """``nonce || ciphertext+tag`` of ``key``, bound to ``derivation_id``."""
    nonce = secrets.token_bytes(_NONCE)
    return nonce + AESGCM(_kek(node_secret)).encrypt(nonce, key, derivation_id.encode())


def unwrap(node_secret: bytes, derivation_id: str, wrapped: bytes) -> bytes:
    """The key back; raises ``cryptography.exceptions.InvalidTag`` if anything was altered."""
    nonce, sealed = wrapped[:_NONCE], wrapped[_NONCE:]
    return AESGCM(_kek(node_secret)).decrypt(nonce, sealed, derivation_id.encode())


def _kek(node_secret: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(node_secret)
