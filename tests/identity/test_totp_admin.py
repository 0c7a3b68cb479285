"""TOTP administration: the API (status, hand-over, reset, linked identities) and
``accord user totp …`` through it."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from rich.console import Console
from typer.testing import CliRunner

from accord.cli.client import NodeClient
from accord.cli.identity import users
from accord.cli.state import CliState
from accord.errors import AccordError
from accord.identity import totp
from accord.identity.permissions import Role
from accord.identity.principal import local_operator
from accord.node import NodeContext
from accord.web.security import act_as
from tests.conftest import Account, MakeAccount


def test_admin_hands_over_a_key_and_resets_it(
    client: TestClient, admin: Account, make_account: MakeAccount
) -> None:
    person = make_account(Role.COMMITTEE)
    path = f"/api/v1/users/{person.id}/totp"
    assert client.get(path, headers=admin.headers).json()["enrolled"] is False
    handed = client.post(path, headers=admin.headers)
    assert handed.status_code == 201
    body = handed.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/")
    assert len(body["recovery_codes"]) == totp.RECOVERY_CODES
    again = client.post(path, headers=admin.headers)
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/identity.totp-enrolled"
    status = client.get(path, headers=admin.headers).json()
    assert status["enrolled"] is True
    assert status["recovery_codes_left"] == totp.RECOVERY_CODES
    reset = client.delete(path, headers=admin.headers)
    assert reset.status_code == 200
    assert reset.json()["enrolled"] is False
    missing = client.delete(path, headers=admin.headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert client.get(f"/api/v1/users/{person.id}/identities", headers=admin.headers).json() == []


def test_only_administrators_manage_keys(client: TestClient, make_account: MakeAccount) -> None:
    person = make_account(Role.RESEARCHER)
    other = make_account(Role.RESEARCHER)
    response = client.post(f"/api/v1/users/{other.id}/totp", headers=person.headers)
    assert response.status_code == 403
    assert client.get(f"/api/v1/users/{other.id}/totp", headers=person.headers).status_code == 403
    assert client.get("/api/v1/users/usr_nobody/totp").status_code == 401


@pytest.fixture
def cli(app: FastAPI, node: NodeContext) -> Iterator[CliState]:
    act_as(app, local_operator())
    with TestClient(app, base_url="http://local.accord") as http:
        state = CliState(settings=node.settings)
        state.__dict__["client"] = NodeClient(http)
        yield state


def run(state: CliState, *args: str) -> tuple[str, BaseException | None]:
    state.json = "--json" in args
    state.console = Console(file=io.StringIO(), width=300)
    state.err = Console(file=io.StringIO(), width=300)
    result = CliRunner().invoke(users, [a for a in args if a != "--json"], obj=state)
    return state.console.file.getvalue(), result.exception  # type: ignore[attr-defined]


def test_cli_enrol_status_reset(cli: CliState, make_account: MakeAccount) -> None:
    person = make_account(Role.REVIEWER)
    printed, error = run(cli, "totp", "enrol", person.email)
    assert error is None, printed
    assert "otpauth://totp/" in printed
    assert "shown once" in printed
    printed, error = run(cli, "totp", "status", person.email, "--json")
    assert json.loads(printed)["enrolled"] is True
    printed, error = run(cli, "totp", "reset", person.email)
    assert "set it up again" in printed
    _, error = run(cli, "totp", "reset", person.email)
    assert isinstance(error, AccordError)
    assert error.code == "identity.totp-not-enrolled"
