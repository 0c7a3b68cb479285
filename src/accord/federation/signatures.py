"""HTTP Message Signatures (RFC 9421) for node-to-node calls, with Ed25519 (§3.3.6).

Every call covers the method, the target URI and the body's ``Content-Digest`` (RFC 9530), and
carries ``created``, ``keyid`` (the signing node's key fingerprint), ``alg`` and a ``nonce``::

    Content-Digest: sha-256=:<base64>:
    Signature-Input: sig1=("@method" "@target-uri" "content-digest");created=1732500000;\
keyid="SHA256:…";alg="ed25519";nonce="…"
    Signature: sig1=:<base64 Ed25519 signature of the signature base>:

Functions here are pure (keys, values and the time in; headers or a verified call out).
:func:`verify` fails closed (STYLE.md §6): it raises ``VerificationFailed`` or returns.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from accord.errors import VerificationFailed

LABEL = "sig1"
COMPONENTS = ("@method", "@target-uri", "content-digest")
ALGORITHM = "ed25519"
MAX_AGE_SECONDS = 300
"""A signature older (or further in the future) than this is stale."""

_INPUT = re.compile(
    r'^sig1=\("@method" "@target-uri" "content-digest"\);created=(?P<created>\d{1,12});'
    r'keyid="(?P<keyid>[A-Za-z0-9+/:=_-]{1,100})";alg="ed25519";nonce="(?P<nonce>[A-Za-z0-9_-]{16,100})"$'
)
_SIGNATURE = re.compile(r"^sig1=:(?P<b64>[A-Za-z0-9+/=]{1,200}):$")


@dataclass(frozen=True)
class SignedCall:
    """What a verified signature proves: who signed (``keyid``), when, and its nonce."""

    keyid: str
    created: int
    nonce: str


def content_digest(body: bytes) -> str:
    """RFC 9530 §2 ``Content-Digest`` with ``sha-256``, as a Structured Field byte sequence."""
    return f"sha-256=:{base64.b64encode(hashlib.sha256(body).digest()).decode()}:"


def signature_params(created: int, keyid: str, nonce: str) -> str:
    """RFC 9421 §2.3: the inner list of covered components with its parameters."""
    covered = " ".join(f'"{c}"' for c in COMPONENTS)
    return f'({covered});created={created};keyid="{keyid}";alg="{ALGORITHM}";nonce="{nonce}"'


def signature_base(method: str, target_uri: str, digest: str, params: str) -> bytes:
    """RFC 9421 §2.5: one ``"<component>": <value>`` line per covered component, then
    ``"@signature-params"``. ``@method`` is upper case (§2.2.1), ``@target-uri`` the full
    request URI (§2.2.2)."""
    lines = [
        f'"@method": {method.upper()}',
        f'"@target-uri": {target_uri}',
        f'"content-digest": {digest}',
        f'"@signature-params": {params}',
    ]
    return "\n".join(lines).encode()


def sign(
    key: Ed25519PrivateKey,
    keyid: str,
    *,
    method: str,
    target_uri: str,
    body: bytes,
    created: int,
    nonce: str,
) -> dict[str, str]:
    """The three headers that sign a request (RFC 9421 §3.1, §4.1, §4.2)."""
    digest = content_digest(body)
    params = signature_params(created, keyid, nonce)
    signature = key.sign(signature_base(method, target_uri, digest, params))
    return {
        "Content-Digest": digest,
        "Signature-Input": f"{LABEL}={params}",
        "Signature": f"{LABEL}=:{base64.b64encode(signature).decode()}:",
    }


def verify(
    headers: Mapping[str, str],
    *,
    method: str,
    target_uri: str,
    body: bytes,
    now: int,
    key_for: Callable[[str], Ed25519PublicKey],
) -> SignedCall:
    """RFC 9421 §3.2 verification of ``sig1``: the parameters are exactly ours, the signature is
    fresh (``created`` within ``MAX_AGE_SECONDS`` of ``now``), the body matches its digest, and
    the key that ``key_for(keyid)`` returns (it raises for unknown keys) signed the base."""
    raw_input, raw_signature = headers.get("signature-input"), headers.get("signature")
    if not raw_input or not raw_signature:
        raise _failed("the call is not signed (RFC 9421 Signature-Input and Signature)")
    matched, signature = _INPUT.match(raw_input.strip()), _SIGNATURE.match(raw_signature.strip())
    if matched is None or signature is None:
        raise _failed("the call's signature headers are not in the form this node accepts")
    created = int(matched["created"])
    if abs(now - created) > MAX_AGE_SECONDS:
        raise _failed(f"the call was signed at {created}, too far from now ({now})", "stale")
    digest = content_digest(body)
    if headers.get("content-digest", "").strip() != digest:
        raise _failed("the body does not match its Content-Digest", "digest-mismatch")
    params = signature_params(created, matched["keyid"], matched["nonce"])
    base = signature_base(method, target_uri, digest, params)
    try:
        key_for(matched["keyid"]).verify(base64.b64decode(signature["b64"], validate=True), base)
    except (InvalidSignature, binascii.Error, ValueError):
        raise _failed("the call's signature does not verify with the peer's key") from None
    return SignedCall(matched["keyid"], created, matched["nonce"])


def _failed(message: str, reason: str = "bad-signature") -> VerificationFailed:
    return VerificationFailed(message, code=f"federation.{reason}", status=401)
