"""Files sealed with a passphrase: scrypt (RFC 7914) derives a key, AES-256-GCM encrypts.

A backup carries the node's keys this way, so that a copy of the backup alone does not give
anyone the node's signing key or its pseudonym key. The sealed document is JSON::

    {"format": "accord-sealed/1", "kdf": {"name": "scrypt", "salt": …, "n": 32768, "r": 8, "p": 1},
     "nonce": …, "ciphertext": …}

The plaintext is a JSON object of file name to base64 content.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from accord.errors import InvalidInput, VerificationFailed

FORMAT = "accord-sealed/1"
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
MIN_PASSPHRASE = 12


def seal(files: dict[str, bytes], passphrase: str) -> bytes:
    """Encrypt ``files`` (name → content) under ``passphrase``."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise InvalidInput(
            f"the backup passphrase must have at least {MIN_PASSPHRASE} characters",
            code="backup.weak-passphrase",
            hint="pick a long passphrase and keep it apart from the backup",
        )
    salt, nonce = os.urandom(16), os.urandom(12)
    kdf = {"name": "scrypt", "salt": _b64(salt), "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P}
    plain = json.dumps({name: _b64(data) for name, data in sorted(files.items())}).encode()
    cipher = AESGCM(_derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P))
    document = {
        "format": FORMAT,
        "kdf": kdf,
        "nonce": _b64(nonce),
        "ciphertext": _b64(cipher.encrypt(nonce, plain, FORMAT.encode())),
    }
    return json.dumps(document, indent=2).encode() + b"\n"


def unseal(sealed: bytes, passphrase: str) -> dict[str, bytes]:
    """The files inside ``sealed``; raises ``VerificationFailed`` on a wrong passphrase."""
    try:
        document: dict[str, Any] = json.loads(sealed)
        kdf = document["kdf"]
        if document["format"] != FORMAT or kdf["name"] != "scrypt":
            raise ValueError("unknown format")
        key = _derive(passphrase, base64.b64decode(kdf["salt"]), kdf["n"], kdf["r"], kdf["p"])
        nonce, ciphertext = (base64.b64decode(document[k]) for k in ("nonce", "ciphertext"))
    except (ValueError, KeyError, TypeError):
        raise VerificationFailed(
            "the sealed keys file is not an accord-sealed/1 document", code="backup.keys-unreadable"
        ) from None
    try:
        plain = AESGCM(key).decrypt(nonce, ciphertext, FORMAT.encode())
    except InvalidTag:
        raise VerificationFailed(
            "the passphrase does not open the backup's keys",
            code="backup.wrong-passphrase",
            hint="use the passphrase given to `accord backup create`",
        ) from None
    return {name: base64.b64decode(data) for name, data in json.loads(plain).items()}


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode())


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
