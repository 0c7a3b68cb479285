"""The per-process token cache: fresh for a second, emptied by every identity change here."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from accord.identity import service
from accord.identity.permissions import Role
from accord.identity.token_cache import TokenCache
from accord.node import NodeContext
from tests.conftest import Account, MakeAccount


class Timer:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def cache_with_timer(app: FastAPI) -> Timer:
    timer = Timer()
    app.state.token_cache = TokenCache(fresh_seconds=1.0, timer=timer)
    return timer


def test_revocation_by_another_process_takes_effect_within_the_bound(
    app: FastAPI, client: TestClient, node: NodeContext, make_account: MakeAccount
) -> None:
    timer = cache_with_timer(app)
    account = make_account(Role.RESEARCHER)
    assert client.get("/api/v1/me", headers=account.headers).status_code == 200
    # Another process writes straight to the database: no session of this process sees it.
    with node.engine.begin() as connection:
        connection.execute(
            text("UPDATE api_tokens SET revoked_at = created_at WHERE user_id = :user"),
            {"user": account.id},
        )
    timer.now += 0.5
    assert client.get("/api/v1/me", headers=account.headers).status_code == 200
    timer.now += 0.6
    response = client.get("/api/v1/me", headers=account.headers)
    assert response.status_code == 401
    assert response.json()["code"] == "identity.token-revoked"


def test_revocation_through_this_process_takes_effect_at_once(
    app: FastAPI, client: TestClient, admin: Account, make_account: MakeAccount
) -> None:
    cache_with_timer(app)
    created = client.post("/api/v1/tokens", headers=admin.headers, json={"name": "t"}).json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    revoked = client.post(f"/api/v1/tokens/{created['id']}/revocation", headers=admin.headers)
    assert revoked.status_code == 200
    assert client.get("/api/v1/me", headers=headers).json()["code"] == "identity.token-revoked"


def test_suspension_and_roles_changed_here_show_at_once(
    app: FastAPI, client: TestClient, admin: Account, make_account: MakeAccount
) -> None:
    cache_with_timer(app)
    account = make_account(Role.RESEARCHER)
    assert client.get("/api/v1/me", headers=account.headers).json()["roles"][0]["role"] == (
        "researcher"
    )
    added = client.post(
        f"/api/v1/users/{account.id}/roles", headers=admin.headers, json={"role": "steward"}
    )
    assert added.status_code in (200, 201), added.text
    roles = {r["role"] for r in client.get("/api/v1/me", headers=account.headers).json()["roles"]}
    assert roles == {"researcher", "steward"}
    suspended = client.post(
        f"/api/v1/users/{account.id}/suspension",
        headers=admin.headers,
        json={"reason": "left the project"},
    )
    assert suspended.status_code == 200, suspended.text
    response = client.get("/api/v1/me", headers=account.headers)
    assert response.status_code == 403
    assert response.json()["code"] == "identity.suspended"


def test_unknown_tokens_are_not_cached(app: FastAPI, client: TestClient) -> None:
    cache_with_timer(app)
    for _ in range(3):
        response = client.get("/api/v1/me", headers={"Authorization": "Bearer acc_unknown"})
        assert response.status_code == 401
    assert app.state.token_cache._entries == {}


def test_me_from_the_cache_is_the_account_document(
    client: TestClient, node: NodeContext, make_account: MakeAccount
) -> None:
    account = make_account(Role.RESEARCHER)
    first = client.get("/api/v1/me", headers=account.headers)
    cached = client.get("/api/v1/me", headers=account.headers)
    with node.session(readonly=True) as session:
        principal = service.principal_from_token(session, account.token)
        expected = service.account(session, principal).model_dump(mode="json")
    assert first.json() == cached.json() == expected
    assert cached.headers["content-type"] == "application/json"
