"""GA4GH Passport ``ControlledAccessGrants`` visas: signed with the node key, verifiable with the
published key set, one per active grant, gone when the grant is not active."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jwt
from joserfc.jwk import KeySet, OKPKey

from accord.access import passport
from accord.access.passport import ALGORITHM
from accord.errors import VerificationFailed
from accord.identity.principal import local_operator
from accord.ledger import rotation
from tests.access.conftest import World, agreement
from tests.catalog.conftest import assert_problem


def test_visa_verifies_with_the_published_keys(world: World) -> None:
    world.govern(agreement())
    grant_id = world.submit(duration="P90D")["grant_id"]
    keys = world.client.get("/api/v1/visa-keys").json()
    assert keys["keys"][0]["kty"] == "OKP" and "d" not in keys["keys"][0]
    visas = world.client.get("/api/v1/visas", headers=world.researcher.headers).json()["visas"]
    assert len(visas) == 1
    token = jwt.decode(visas[0], KeySet.import_key_set(keys), algorithms=[ALGORITHM])
    assert token.header["jku"] == "http://testserver/api/v1/visa-keys"
    assert token.header["kid"] == keys["keys"][0]["kid"]
    claims = token.claims
    assert claims["sub"] == world.researcher.id
    assert claims["iss"] == "http://testserver"
    visa = claims["ga4gh_visa_v1"]
    assert visa["type"] == "ControlledAccessGrants"
    assert visa["by"] == "dac"
    assert visa["value"] == f"http://testserver/datasets/{world.dataset_id}/versions/1"
    expected_expiry = world.clock.now() + timedelta(days=90)
    assert claims["exp"] == int(expected_expiry.timestamp())
    single = world.client.get(f"/api/v1/grants/{grant_id}/visa", headers=world.researcher.headers)
    assert single.status_code == 200


def test_no_visa_for_grants_that_do_not_open_data(world: World) -> None:
    world.govern(agreement())
    grant_id = world.submit(duration="P30D")["grant_id"]
    others = world.client.get(f"/api/v1/grants/{grant_id}/visa", headers=world.member.headers)
    assert_problem(others, 403, "access.not-grant-holder")
    world.advance(31)
    assert world.client.get("/api/v1/visas", headers=world.researcher.headers).json() == {
        "visas": []
    }
    expired = world.client.get(f"/api/v1/grants/{grant_id}/visa", headers=world.researcher.headers)
    assert_problem(expired, 409, "access.grant-not-active")


# --- visas across a key rotation (decision 1316) -----------------------------------------------


def published_keys(world: World) -> list[passport.VisaKey]:
    return passport.visa_keys_from_jwks(world.client.get("/api/v1/visa-keys").json())


def test_a_visa_issued_before_a_rotation_still_verifies(world: World) -> None:
    world.govern(agreement())
    world.submit(duration="P90D")
    headers = world.researcher.headers
    before = world.client.get("/api/v1/visas", headers=headers).json()["visas"][0]
    old = world.node.signing_key
    world.advance(1)
    rotation.rotate(world.node, local_operator())
    after = world.client.get("/api/v1/visas", headers=headers).json()["visas"][0]
    document = world.client.get("/api/v1/visa-keys").json()
    assert [k["kid"] for k in document["keys"]] == [
        passport.VisaKey(world.node.signing_key.public_key()).kid,
        passport.VisaKey(old.public_key()).kid,
    ]
    current, retired = document["keys"]
    assert current["valid_until"] is None and retired["valid_until"] == current["valid_from"]
    keys = passport.visa_keys_from_jwks(document)
    now = world.clock.now()
    for visa in (before, after):
        assert passport.read_token_with(visa, keys, now)["sub"] == world.researcher.id
        jwt.decode(visa, KeySet.import_key_set(document), algorithms=[ALGORITHM])
    assert _kid(before) != _kid(after)


def test_a_visa_the_retired_key_signs_after_its_retirement_is_refused(world: World) -> None:
    old = world.node.signing_key
    world.advance(1)
    rotation.rotate(world.node, local_operator())
    world.advance(1)
    keys = published_keys(world)
    now = world.clock.now()
    late = _signed_by(old, world, issued=now, expires=now + timedelta(days=30))
    with pytest.raises(VerificationFailed, match="after its retirement"):
        passport.read_token_with(late, keys, now)
    backdated = _signed_by(
        old, world, issued=now - timedelta(days=2), expires=now + timedelta(days=400)
    )
    with pytest.raises(VerificationFailed, match="outlives"):
        passport.read_token_with(backdated, keys, now)
    stranger = _signed_by(Ed25519PrivateKey.generate(), world, issued=now, expires=now)
    with pytest.raises(VerificationFailed, match="does not know"):
        passport.read_token_with(stranger, keys, now)
    with pytest.raises(VerificationFailed):
        passport.visa_keys_from_jwks({"keys": "nope"})


def test_a_retired_key_is_published_until_its_last_visa_has_expired(world: World) -> None:
    world.govern(agreement(max_grant_duration="P5Y"))
    world.submit(duration="P5Y")
    visa = world.client.get("/api/v1/visas", headers=world.researcher.headers).json()["visas"][0]
    issued = world.clock.now()
    claims = passport.read_token_with(visa, published_keys(world), issued)
    assert claims["exp"] == int((issued + passport.VISA_MAX_LIFETIME).timestamp())
    rotation.rotate(world.node, local_operator())
    world.advance(passport.VISA_MAX_LIFETIME.days - 1)
    assert len(published_keys(world)) == 2
    world.advance(2)
    assert len(published_keys(world)) == 1
    with pytest.raises(VerificationFailed):
        passport.read_token_with(visa, published_keys(world), world.clock.now())


def _kid(token: str) -> str:
    header = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


def _signed_by(key: Ed25519PrivateKey, world: World, *, issued: datetime, expires: datetime) -> str:
    claims = {
        "iss": "http://testserver",
        "sub": world.researcher.id,
        "iat": int(issued.timestamp()),
        "exp": int(expires.timestamp()),
        "ga4gh_visa_v1": {
            "type": "ControlledAccessGrants",
            "value": "x",
            "source": "x",
            "by": "dac",
            "asserted": int(issued.timestamp()),
        },
    }
    jwk = OKPKey.import_key(key)
    header = {"alg": ALGORITHM, "typ": "JWT", "kid": jwk.thumbprint()}
    return jwt.encode(header, claims, jwk, algorithms=[ALGORITHM])
