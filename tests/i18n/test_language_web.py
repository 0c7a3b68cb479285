"""Pages and problem documents answer in the reader's language; the choice is remembered."""

from __future__ import annotations

from fastapi.testclient import TestClient

HTML = {"Accept": "text/html"}


def test_the_browser_language_is_used(client: TestClient) -> None:
    page = client.get("/", headers={**HTML, "Accept-Language": "fr-CH, fr;q=0.9, en;q=0.5"})
    assert page.headers["content-language"] == "fr"
    assert "Accept-Language" in page.headers["vary"]
    assert '<html lang="fr" dir="ltr">' in page.text
    assert "Se connecter" in page.text
    assert "Aller au contenu" in page.text


def test_the_switcher_choice_is_remembered_and_arabic_is_right_to_left(client: TestClient) -> None:
    page = client.get("/datasets?q=malaria&lang=ar", headers=HTML)
    assert '<html lang="ar" dir="rtl">' in page.text
    assert "accord_lang=ar" in page.headers["set-cookie"]
    again = client.get("/datasets", headers={**HTML, "Accept-Language": "es"})
    assert '<html lang="ar" dir="rtl">' in again.text  # the cookie outranks the browser
    assert 'href="/datasets?q=malaria&amp;lang=fr"' in page.text  # the switcher keeps the query
    assert 'lang="fr" hreflang="fr"' in page.text


def test_an_unknown_language_falls_back_to_english(client: TestClient) -> None:
    page = client.get("/?lang=xx", headers={**HTML, "Cookie": "accord_lang=<script>"})
    assert '<html lang="en" dir="ltr">' in page.text
    assert "set-cookie" not in page.headers


def test_problem_documents_are_translated(client: TestClient) -> None:
    answer = client.get("/api/v1/datasets/ds_nothing", headers={"Accept-Language": "es"})
    assert answer.status_code == 404
    assert answer.headers["content-language"] == "es"
    assert answer.json()["title"] == "No encontrado"
    assert answer.json()["type"] == "/problems/catalog.dataset-not-found"  # codes never change


def test_error_pages_escape_the_message_they_translate(client: TestClient) -> None:
    page = client.get("/datasets/<b>x</b>", headers={**HTML, "Accept-Language": "fr"})
    assert page.status_code == 404
    assert "<b>x</b>" not in page.text


def test_sign_in_errors_are_translated(client: TestClient) -> None:
    form = client.get("/sign-in", headers={**HTML, "Accept-Language": "pt-BR"})
    token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post(
        "/sign-in",
        headers={**HTML, "Accept-Language": "pt-BR"},
        data={"email": "nobody@example.org", "password": "x" * 12, "csrf_token": token},
    )
    assert "e-mail ou senha incorretos" in answer.text
