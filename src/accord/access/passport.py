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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from accord.access.models import Grant
from accord.errors import VerificationFailed
from accord.ids import new_id
from accord.node import NodeContext

ALGORITHM = "Ed25519"
JWKS_PATH = "/api/v1/visa-keys"
VISA_TYPE = "ControlledAccessGrants"
AFFILIATION = "AffiliationAndRole"
RESEARCHER_STATUS = "ResearcherStatus"
COUNTRY = "Country"
"""A custom visa type (GA4GH Passport v1.2 allows them): the researcher's country, ISO 3166-1
alpha-2, as the home node knows it."""


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


def jwks(node: NodeContext) -> dict[str, list[dict[str, Any]]]:
    """The node's visa-signing key as a JSON Web Key Set (public part only)."""
    key = visa_key(node.signing_key)
    public = {**key.as_dict(private=False), "kid": key.thumbprint(), "alg": ALGORITHM}
    return {"keys": [{**public, "use": "sig"}]}


def dataset_url(node: NodeContext, grant: Grant) -> str:
    """The visa's ``value``: the granted version's landing URL on this node."""
    return f"{node.identity.base_url}/datasets/{grant.dataset_id}/versions/{grant.version_number}"


def visa_claims(node: NodeContext, grant: Grant, now: datetime) -> dict[str, Any]:
    return {
        "iss": node.identity.base_url,
        "sub": grant.user_id,
        "iat": int(now.timestamp()),
        "exp": int(grant.expires_at.timestamp()),
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
        "exp": int(expires.timestamp()),
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
        "exp": int(expires.timestamp()),
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
            "a visa lacks its ga4gh_visa_v1 object", code="access.passport-invalid"
        ) from exc
