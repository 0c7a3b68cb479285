"""Operations: metrics, request ids, lockout, API rate limits, and logs free of secrets."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from accord.clock import SettableClock
from accord.identity.permissions import Role
from accord.ops.logs import configure_logging
from accord.web.app import create_app
from tests.conftest import Account, MakeAccount


def csrf(client: TestClient) -> str:
    match = re.search(
        r'id="sign-in-csrf" name="csrf_token" value="([^"]+)"', client.get("/sign-in").text
    )
    assert match
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str):
    return client.post(
        "/sign-in",
        data={"email": email, "password": password, "csrf_token": csrf(client)},
        follow_redirects=False,
    )


def test_metrics_need_a_permission_and_count_routes(
    client: TestClient, admin: Account, make_account: MakeAccount
) -> None:
    assert client.get("/metrics").status_code == 401
    researcher = make_account(Role.RESEARCHER)
    assert client.get("/metrics", headers=researcher.headers).status_code == 403
    client.get("/api/v1/me", headers=admin.headers)
    body = client.get("/metrics", headers=admin.headers).text
    assert 'accord_http_requests_total{method="GET",route="/api/v1/me",status="200"}' in body
    assert "accord_http_request_duration_seconds_bucket" in body
    assert "usr_" not in body  # route templates only, never ids


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    generated = client.get("/healthz").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert (
        client.get("/healthz", headers={"x-request-id": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    hostile = client.get("/healthz", headers={"x-request-id": "<script>"}).headers["x-request-id"]
    assert hostile != "<script>"


def test_account_locks_after_repeated_failures_then_unlocks(
    client: TestClient, admin: Account, clock: SettableClock
) -> None:
    for _ in range(5):
        assert sign_in(client, admin.email, "wrong password!").status_code == 401
    locked = sign_in(client, admin.email, admin.password)
    assert locked.status_code == 429
    assert "locked" in locked.text
    clock.advance(timedelta(minutes=16))
    assert sign_in(client, admin.email, admin.password).status_code == 303


def test_success_resets_the_failure_count(client: TestClient, admin: Account) -> None:
    for _ in range(4):
        sign_in(client, admin.email, "wrong password!")
    assert sign_in(client, admin.email, admin.password).status_code == 303
    for _ in range(4):
        assert sign_in(client, admin.email, "wrong password!").status_code == 401


def test_api_rate_limit_per_token_holder(node, admin: Account) -> None:  # type: ignore[no-untyped-def]
    node.settings.api_requests_per_minute = 3
    with TestClient(create_app(node)) as client:
        statuses = [client.get("/api/v1/me", headers=admin.headers).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = client.get("/api/v1/me", headers=admin.headers)
        assert limited.json()["type"] == "/problems/rate-limited"
        assert int(limited.headers["retry-after"]) >= 1


def test_logs_hold_no_email_password_or_token(
    app: FastAPI, admin: Account, capsys: pytest.CaptureFixture[str]
) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    configure_logging()
    try:
        with TestClient(app) as client:
            sign_in(client, admin.email, admin.password)
            sign_in(client, admin.email, "wrong password!")
            client.get("/api/v1/users?email=" + admin.email, headers=admin.headers)
            client.post("/api/v1/tokens", headers=admin.headers, json={"name": "x"})
            client.get("/boom-not-found?token=" + admin.token)
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    assert {line["route"] for line in lines if line.get("event") == "request"} >= {
        "/sign-in",
        "/api/v1/users",
        "/api/v1/tokens",
    }
    text = json.dumps(lines)
    for secret in (admin.email, admin.password, admin.token, "wrong password!"):
        assert secret not in text, [line for line in lines if secret in json.dumps(line)]
