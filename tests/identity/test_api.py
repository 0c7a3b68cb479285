"""The identity API: who can create whom, and what bad input gets back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from accord.clock import SettableClock
from accord.identity.permissions import Role
from accord.ledger.models import LedgerEntry
from accord.node import NodeContext
from tests.conftest import Account, MakeAccount

PROBLEM = "application/problem+json"


def ledger_size(node: NodeContext) -> int:
    with node.session() as s:
        return int(s.scalar(select(func.count()).select_from(LedgerEntry)) or 0)


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["type"] == f"/problems/{code}"
    assert body["status"] == status
    assert body["detail"]
    return body


def test_me_shows_roles_and_permissions(client: TestClient, admin: Account) -> None:
    response = client.get("/api/v1/me", headers=admin.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == admin.email
    assert [r["role"] for r in body["roles"]] == ["admin"]
    assert "identity:user:create" in body["permissions"]


def test_admin_creates_user_and_the_log_records_it(
    client: TestClient, admin: Account, node: NodeContext
) -> None:
    before = ledger_size(node)
    response = client.post(
        "/api/v1/users",
        headers=admin.headers,
        json={
            "name": "Ana Lima",
            "email": "Ana@Example.org",
            "country": "br",
            "orcid": "https://orcid.org/0000-0002-1825-0097",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["user"]["email"] == "ana@example.org"
    assert body["user"]["country"] == "BR"
    assert body["user"]["orcid"] == "0000-0002-1825-0097"
    assert len(body["password"]) >= 16
    assert ledger_size(node) == before + 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("orcid", "0000-0002-1825-0098"),
        ("country", "XX"),
        ("country", "Brazil"),
        ("email", "not-an-email"),
    ],
)
def test_bad_user_fields_are_named_and_nothing_is_written(
    client: TestClient, admin: Account, node: NodeContext, field: str, value: str
) -> None:
    before = ledger_size(node)
    user = {"name": "X", "email": "x@example.org", "country": "BR", field: value}
    body = assert_problem(
        client.post("/api/v1/users", headers=admin.headers, json=user), 422, "validation"
    )
    assert [e["location"] for e in body["errors"]] == [field]
    assert ledger_size(node) == before


def test_duplicate_email_is_a_conflict(client: TestClient, admin: Account) -> None:
    user = {"name": "X", "email": "dup@example.org", "country": "BR"}
    assert client.post("/api/v1/users", headers=admin.headers, json=user).status_code == 201
    again = client.post(
        "/api/v1/users", headers=admin.headers, json=user | {"email": "DUP@example.org"}
    )
    body = assert_problem(again, 409, "identity.duplicate-email")
    assert body["errors"][0]["location"] == "email"


def test_bad_ror_id_is_refused(client: TestClient, admin: Account) -> None:
    org = {"name": "Brown", "country": "US", "ror_id": "05gq02988"}
    body = assert_problem(
        client.post("/api/v1/organisations", headers=admin.headers, json=org), 422, "validation"
    )
    assert body["errors"][0]["location"] == "ror_id"
    good = client.post(
        "/api/v1/organisations",
        headers=admin.headers,
        json=org | {"ror_id": "https://ror.org/05gq02987"},
    )
    assert good.status_code == 201
    assert good.json()["ror_id"] == "05gq02987"


def test_researcher_cannot_create_users(client: TestClient, make_account: MakeAccount) -> None:
    researcher = make_account(Role.RESEARCHER)
    user = {"name": "X", "email": "y@example.org", "country": "BR"}
    body = assert_problem(
        client.post("/api/v1/users", headers=researcher.headers, json=user), 403, "forbidden"
    )
    assert body["permission"] == "identity:user:create"


def test_no_token_is_401_with_a_challenge(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_unknown_malformed_expired_and_revoked_tokens(
    client: TestClient, admin: Account, clock: SettableClock
) -> None:
    assert_problem(
        client.get("/api/v1/me", headers={"Authorization": "Bearer acc_nope"}),
        401,
        "identity.bad-token",
    )
    assert_problem(
        client.get("/api/v1/me", headers={"Authorization": "Basic abc"}), 401, "identity.bad-token"
    )
    created = client.post(
        "/api/v1/tokens", headers=admin.headers, json={"name": "short", "expires_in_days": 1}
    )
    assert created.status_code == 201
    token = {"Authorization": f"Bearer {created.json()['token']}"}
    assert client.get("/api/v1/me", headers=token).status_code == 200
    clock.advance(timedelta(days=1, seconds=1))
    assert_problem(client.get("/api/v1/me", headers=token), 401, "identity.token-expired")
    clock.advance(timedelta(days=-2))
    revoked = client.post(
        f"/api/v1/tokens/{created.json()['id']}/revocation", headers=admin.headers
    )
    assert revoked.status_code == 200
    assert_problem(client.get("/api/v1/me", headers=token), 401, "identity.token-revoked")


def test_token_scopes_limit_what_it_can_do(client: TestClient, admin: Account) -> None:
    narrow = client.post(
        "/api/v1/tokens",
        headers=admin.headers,
        json={"name": "read-only", "scopes": ["identity:self:read"]},
    ).json()
    headers = {"Authorization": f"Bearer {narrow['token']}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    user = {"name": "X", "email": "z@example.org", "country": "BR"}
    assert_problem(client.post("/api/v1/users", headers=headers, json=user), 403, "forbidden")


def test_suspended_user_tokens_stop_working(
    client: TestClient, admin: Account, make_account: MakeAccount
) -> None:
    researcher = make_account(Role.RESEARCHER)
    response = client.post(
        f"/api/v1/users/{researcher.id}/suspension",
        headers=admin.headers,
        json={"reason": "breach"},
    )
    assert response.json()["status"] == "suspended"
    assert_problem(client.get("/api/v1/me", headers=researcher.headers), 403, "identity.suspended")


def test_accreditation_dates_must_make_sense(
    client: TestClient, admin: Account, make_account: MakeAccount
) -> None:
    researcher = make_account(Role.RESEARCHER)
    path = f"/api/v1/users/{researcher.id}/accreditations"
    bad = {
        "kind": "safe-researcher",
        "issuer": "UKDS",
        "issued_on": "2026-01-01",
        "expires_on": "2025-01-01",
    }
    assert_problem(
        client.post(path, headers=admin.headers, json=bad), 422, "identity.accreditation-dates"
    )
    good = bad | {"expires_on": "2027-01-01"}
    assert client.post(path, headers=admin.headers, json=good).status_code == 201
    me = client.get("/api/v1/me", headers=researcher.headers).json()
    assert me["accreditations"][0]["kind"] == "safe-researcher"


def test_unknown_route_and_wrong_method_are_problems(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not-found")
    assert_problem(client.delete("/healthz"), 405, "method-not-allowed")


def test_body_over_the_limit_is_413(client: TestClient, admin: Account) -> None:
    huge = "x" * 2_000_000
    response = client.post(
        "/api/v1/organisations", headers=admin.headers, json={"name": huge, "country": "CH"}
    )
    assert_problem(response, 413, "payload-too-large")


def test_paging_with_cursor_and_link_header(client: TestClient, admin: Account) -> None:
    for i in range(5):
        client.post(
            "/api/v1/organisations", headers=admin.headers, json={"name": f"O{i}", "country": "CH"}
        )
    first = client.get("/api/v1/organisations?limit=2")
    assert len(first.json()["items"]) == 2
    assert 'rel="next"' in first.headers["link"]
    seen = [o["id"] for o in first.json()["items"]]
    cursor = first.json()["next_cursor"]
    while cursor:
        page = client.get("/api/v1/organisations", params={"limit": 2, "cursor": cursor}).json()
        seen += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == 5 == len(set(seen))
