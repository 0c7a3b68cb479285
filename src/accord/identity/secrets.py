"""Bearer secrets (API tokens, session cookies): random, shown once, stored as SHA-256.

The secrets carry 256 bits of randomness, so a fast hash is safe for lookups; a slow password
hash would add tens of milliseconds to every authenticated request for no gain.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "acc_"


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
