"""Each account keeps the language its user reads: set in the API or the account page, used
for answers that name no language and remembered by the browser at sign-in."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.ledger.models import LedgerEntry
from accord.node import NodeContext
from tests.conftest import Account, MakeAccount

HTML = {"Accept": "text/html"}


def _events(node: NodeContext, kind: str) -> int:
    with node.session() as s:
        return len(s.scalars(select(LedgerEntry).where(LedgerEntry.event_type == kind)).all())


def test_the_language_is_set_in_the_api_and_logged(
    client: TestClient, make_account: MakeAccount, node: NodeContext
) -> None:
    user = make_account()
    assert client.get("/api/v1/me", headers=user.headers).json()["language"] is None
    answer = client.put("/api/v1/me/preferences", json={"language": "pt"}, headers=user.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["language"] == "pt"
    assert client.get("/api/v1/me", headers=user.headers).json()["language"] == "pt"
    assert _events(node, "identity.preferences.changed") == 1
    client.put("/api/v1/me/preferences", json={"language": "pt"}, headers=user.headers)
    assert _events(node, "identity.preferences.changed") == 1  # no change, nothing logged
    back = client.put("/api/v1/me/preferences", json={"language": None}, headers=user.headers)
    assert back.json()["language"] is None


def test_an_unknown_language_is_refused(client: TestClient, make_account: MakeAccount) -> None:
    user = make_account()
    answer = client.put(
        "/api/v1/me/preferences",
        json={"language": "xx"},
        headers={**user.headers, "Accept-Language": "fr"},
    )
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"location": "language", "message": "ce nœud parle ar, en, es, fr, pt"}
    ]
    missing = client.put("/api/v1/me/preferences", json={}, headers=user.headers)
    assert missing.status_code == 422


def test_api_answers_in_the_accounts_language_unless_the_request_names_one(
    client: TestClient, make_account: MakeAccount
) -> None:
    user = make_account()
    client.put("/api/v1/me/preferences", json={"language": "es"}, headers=user.headers)
    plain = client.get("/api/v1/datasets/ds_none", headers=user.headers)
    assert plain.json()["title"] == "No encontrado"
    assert plain.headers["content-language"] == "es"
    named = client.get(
        "/api/v1/datasets/ds_none", headers={**user.headers, "Accept-Language": "fr"}
    )
    assert named.json()["title"] == "Introuvable"
    anonymous = client.get("/api/v1/datasets/ds_none")
    assert anonymous.json()["title"] == "Not found"


def _sign_in(client: TestClient, account: Account) -> None:
    form = client.get("/sign-in", headers=HTML)
    token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post(
        "/sign-in",
        headers=HTML,
        data={"email": account.email, "password": account.password, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def test_the_account_page_sets_the_language_and_sign_in_brings_it_back(
    client: TestClient, make_account: MakeAccount
) -> None:
    user = make_account()
    _sign_in(client, user)
    page = client.get("/account", headers=HTML)
    assert '<select id="f-language" name="language">' in page.text
    assert '<option value="ar" lang="ar" >العربية</option>' in page.text
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    saved = client.post(
        "/account/preferences",
        headers=HTML,
        data={"language": "ar", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert "accord_lang=ar" in saved.headers["set-cookie"]
    page = client.get("/account", headers=HTML)
    assert '<html lang="ar" dir="rtl">' in page.text
    assert '<option value="ar" lang="ar" selected>العربية</option>' in page.text

    client.cookies.clear()  # another browser: the account's language comes back at sign-in
    _sign_in(client, user)
    assert client.cookies.get("accord_lang") == "ar"


def test_the_account_page_refuses_an_unknown_language(
    client: TestClient, make_account: MakeAccount
) -> None:
    user = make_account()
    _sign_in(client, user)
    page = client.get("/account", headers=HTML)
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    refused = client.post(
        "/account/preferences", headers=HTML, data={"language": "klingon", "csrf_token": csrf}
    )
    assert refused.status_code == 422
    assert "this node speaks ar, en, es, fr, pt" in refused.text
