"""Error messages composed with values, and pydantic's field errors, in the reader's language."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from accord.errors import Conflict, FieldError, NotFound
from accord.i18n.translate import _l, _nl, gettext, use_locale
from accord.identity.permissions import Role
from accord.input_errors import field_errors, listed, message
from accord.sandbox.sql import QueryRefused, reader
from tests.conftest import MakeAccount


def test_translatable_text_is_english_until_shown() -> None:
    text = _l("nothing here: %(path)s", path="/x")
    assert text == "nothing here: /x"  # logs, the ledger and string operations see English
    with use_locale("fr"):
        assert gettext(text) == "rien ici : /x"
    with use_locale("en"):
        assert gettext(text) == "nothing here: /x"


def test_values_are_translated_and_dates_written_the_readers_way() -> None:
    text = _l("%(location)s: %(message)s", location="when", message=_l("this must be a number"))
    with use_locale("es"):
        assert gettext(text) == "when: esto debe ser un número"
    due = _nl("this needs at least %(count)s item", "this needs at least %(count)s items", 2)
    with use_locale("pt"):
        assert gettext(due) == "isto precisa de pelo menos 2 itens"
    dated = _l("nothing here: %(path)s", path=date(2026, 1, 2))
    assert dated == "nothing here: Jan 2, 2026"
    with use_locale("fr"):
        assert gettext(dated) == "rien ici : 2 janv. 2026"


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=3)
    size: int


def _errors() -> list[FieldError]:
    with pytest.raises(ValidationError) as invalid:
        _Form.model_validate({"name": "ab", "size": "many", "extra": 1})
    return field_errors(invalid.value.errors())


def test_pydantic_errors_are_rewritten_translatably() -> None:
    errors = {e.location: e.message for e in _errors()}
    assert errors == {
        "name": "this must have at least 3 characters",
        "size": "this must be a whole number",
        "extra": "this field is not expected here",
    }
    with use_locale("ar"):
        assert gettext(errors["size"]) == "يجب أن يكون هذا عددًا صحيحًا"
        assert gettext(listed(_errors())).startswith("name: يجب أن يحتوي هذا على 3 أحرف على الأقل")


def test_an_unknown_pydantic_error_keeps_its_english_message() -> None:
    assert message({"type": "something_new", "msg": "Something new"}) == "Something new"
    failure = ValueError(_l("this must be a number"))
    assert message({"type": "value_error", "ctx": {"error": failure}}) == "this must be a number"


def test_a_missing_page_is_reported_in_french(client: TestClient) -> None:
    missing = client.get("/api/v1/nowhere", headers={"Accept-Language": "fr"})
    assert missing.json()["detail"] == "rien ici : /api/v1/nowhere"
    assert missing.json()["code"] == "not-found"


def test_invalid_input_problem_in_spanish(client: TestClient) -> None:
    answer = client.get("/api/v1/datasets?limit=lots", headers={"Accept-Language": "es"})
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["errors"] == [{"location": "limit", "message": "esto debe ser un número entero"}]
    assert problem["detail"] == "entrada no válida: limit: esto debe ser un número entero"


def test_error_problem_keeps_english_in_the_exception() -> None:
    error = NotFound(_l("nothing here: %(path)s", path="/y"))
    assert str(error) == "nothing here: /y"
    with use_locale("pt"):
        assert error.problem()["detail"] == "nada aqui: /y"


def test_domain_errors_are_translated_in_problem_documents(client: TestClient) -> None:
    answer = client.get("/api/v1/datasets/ds_nothing", headers={"Accept-Language": "pt"})
    assert answer.json()["detail"] == "não existe o conjunto de dados 'ds_nothing'"
    english = client.get("/api/v1/datasets/ds_nothing")
    assert english.json()["detail"] == "no dataset 'ds_nothing'"


def test_sign_in_needed_is_said_in_french(client: TestClient) -> None:
    answer = client.get("/api/v1/me", headers={"Accept-Language": "fr"})
    assert answer.status_code == 401
    problem = answer.json()
    assert problem["code"] == "unauthenticated"
    assert problem["detail"] == "connectez-vous ou envoyez un jeton d'API pour faire ceci"
    assert problem["hint"] == "créez un jeton avec `accord token create`"
    english = client.get("/api/v1/me").json()
    assert english["detail"] == "sign in or send an API token to do this"


@pytest.mark.parametrize(
    ("authorization", "language", "code", "detail"),
    [
        (
            "Basic abc",
            "ar",
            "identity.bad-token",
            "يجب أن تكون ترويسة Authorization بالشكل `Bearer <token>`",
        ),
        ("Bearer acc_nothing", "pt", "identity.bad-token", "token de API desconhecido"),
    ],
)
def test_token_errors_in_the_readers_language(
    client: TestClient, authorization: str, language: str, code: str, detail: str
) -> None:
    answer = client.get(
        "/api/v1/me", headers={"Authorization": authorization, "Accept-Language": language}
    )
    assert answer.status_code == 401
    assert (answer.json()["code"], answer.json()["detail"]) == (code, detail)


def test_a_missing_permission_is_named_in_spanish(
    client: TestClient, make_account: MakeAccount
) -> None:
    researcher = make_account(Role.RESEARCHER)
    answer = client.get("/api/v1/users", headers={**researcher.headers, "Accept-Language": "es"})
    assert answer.status_code == 403
    problem = answer.json()
    assert problem["code"] == "forbidden"
    assert problem["detail"] == f"esto requiere el permiso {problem['permission']}"


def test_the_lockout_counts_minutes_in_each_language() -> None:
    def locked(minutes: int) -> str:
        return _nl(
            "this account is locked after repeated failed sign-ins; "
            "try again in about %(count)s minute",
            "this account is locked after repeated failed sign-ins; "
            "try again in about %(count)s minutes",
            minutes,
        )

    assert locked(1).endswith("about 1 minute")
    assert locked(5).endswith("about 5 minutes")
    with use_locale("fr"):
        assert gettext(locked(5)).endswith("réessayez dans environ 5 minutes")
    with use_locale("ar"):
        assert gettext(locked(2)).endswith("بعد نحو دقيقتين")
        assert gettext(locked(7)).endswith("بعد نحو 7 دقائق")


def test_a_refused_query_is_explained_in_spanish() -> None:
    with pytest.raises(QueryRefused) as refused:
        reader().plan("SELECT count(*) AS n FROM nope", ["people"])
    assert str(refused.value) == "no table 'nope' in this version; its tables are: people"
    with use_locale("es"):
        problem = refused.value.problem()
    assert problem["code"] == "sandbox.query-refused"
    assert problem["detail"] == (
        "no hay ninguna tabla 'nope' en esta versión; sus tablas son: people"
    )
    assert problem["errors"][0]["message"] == problem["detail"]
    assert problem["hint"].startswith("el entorno aislado ejecuta un único SELECT")


def test_access_errors_keep_english_and_read_in_portuguese() -> None:
    error = Conflict(
        _l("grant %(grant_id)s was revoked: it cannot be renewed", grant_id="gr_1"),
        code="access.grant-revoked",
    )
    assert str(error) == "grant gr_1 was revoked: it cannot be renewed"
    with use_locale("pt"):
        assert error.problem()["detail"] == "a concessão gr_1 foi revogada: não pode ser renovada"
