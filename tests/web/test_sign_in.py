"""Signing in through the web form: sessions, CSRF, wrong passwords, sign-out."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from accord.identity.models import WebSession
from accord.identity.permissions import Role
from accord.node import NodeContext
from tests.conftest import Account, MakeAccount


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sessions(node: NodeContext) -> int:
    with node.session() as s:
        return int(s.scalar(select(func.count()).select_from(WebSession)) or 0)


def sign_in(client: TestClient, email: str, password: str):
    token = csrf_from(client.get("/sign-in").text)
    return client.post(
        "/sign-in",
        data={"email": email, "password": password, "csrf_token": token, "next": "/account"},
        follow_redirects=False,
    )


def test_sign_in_shows_account_then_sign_out(
    client: TestClient, admin: Account, node: NodeContext
) -> None:
    response = sign_in(client, admin.email, admin.password)
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    cookie = response.headers["set-cookie"]
    assert "accord_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    account = client.get("/account", headers={"accept": "text/html"})
    assert account.status_code == 200
    assert admin.email in account.text and "admin" in account.text
    out = client.post(
        "/sign-out", data={"csrf_token": csrf_from(account.text)}, follow_redirects=False
    )
    assert out.status_code == 303
    assert sessions(node) == 0
    again = client.get("/account", headers={"accept": "text/html"}, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/sign-in")


def test_wrong_password_shows_an_error_and_creates_no_session(
    client: TestClient, admin: Account, node: NodeContext
) -> None:
    response = sign_in(client, admin.email, "not the password")
    assert response.status_code == 401
    assert "wrong email or password" in response.text
    assert "accord_session" not in response.headers.get("set-cookie", "")
    assert sessions(node) == 0


def test_unknown_email_gets_the_same_answer(client: TestClient) -> None:
    response = sign_in(client, "nobody@example.org", "whatever-password")
    assert response.status_code == 401
    assert "wrong email or password" in response.text


def test_sign_in_without_csrf_token_is_refused(
    client: TestClient, admin: Account, node: NodeContext
) -> None:
    client.get("/sign-in")
    response = client.post(
        "/sign-in", data={"email": admin.email, "password": admin.password}, follow_redirects=False
    )
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/csrf-failed"
    assert sessions(node) == 0


def test_cookie_session_forms_need_the_csrf_token(
    client: TestClient, admin: Account, node: NodeContext
) -> None:
    sign_in(client, admin.email, admin.password)
    form = {"name": "Eve", "email": "eve@example.org", "country": "BR", "role": "researcher"}
    refused = client.post("/admin/users", data=form)
    assert refused.status_code == 403
    assert refused.json()["type"] == "/problems/csrf-failed"
    page = client.get("/admin/users").text
    accepted = client.post("/admin/users", data=form | {"csrf_token": csrf_from(page)})
    assert accepted.status_code == 201
    assert "eve@example.org" in accepted.text


def test_admin_form_shows_field_errors(client: TestClient, admin: Account) -> None:
    sign_in(client, admin.email, admin.password)
    token = csrf_from(client.get("/admin/users").text)
    form = {"name": "Eve", "email": "eve@example.org", "country": "ZZ", "csrf_token": token}
    response = client.post("/admin/users", data=form)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.text
    assert "ISO 3166-1" in response.text


def test_researchers_cannot_open_the_admin_page(
    client: TestClient, make_account: MakeAccount
) -> None:
    researcher = make_account(Role.RESEARCHER)
    sign_in(client, researcher.email, researcher.password)
    response = client.get("/admin/users", headers={"accept": "text/html"})
    assert response.status_code == 403


def test_next_never_leaves_the_site(client: TestClient, admin: Account) -> None:
    token = csrf_from(client.get("/sign-in").text)
    response = client.post(
        "/sign-in",
        data={
            "email": admin.email,
            "password": admin.password,
            "csrf_token": token,
            "next": "https://evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/account"
