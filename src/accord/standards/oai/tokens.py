"""Resumption tokens (OAI-PMH 2.0 §3.5): stateless, authenticated, expiring.

A token carries the whole list request (verb, format, set, ``from``, ``until`` — fixed when the
harvest starts), the ``seq`` of the last record sent, the number sent so far and the list size
when the harvest started, and its expiry. It is base64url JSON followed by an HMAC-SHA-256 tag
under a key derived from the node's secret, so a harvester can neither forge nor alter one.
Because records are sent in ``seq`` order and ``until`` is fixed, records added during a
harvest never shift a page: the list stays complete and free of repeats.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from accord.standards.oai.errors import OaiError

TOKEN_LIFETIME = timedelta(hours=1)
_CONTEXT = b"accord oai-pmh resumption token v1"
_TAG_BYTES = 16
MAX_TOKEN_LENGTH = 1000


@dataclass(frozen=True)
class ListState:
    """Where a list request stands."""

    verb: str
    prefix: str
    set_spec: str | None
    start: int | None
    until: int
    after: int
    sent: int
    total: int
    expires: int

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.expires, UTC)


def token_key(secret: bytes) -> bytes:
    return hmac.new(secret, _CONTEXT, hashlib.sha256).digest()


def encode_token(state: ListState, key: bytes) -> str:
    body = base64.urlsafe_b64encode(
        json.dumps(asdict(state), separators=(",", ":")).encode()
    ).rstrip(b"=")
    tag = base64.urlsafe_b64encode(_tag(key, body)).rstrip(b"=")
    return f"{body.decode()}.{tag.decode()}"


def decode_token(token: str, key: bytes, now: datetime) -> ListState:
    """The state a token carries; ``badResumptionToken`` if it was altered or has expired."""
    body, dot, tag = token.partition(".")
    if not dot or len(token) > MAX_TOKEN_LENGTH:
        raise _not_ours()
    try:
        genuine = hmac.compare_digest(_b64decode(tag), _tag(key, body.encode()))
        state = ListState(**json.loads(_b64decode(body))) if genuine else None
    except (binascii.Error, ValueError, TypeError):
        raise _not_ours() from None
    if state is None:
        raise _not_ours()
    if state.expires < int(now.timestamp()):
        raise OaiError(
            "badResumptionToken",
            f"the resumption token expired at {state.expires_at.isoformat()}: start the list again",
        )
    return state


def _not_ours() -> OaiError:
    return OaiError("badResumptionToken", "the resumption token is not one this repository issued")


def expiry(now: datetime) -> int:
    return int((now + TOKEN_LIFETIME).timestamp())


def _tag(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).digest()[:_TAG_BYTES]


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
