"""GA4GH Passport ``ControlledAccessGrants`` visas: signed with the node key, verifiable with the
published key set, one per active grant, gone when the grant is not active."""

from __future__ import annotations

from datetime import timedelta

from joserfc import jwt
from joserfc.jwk import KeySet

from accord.access.passport import ALGORITHM
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
