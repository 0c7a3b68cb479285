"""OpenID Connect Relying Party: discovery, Authorization Code + PKCE, ID token validation.

Authlib builds the authorization request (``state``, ``nonce``, S256 ``code_challenge``) and
exchanges the code; joserfc checks the ID token's signature against the provider's JWKS, and
Authlib's ``CodeIDToken`` checks ``iss``, ``aud``, ``exp``, ``iat``, ``nonce`` and ``at_hash``
against the node's clock (OpenID Connect Core 1.0 §3.1.3.7). Every failure raises an
``AccordError``; nothing here touches the database.
"""

from __future__ import annotations

import os
import secrets
import warnings
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.deprecate import AuthlibDeprecationWarning
from authlib.integrations.base_client.errors import OAuthError
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from accord.config import OidcProvider
from accord.errors import AccordError, InvalidInput, NodeUnavailable, Unauthenticated

with warnings.catch_warnings():
    # Authlib announces that its httpx client will move to the httpx2 package; the node uses
    # httpx 0.28 everywhere (decision 1300), which the client still supports.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client

TIMEOUT = httpx.Timeout(10.0)
LEEWAY_SECONDS = 60
ASYMMETRIC = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
ASYMMETRIC |= {"EdDSA", "Ed25519"}


@dataclass(frozen=True)
class ProviderMetadata:
    """The parts of ``/.well-known/openid-configuration`` a Relying Party needs."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    signing_algorithms: tuple[str, ...]
    token_auth_methods: tuple[str, ...]


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str
    nonce: str
    code_verifier: str


def discover(provider: OidcProvider) -> ProviderMetadata:
    """Read the provider's discovery document; its ``issuer`` must be the configured one."""
    doc = _get_json(f"{provider.issuer}/.well-known/openid-configuration", provider)
    if str(doc.get("issuer", "")).rstrip("/") != provider.issuer:
        raise Unauthenticated(
            f"{provider.name} describes itself as issuer {doc.get('issuer')!r}, "
            f"not {provider.issuer!r}",
            code="identity.oidc-issuer-mismatch",
            hint="check the issuer URL in the node's identity provider settings",
        )
    try:
        return ProviderMetadata(
            issuer=provider.issuer,
            authorization_endpoint=str(doc["authorization_endpoint"]),
            token_endpoint=str(doc["token_endpoint"]),
            jwks_uri=str(doc["jwks_uri"]),
            userinfo_endpoint=doc.get("userinfo_endpoint"),
            signing_algorithms=tuple(
                a
                for a in doc.get("id_token_signing_alg_values_supported", ["RS256"])
                if a in ASYMMETRIC
            ),
            token_auth_methods=tuple(
                doc.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
            ),
        )
    except KeyError as missing:
        raise _unusable(provider, f"its discovery document has no {missing}") from None


def authorization_request(
    provider: OidcProvider, metadata: ProviderMetadata, redirect_uri: str
) -> AuthorizationRequest:
    """A fresh ``state``, ``nonce`` and PKCE verifier, and the URL that sends the browser off."""
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    with _client(provider, metadata, redirect_uri) as client:
        url, _ = client.create_authorization_url(
            metadata.authorization_endpoint, state=state, code_verifier=verifier, nonce=nonce
        )
    return AuthorizationRequest(str(url), state, nonce, verifier)


def redeem(
    provider: OidcProvider,
    metadata: ProviderMetadata,
    *,
    code: str,
    code_verifier: str,
    nonce: str,
    redirect_uri: str,
    now: datetime,
) -> dict[str, Any]:
    """Exchange ``code`` for tokens and return the validated ID token claims, completed by the
    userinfo endpoint when it has more (never overriding ``sub``)."""
    with _client(provider, metadata, redirect_uri) as client:
        try:
            token = client.fetch_token(
                metadata.token_endpoint, code=code, code_verifier=code_verifier
            )
        except OAuthError as refused:
            raise Unauthenticated(
                f"{provider.name} refused the sign-in: {refused.description or refused.error}",
                code="identity.oidc-code-refused",
                hint="start the sign-in again; a code can be used only once",
            ) from None
        except httpx.HTTPError:
            raise _unreachable(provider) from None
        if "id_token" not in token:
            raise _rejected(provider, "the token response has no ID token")
        claims = id_token_claims(provider, metadata, token, nonce=nonce, now=now)
        return {**_userinfo(client, provider, metadata, claims["sub"]), **claims}


def id_token_claims(
    provider: OidcProvider,
    metadata: ProviderMetadata,
    token: dict[str, Any],
    *,
    nonce: str,
    now: datetime,
) -> dict[str, Any]:
    """Verify the ID token's signature and claims (OIDC Core §3.1.3.7); return its claims."""
    algorithms = list(metadata.signing_algorithms) or ["RS256"]
    try:
        try:
            decoded = jwt.decode(token["id_token"], _key_set(provider, metadata), algorithms)
        except InvalidKeyIdError:  # the provider may have rotated its keys since
            decoded = jwt.decode(token["id_token"], _key_set(provider, metadata), algorithms)
    except (JoseError, ValueError) as bad:
        raise _rejected(provider, f"its ID token signature does not verify ({bad})") from None
    checks = CodeIDToken(
        decoded.claims,
        decoded.header,
        {
            "iss": {"essential": True, "values": [metadata.issuer]},
            "aud": {"essential": True, "values": [provider.client_id]},
        },
        {
            "nonce": nonce,
            "client_id": provider.client_id,
            "access_token": token.get("access_token"),
        },
    )
    try:
        checks.validate(now=int(now.timestamp()), leeway=LEEWAY_SECONDS)
    except JoseError as bad:
        raise _rejected(
            provider, f"its ID token is not valid ({bad.description or bad.error})"
        ) from None
    return dict(decoded.claims)


def client_secret(provider: OidcProvider) -> str | None:
    """The client secret from its file or environment variable; None for a public client."""
    if provider.client_secret_file is not None:
        try:
            return provider.client_secret_file.read_text().strip()
        except OSError:
            raise _unusable(provider, f"cannot read {provider.client_secret_file}") from None
    if provider.client_secret_env is not None:
        value = os.environ.get(provider.client_secret_env)
        if not value:
            raise _unusable(provider, f"${provider.client_secret_env} is not set")
        return value
    return None


def same_state(expected: str | None, sent: str) -> bool:
    return expected is not None and secrets.compare_digest(expected.encode(), sent.encode())


# --- helpers ---------------------------------------------------------------------------------


def _client(provider: OidcProvider, metadata: ProviderMetadata, redirect_uri: str) -> Any:
    secret = client_secret(provider)
    method = "none"
    if secret is not None:
        basic = "client_secret_basic" in metadata.token_auth_methods
        method = "client_secret_basic" if basic else "client_secret_post"
    return OAuth2Client(
        client_id=provider.client_id,
        client_secret=secret,
        token_endpoint_auth_method=method,
        scope=" ".join(provider.scopes),
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=TIMEOUT,
    )


def _key_set(provider: OidcProvider, metadata: ProviderMetadata) -> KeySet:
    doc = _get_json(metadata.jwks_uri, provider)
    try:
        return KeySet.import_key_set(doc)  # type: ignore[arg-type]
    except (JoseError, ValueError, KeyError, TypeError):
        raise _unusable(provider, "its JWKS cannot be read") from None


def _userinfo(
    client: Any, provider: OidcProvider, metadata: ProviderMetadata, subject: str
) -> dict[str, Any]:
    if metadata.userinfo_endpoint is None:
        return {}
    try:
        response = client.get(metadata.userinfo_endpoint)
    except httpx.HTTPError:
        raise _unreachable(provider) from None
    if response.status_code != 200:
        return {}
    info = response.json()
    if not isinstance(info, dict) or info.get("sub") != subject:
        raise _rejected(provider, "its userinfo answer is about another subject")
    return info


def _get_json(url: str, provider: OidcProvider) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=TIMEOUT, headers={"accept": "application/json"})
    except httpx.HTTPError:
        raise _unreachable(provider) from None
    if response.status_code != 200:
        raise _unusable(provider, f"{url} answered {response.status_code}")
    try:
        doc = response.json()
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise _unusable(provider, f"{url} did not answer with a JSON object")
    return doc


def _unreachable(provider: OidcProvider) -> AccordError:
    return NodeUnavailable(
        f"{provider.name} cannot be reached",
        code="identity.idp-unavailable",
        hint="try again in a moment, or sign in another way",
    )


def _unusable(provider: OidcProvider, why: str) -> AccordError:
    return InvalidInput(
        f"{provider.name} cannot be used for sign-in: {why}",
        code="identity.idp-misconfigured",
        hint="an administrator should check the identity provider settings",
        status=502,
    )


def _rejected(provider: OidcProvider, why: str) -> AccordError:
    return Unauthenticated(
        f"the sign-in with {provider.name} was refused: {why}",
        code="identity.oidc-invalid-token",
        hint="start the sign-in again",
    )
