"""Identity provider settings and the claim mapping: pure values, no provider needed."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from accord.config import ClaimMapping, OidcProvider, Settings
from accord.errors import AccordError
from accord.identity.linking import profile_from_claims
from accord.identity.oidc import client_secret
from accord.identity.permissions import Role


def provider(**changes: object) -> OidcProvider:
    fields: dict[str, object] = {
        "id": "inst",
        "name": "Example University",
        "issuer": "https://idp.example.org/",
        "client_id": "accord",
    }
    return OidcProvider(**(fields | changes))


@pytest.mark.parametrize(
    ("issuer", "accepted"),
    [
        ("https://idp.example.org/", True),
        ("http://127.0.0.1:8080", True),
        ("http://localhost:8080/realms/x", True),
        ("http://idp.example.org", False),
        ("ftp://idp.example.org", False),
        ("idp.example.org", False),
    ],
)
def test_issuer_must_be_https_except_on_loopback(issuer: str, accepted: bool) -> None:
    if accepted:
        assert provider(issuer=issuer).issuer == issuer.rstrip("/")
    else:
        with pytest.raises(ValidationError, match="https"):
            provider(issuer=issuer)


def test_provider_ids_are_unique_and_slugs() -> None:
    with pytest.raises(ValidationError, match="share one id"):
        Settings(oidc_providers=[provider(), provider()])
    with pytest.raises(ValidationError):
        provider(id="Not A Slug")


def test_providers_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "ACCORD_OIDC_PROVIDERS",
        '[{"id": "orcid", "name": "ORCID", "issuer": "https://orcid.org", "client_id": "APP-1",'
        ' "claims": {"orcid": "sub", "email": null}, "link_on": ["orcid"]}]',
    )
    monkeypatch.setenv("ACCORD_TOTP_REQUIRED_ROLES", '["admin", "output-checker"]')
    settings = Settings()
    assert settings.oidc_providers[0].claims.orcid == "sub"
    assert settings.totp_required_roles == [Role.ADMIN, Role.OUTPUT_CHECKER]


def test_client_secret_from_a_file_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    assert client_secret(provider(client_secret_file=secret)) == "s3cret"
    monkeypatch.setenv("IDP_SECRET", "from-env")
    assert client_secret(provider(client_secret_env="IDP_SECRET")) == "from-env"
    assert client_secret(provider()) is None
    with pytest.raises(AccordError, match="cannot read"):
        client_secret(provider(client_secret_file=tmp_path / "missing"))
    with pytest.raises(AccordError, match="is not set"):
        client_secret(provider(client_secret_env="NOT_SET_ANYWHERE"))


def test_claims_are_mapped_and_malformed_values_dropped() -> None:
    mapped = provider(
        claims=ClaimMapping(
            orcid="orcid", ror="ror", affiliation="org", country="c", entitlements="ent"
        ),
        roles={"urn:x:dac": Role.COMMITTEE, "urn:x:check": Role.OUTPUT_CHECKER},
    )
    profile = profile_from_claims(
        mapped,
        {
            "sub": "u-1",
            "name": " Ana Lima ",
            "email": "Ana@Example.ORG",
            "email_verified": True,
            "orcid": "https://orcid.org/0000-0002-1825-0097",
            "ror": "https://ror.org/05gq02987",
            "org": "Example University",
            "c": "br",
            "ent": ["urn:x:dac", "urn:x:unknown"],
        },
    )
    assert profile.name == "Ana Lima"
    assert profile.email == "ana@example.org"
    assert profile.email_verified
    assert profile.orcid == "0000-0002-1825-0097"
    assert profile.ror == "05gq02987"
    assert profile.country == "BR"
    assert profile.roles == frozenset({Role.COMMITTEE})
    broken = profile_from_claims(
        mapped,
        {
            "sub": "u-2",
            "email_verified": "true",
            "orcid": "0000-0002-1825-0098",
            "c": "XX",
            "ent": "urn:x:check",
        },
    )
    assert broken.orcid is None  # checksum fails
    assert broken.country is None
    assert not broken.email_verified  # only a JSON true counts
    assert broken.roles == frozenset({Role.OUTPUT_CHECKER})
