"""A user replaces their own TOTP key (lost or new device) with their password and a current
code or a recovery code, through the API and the account page (decision 1317)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.clock import SettableClock
from accord.errors import InvalidInput, Unauthenticated
from accord.identity import totp
from accord.identity.models import User
from accord.identity.permissions import Role
from accord.identity.principal import local_operator
from accord.ledger.models import LedgerEntry
from accord.node import NodeContext
from tests.catalog.conftest import assert_problem
from tests.conftest import Account, MakeAccount
from tests.identity.test_totp import enrol, form_value, password_sign_in, verify

START = "/api/v1/me/totp/replacement"
CONFIRM = "/api/v1/me/totp/replacement/confirmation"


def kinds(node: NodeContext) -> list[str]:
    with node.session() as s:
        return list(s.scalars(select(LedgerEntry.event_type).order_by(LedgerEntry.seq)))


def replace(
    client: TestClient, account: Account, code: str, clock: SettableClock
) -> tuple[str, list[str]]:
    """Replace the key through the API; returns the new key and recovery codes."""
    started = client.post(
        START, json={"password": account.password, "code": code}, headers=account.headers
    )
    assert started.status_code == 201, started.text
    body = started.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/")
    new_code = totp.current_code(body["secret"], clock.now())
    done = client.post(
        CONFIRM,
        json={"replacement": body["replacement"], "code": new_code},
        headers=account.headers,
    )
    assert done.status_code == 200, done.text
    return body["secret"], done.json()["recovery_codes"]


def test_a_new_device_replaces_the_key_with_a_current_code(
    client: TestClient, node: NodeContext, make_account: MakeAccount, clock: SettableClock
) -> None:
    account = make_account(Role.RESEARCHER)
    old_secret, old_codes = enrol(node, account)
    new_secret, new_codes = replace(
        client, account, totp.current_code(old_secret, clock.now()), clock
    )
    assert new_secret != old_secret and len(new_codes) == totp.RECOVERY_CODES
    clock.advance(timedelta(seconds=60))
    with pytest.raises(Unauthenticated, match="wrong code"):
        verify(node, account, totp.current_code(old_secret, clock.now()))
    with pytest.raises(Unauthenticated, match="wrong code"):
        verify(node, account, old_codes[0])
    assert verify(node, account, totp.current_code(new_secret, clock.now())) == "totp"
    assert verify(node, account, new_codes[0]) == "recovery-code"
    assert kinds(node)[-2:] == ["identity.totp.replaced", "identity.recovery-code.used"]


def test_a_lost_device_is_replaced_with_a_recovery_code(
    client: TestClient, node: NodeContext, make_account: MakeAccount, clock: SettableClock
) -> None:
    account = make_account(Role.RESEARCHER)
    _, codes = enrol(node, account)
    replace(client, account, codes[2], clock)
    recent = kinds(node)[-2:]
    assert recent == ["identity.recovery-code.used", "identity.totp.replaced"]
    with node.session() as s:
        assert totp.status(s, account.id).recovery_codes_left == totp.RECOVERY_CODES


def test_wrong_password_or_code_gives_no_key_and_counts_towards_the_lockout(
    client: TestClient, node: NodeContext, make_account: MakeAccount, clock: SettableClock
) -> None:
    account = make_account(Role.RESEARCHER)
    secret, _ = enrol(node, account)
    code = totp.current_code(secret, clock.now())
    wrong_password = client.post(
        START, json={"password": "not-my-password", "code": code}, headers=account.headers
    )
    assert_problem(wrong_password, 401, "identity.bad-credentials")
    wrong_code = client.post(
        START, json={"password": account.password, "code": "000000"}, headers=account.headers
    )
    assert_problem(wrong_code, 401, "identity.totp-wrong-code")
    for _ in range(5):
        client.post(START, json={"password": "wrong", "code": code}, headers=account.headers)
    locked = client.post(
        START, json={"password": account.password, "code": code}, headers=account.headers
    )
    assert_problem(locked, 429, "identity.locked-out")
    assert "identity.totp.replaced" not in kinds(node)
    assert client.post(START, json={"password": 1}, headers=account.headers).status_code == 422
    assert client.post(START, json={"password": "x", "code": "1"}).status_code == 401


def test_a_user_without_a_key_has_nothing_to_replace(
    client: TestClient, make_account: MakeAccount
) -> None:
    account = make_account(Role.RESEARCHER)
    body = {"password": account.password, "code": "123456"}
    assert_problem(
        client.post(START, json=body, headers=account.headers), 404, "identity.totp-not-enrolled"
    )


def test_a_replacement_is_bound_to_its_user_its_use_and_ten_minutes(
    client: TestClient, node: NodeContext, make_account: MakeAccount, clock: SettableClock
) -> None:
    account, other = make_account(Role.RESEARCHER), make_account(Role.RESEARCHER)
    secret, _ = enrol(node, account)
    enrol(node, other)
    started = client.post(
        START,
        json={"password": account.password, "code": totp.current_code(secret, clock.now())},
        headers=account.headers,
    ).json()
    new_code = totp.current_code(started["secret"], clock.now())
    body = {"replacement": started["replacement"], "code": new_code}
    stolen = client.post(CONFIRM, json=body, headers=other.headers)
    assert_problem(stolen, 422, "identity.sealed-invalid")
    wrong = client.post(CONFIRM, json={**body, "code": "000000"}, headers=account.headers)
    assert_problem(wrong, 422, "identity.totp-wrong-code")
    with node.session() as s:  # a key sealed for a first enrolment is not a replacement
        first = totp.new_enrolment(s, s.get_one(User, account.id))
        with pytest.raises(InvalidInput):
            totp.confirm_replacement(
                s, local_operator(), s.get_one(User, account.id), first.sealed, "1"
            )
    clock.advance(totp.REPLACEMENT_LIFETIME + timedelta(seconds=1))
    late = {**body, "code": totp.current_code(started["secret"], clock.now())}
    expired = client.post(CONFIRM, json=late, headers=account.headers)
    assert_problem(expired, 422, "identity.totp-replacement-expired")
    assert "identity.totp.replaced" not in kinds(node)


def test_the_account_page_replaces_the_key(
    client: TestClient, node: NodeContext, make_account: MakeAccount, clock: SettableClock
) -> None:
    account = make_account(Role.STEWARD)
    password_sign_in(client, account)
    _, codes = enrol(node, account)
    page = client.get("/account/totp")
    assert "Replace your authenticator app" in page.text
    csrf = form_value(page.text, "csrf_token")
    refused = client.post(
        "/account/totp/replacement",
        data={"csrf_token": csrf, "password": "wrong-password", "code": codes[0]},
    )
    assert refused.status_code == 401
    assert 'id="replace-error"' in refused.text
    shown = client.post(
        "/account/totp/replacement",
        data={"csrf_token": csrf, "password": account.password, "code": codes[0]},
    )
    assert shown.status_code == 200
    secret = re.search(r'<code id="totp-key">([A-Z2-7]+)</code>', shown.text).group(1)
    fields = {"csrf_token": csrf, "sealed": form_value(shown.text, "sealed")}
    again = client.post("/account/totp/replacement/confirmation", data={**fields, "code": "1"})
    assert again.status_code == 422 and "Use the new key" in again.text
    done = client.post(
        "/account/totp/replacement/confirmation",
        data={**fields, "code": totp.current_code(secret, clock.now())},
    )
    assert done.status_code == 201
    assert len(re.findall(r"<li><code>", done.text)) == totp.RECOVERY_CODES
    assert "identity.totp.replaced" in kinds(node)


def test_an_administrator_resets_the_key_of_someone_who_lost_everything(
    client: TestClient, node: NodeContext, make_account: MakeAccount
) -> None:
    person, admin = make_account(Role.RESEARCHER), make_account(Role.ADMIN)
    enrol(node, person)
    password_sign_in(client, admin)
    listing = client.get("/admin/users")
    assert f'href="/admin/users/{person.id}/totp"' in listing.text
    page = client.get(f"/admin/users/{person.id}/totp")
    assert page.status_code == 200 and "recovery codes left" in page.text
    csrf = form_value(page.text, "csrf_token")
    done = client.post(f"/admin/users/{person.id}/totp/reset", data={"csrf_token": csrf})
    assert done.status_code == 200 and 'id="totp-reset"' in done.text
    with node.session() as s:
        assert not totp.status(s, person.id).enrolled
    assert kinds(node)[-1] == "identity.totp.reset"
    again = client.post(f"/admin/users/{person.id}/totp/reset", data={"csrf_token": csrf})
    assert again.status_code == 404
    assert client.get("/admin/users/usr_nobody/totp").status_code == 404


def test_only_administrators_reach_the_reset_page(
    client: TestClient, node: NodeContext, make_account: MakeAccount
) -> None:
    person, other = make_account(Role.RESEARCHER), make_account(Role.STEWARD)
    enrol(node, person)
    password_sign_in(client, other)
    assert client.get(f"/admin/users/{person.id}/totp").status_code == 403
    csrf = form_value(client.get("/account/totp").text, "csrf_token")
    refused = client.post(f"/admin/users/{person.id}/totp/reset", data={"csrf_token": csrf})
    assert refused.status_code == 403
    with node.session() as s:
        assert totp.status(s, person.id).enrolled
