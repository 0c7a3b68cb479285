"""GA4GH Passport visas for grants: one ``ControlledAccessGrants`` visa per active grant.

Each visa is a Visa Document Token (GA4GH Passport v1.2, "Visa Format"): a JWT signed with the
node's Ed25519 key (JWS ``alg`` ``Ed25519``, RFC 9864), whose header names the key (``kid``,
its RFC 7638 thumbprint) and where to fetch it (``jku``, this node's JWKS). The visa object
says which dataset version (``value``), asserted when (``asserted``), by whom (``source`` is
this node, ``by`` is ``dac``); the token expires with the grant.

The same signing makes the visas a home node vouches for its researchers with
(``AffiliationAndRole``, ``ResearcherStatus`` for accreditations, and the custom ``Country``
type), and the Passport that carries them (a JWT whose ``ga4gh_passport_v1`` claim lists the
visas, signed by the node as broker). :func:`read_token` checks any of them against a key.

No token lives longer than :data:`VISA_MAX_LIFETIME`. The node's JWKS lists its current key
and every key retired less than that long ago, each with the window it signed in, so that a
visa issued before ``accord key rotate`` verifies until it expires; :func:`read_token_with`
refuses a token whose key had been retired when it was issued (decision 1316).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from accord.access.models import Grant
from accord.clock import rfc3339
from accord.errors import VerificationFailed
from accord.i18n.translate import N_, _l
from accord.ids import new_id
from accord.ledger.keyring import Keyring
from accord.node import NodeContext

ALGORITHM = "Ed25519"
JWKS_PATH = "/api/v1/visa-keys"
VISA_TYPE = "ControlledAccessGrants"
AFFILIATION = "AffiliationAndRole"
RESEARCHER_STATUS = "ResearcherStatus"
COUNTRY = "Country"
"""A custom visa type (GA4GH Passport v1.2 allows them): the researcher's country, ISO 3166-1
alpha-2, as the home node knows it."""
VISA_MAX_LIFETIME = timedelta(days=366)
"""The longest any token of this node is valid: a grant or accreditation that lasts longer
gets a visa to fetch again; a retired key stays published this long after its retirement."""


@dataclass(frozen=True)
class Visa:
    """One visa's object (``ga4gh_visa_v1``), with who it is about and until when it holds."""

    type: str
    value: str
    source: str
    by: str
    asserted: int
    subject: str
    issuer: str
    expires: int


def visa_key(private_key: Ed25519PrivateKey) -> OKPKey:
    return OKPKey.import_key(private_key)


@dataclass(frozen=True)
class VisaKey:
    """A key that verifies visas, and the window in which it signed them (``None``: open)."""

    public_key: Ed25519PublicKey
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    @property
    def kid(self) -> str:
        return str(OKPKey.import_key(self.public_key).thumbprint())

    def published_at(self, now: datetime) -> bool:
        return self.valid_until is None or now < self.valid_until + VISA_MAX_LIFETIME


def visa_keys_of(keyring: Keyring, now: datetime) -> list[VisaKey]:
    """The node's keys that may have signed a visa still valid at ``now``, newest first."""
    keys = [VisaKey(k.public_key, k.valid_from, k.valid_until) for k in reversed(keyring.keys)]
    return [key for key in keys if key.published_at(now)]


def jwks(keys: Sequence[VisaKey]) -> dict[str, list[dict[str, Any]]]:
    """``keys`` as a JSON Web Key Set (public parts), each with its signing window in the
    members ``valid_from`` and ``valid_until`` (RFC 3339; RFC 7517 §4 lets a JWK carry more)."""
    return {"keys": [_jwk(key) for key in keys]}


def _jwk(key: VisaKey) -> dict[str, Any]:
    public = OKPKey.import_key(key.public_key).as_dict(private=False)
    window = {
        "valid_from": rfc3339(key.valid_from) if key.valid_from else None,
        "valid_until": rfc3339(key.valid_until) if key.valid_until else None,
    }
    return {**public, "kid": key.kid, "alg": ALGORITHM, "use": "sig", **window}


def visa_keys_from_jwks(document: Any) -> list[VisaKey]:
    """The keys of a JWKS this node publishes (:func:`jwks`); raises ``VerificationFailed`` if
    it is not one."""
    try:
        return [_visa_key(item) for item in document["keys"] if item.get("kty") == "OKP"]
    except (KeyError, TypeError, ValueError, AttributeError, JoseError) as exc:
        raise VerificationFailed(
            _l(
                "not a visa key set: %(error)s",
                error=exc.__class__.__name__,
            ),
            code="access.passport-invalid",
        ) from exc


def _visa_key(item: dict[str, Any]) -> VisaKey:
    key = OKPKey.import_key({k: item[k] for k in ("kty", "crv", "x")}).public_key
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 key")
    return VisaKey(key, _instant(item.get("valid_from")), _instant(item.get("valid_until")))


def _instant(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def dataset_url(node: NodeContext, grant: Grant) -> str:
    """The visa's ``value``: the granted version's landing URL on this node."""
    return f"{node.identity.base_url}/datasets/{grant.dataset_id}/versions/{grant.version_number}"


def visa_claims(node: NodeContext, grant: Grant, now: datetime) -> dict[str, Any]:
    return {
        "iss": node.identity.base_url,
        "sub": grant.user_id,
        "iat": int(now.timestamp()),
        "exp": _expiry(grant.expires_at, now),
        "jti": new_id("vis"),
        "ga4gh_visa_v1": {
            "type": VISA_TYPE,
            "asserted": int(grant.starts_at.timestamp()),
            "value": dataset_url(node, grant),
            "source": node.identity.base_url,
            "by": "dac",
        },
    }


def issue_visa(node: NodeContext, grant: Grant, now: datetime) -> str:
    return sign_token(node, visa_claims(node, grant, now))


def issue_visas(node: NodeContext, grants: Sequence[Grant], now: datetime) -> list[str]:
    return [issue_visa(node, grant, now) for grant in grants]


def _expiry(until: datetime, now: datetime) -> int:
    return int(min(until, now + VISA_MAX_LIFETIME).timestamp())


def sign_token(node: NodeContext, claims: dict[str, Any]) -> str:
    """A JWT of ``claims`` signed with the node key, naming it (``kid``) and its JWKS (``jku``)."""
    key = visa_key(node.signing_key)
    header = {
        "alg": ALGORITHM,
        "typ": "JWT",
        "kid": key.thumbprint(),
        "jku": f"{node.identity.base_url}{JWKS_PATH}",
    }
    return jwt.encode(header, claims, key, algorithms=[ALGORITHM])


def researcher_visa(
    node: NodeContext,
    subject: str,
    *,
    type: str,
    value: str,
    asserted: datetime,
    expires: datetime,
    now: datetime,
    by: str = "system",
) -> str:
    """A visa the node (``source``) asserts about one of its researchers."""
    claims = {
        "iss": node.identity.base_url,
        "sub": subject,
        "iat": int(now.timestamp()),
        "exp": _expiry(expires, now),
        "jti": new_id("vis"),
        "ga4gh_visa_v1": {
            "type": type,
            "asserted": int(asserted.timestamp()),
            "value": value,
            "source": node.identity.base_url,
            "by": by,
        },
    }
    return sign_token(node, claims)


def issue_passport(
    node: NodeContext,
    subject: str,
    visas: Sequence[str],
    *,
    now: datetime,
    expires: datetime,
    profile: dict[str, str] | None = None,
) -> str:
    """A Passport (GA4GH Passport v1.2, "Passport Claim") carrying ``visas``, signed by the
    node as broker; ``profile`` adds claims about the person (OpenID Connect ``name``...)."""
    claims: dict[str, Any] = {
        **(profile or {}),
        "iss": node.identity.base_url,
        "sub": subject,
        "iat": int(now.timestamp()),
        "exp": _expiry(expires, now),
        "jti": new_id("pas"),
        "ga4gh_passport_v1": list(visas),
    }
    return sign_token(node, claims)


def read_token(token: str, key: Ed25519PublicKey, now: datetime) -> dict[str, Any]:
    """The claims of a JWT signed by ``key`` and valid at ``now`` (``exp`` required, ``iat`` not
    in the future); raises ``VerificationFailed`` otherwise (fails closed)."""
    try:
        decoded = jwt.decode(token, OKPKey.import_key(key), algorithms=[ALGORITHM])
        registry = jwt.JWTClaimsRegistry(
            now=int(now.timestamp()),
            leeway=60,
            exp={"essential": True},
            iss={"essential": True},
            sub={"essential": True},
        )
        registry.validate(decoded.claims)
    except (JoseError, ValueError) as exc:
        raise VerificationFailed(
            f"the token does not verify: {exc.__class__.__name__} {exc}".strip(),
            code="access.passport-invalid",
        ) from exc
    return dict(decoded.claims)


def read_token_with(token: str, keys: Sequence[VisaKey], now: datetime) -> dict[str, Any]:
    """The claims of a JWT signed by the key of ``keys`` its header names (``kid``), valid at
    ``now`` and issued inside that key's window: a token a retired key signed after its
    retirement, or meant to outlive the key's publication, is refused (fails closed)."""
    kid = _header_kid(token)
    key = next((k for k in keys if k.kid == kid), None)
    if key is None:
        raise VerificationFailed(
            N_("the token is signed by a key this node does not know for visas"),
            code="access.passport-invalid",
        )
    claims = read_token(token, key.public_key, now)
    issued, expires = claims.get("iat"), int(claims["exp"])
    if key.valid_until is not None:
        until = int(key.valid_until.timestamp())
        if not isinstance(issued, int) or issued > until:
            raise VerificationFailed(
                _l(
                    "the token was signed by the key %(key)s after its retirement at %(retired)s",
                    key=key.kid,
                    retired=rfc3339(key.valid_until),
                ),
                code="access.passport-invalid",
            )
        if expires > until + VISA_MAX_LIFETIME.total_seconds():
            raise VerificationFailed(
                _l(
                    "the token outlives the publication of its retired key %(key)s",
                    key=key.kid,
                ),
                code="access.passport-invalid",
            )
    return claims


def _header_kid(token: str) -> str | None:
    try:
        header = json.loads(base64.urlsafe_b64decode(_padded(token.split(".")[0])))
        return str(header["kid"]) if isinstance(header, dict) and "kid" in header else None
    except (IndexError, KeyError, ValueError, binascii.Error) as exc:
        raise VerificationFailed(
            N_("the token is not a JWT"), code="access.passport-invalid"
        ) from exc


def _padded(part: str) -> str:
    return part + "=" * (-len(part) % 4)


def visa_of(claims: dict[str, Any]) -> Visa:
    """The visa object of verified ``claims``; raises ``VerificationFailed`` if malformed."""
    body = claims.get("ga4gh_visa_v1")
    try:
        if not isinstance(body, dict):
            raise TypeError("ga4gh_visa_v1 is not an object")
        return Visa(
            type=str(body["type"]),
            value=str(body["value"]),
            source=str(body["source"]),
            by=str(body.get("by", "")),
            asserted=int(body["asserted"]),
            subject=str(claims["sub"]),
            issuer=str(claims["iss"]),
            expires=int(claims["exp"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise VerificationFailed(
            N_("a visa lacks its ga4gh_visa_v1 object"), code="access.passport-invalid"
        ) from exc
