"""GA4GH Passport visas for grants: one ``ControlledAccessGrants`` visa per active grant.

Each visa is a Visa Document Token (GA4GH Passport v1.2, "Visa Format"): a JWT signed with the
node's Ed25519 key (JWS ``alg`` ``Ed25519``, RFC 9864), whose header names the key (``kid``,
its RFC 7638 thumbprint) and where to fetch it (``jku``, this node's JWKS). The visa object
says which dataset version (``value``), asserted when (``asserted``), by whom (``source`` is
this node, ``by`` is ``dac``); the token expires with the grant.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jwt
from joserfc.jwk import OKPKey

from accord.access.models import Grant
from accord.ids import new_id
from accord.node import NodeContext

ALGORITHM = "Ed25519"
JWKS_PATH = "/api/v1/visa-keys"
VISA_TYPE = "ControlledAccessGrants"


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
    key = visa_key(node.signing_key)
    header = {
        "alg": ALGORITHM,
        "typ": "JWT",
        "kid": key.thumbprint(),
        "jku": f"{node.identity.base_url}{JWKS_PATH}",
    }
    return jwt.encode(header, visa_claims(node, grant, now), key, algorithms=[ALGORITHM])


def issue_visas(node: NodeContext, grants: Sequence[Grant], now: datetime) -> list[str]:
    return [issue_visa(node, grant, now) for grant in grants]
