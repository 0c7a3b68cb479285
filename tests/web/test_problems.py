"""Every error is an RFC 9457 problem document with a stable type (STYLE.md §5)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from accord import errors
from tests.conftest import Account

ERROR_CLASSES = [
    cls
    for cls in vars(errors).values()
    if isinstance(cls, type)
    and issubclass(cls, errors.AccordError)
    and cls is not errors.AccordError
]


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_every_error_class_has_the_problem_shape(cls: type[errors.AccordError]) -> None:
    error = cls("what went wrong", hint="what to do", errors=[errors.FieldError("a.b", "bad")])
    doc = error.problem(instance="/x")
    assert doc["type"] == f"/problems/{cls.default_code}"
    assert doc["status"] == cls.status
    assert 400 <= doc["status"] < 600
    assert doc["title"] and doc["detail"] == "what went wrong"
    assert doc["hint"] == "what to do"
    assert doc["errors"] == [{"location": "a.b", "message": "bad"}]
    assert doc["instance"] == "/x"


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_every_error_class_reaches_the_client_as_problem_json(
    cls: type[errors.AccordError], app: FastAPI, client: TestClient
) -> None:
    @app.get("/raise")
    def raise_it() -> None:
        raise cls("it failed", code="test.code")

    response = client.get("/raise")
    assert response.status_code == cls.status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/test.code"


def test_unexpected_exceptions_are_500_problems_without_traceback(app: FastAPI) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals /etc/accord")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/problems/internal"
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


def test_browsers_get_an_error_page(client: TestClient) -> None:
    response = client.get("/no/such/page", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "not-found" in response.text


def test_malformed_json_body_is_a_422_problem(client: TestClient, admin: Account) -> None:
    response = client.post(
        "/api/v1/organisations",
        content=b"{not json",
        headers={"content-type": "application/json", **admin.headers},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/validation"
