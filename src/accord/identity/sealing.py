"""Secrets the node must read back (TOTP keys), sealed with AES-256-GCM under a node key.

The sealing key is derived (HKDF-SHA256) from the node's pseudonym key, which lives in the keys
folder and never in the database: a copy of the database alone does not reveal TOTP keys. The
``purpose`` is bound as associated data, so a value sealed for one user or one use cannot be
replayed as another.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from accord.errors import InvalidInput
from accord.i18n.translate import N_

_NONCE = 12


def sealing_key(node_key: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"accord identity sealing v1").derive(node_key)


def seal(key: bytes, plaintext: bytes, purpose: str) -> bytes:
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, purpose.encode())


def unseal(key: bytes, sealed: bytes, purpose: str) -> bytes:
    """The plaintext, or ``InvalidInput`` if ``sealed`` was altered or sealed for another use."""
    try:
        return AESGCM(key).decrypt(sealed[:_NONCE], sealed[_NONCE:], purpose.encode())
    except (InvalidTag, ValueError):
        raise InvalidInput(
            N_("this sealed value was altered or belongs to another use"),
            code="identity.sealed-invalid",
            hint=N_("start again from the page that produced it"),
        ) from None
