"""The TOTP second factor on the injected clock: enrolment, the time window, replay, recovery
codes, lockout, and the second step at sign-in for roles that require it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.clock import SettableClock
from accord.config import Settings
from accord.errors import Conflict, InvalidInput, RateLimited, Unauthenticated
from accord.identity import signin, totp
from accord.identity.models import User
from accord.identity.permissions import Role
from accord.identity.principal import local_operator
from accord.identity.service import SignInPolicy
from accord.ledger.models import LedgerEntry
from accord.node import NodeContext
from tests.conftest import Account, MakeAccount


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        totp_required_roles=[Role.ADMIN, Role.COMMITTEE, Role.REVIEWER, Role.OUTPUT_CHECKER],
    )


def enrol(node: NodeContext, account: Account) -> tuple[str, list[str]]:
    with node.session() as s:
        user = s.get_one(User, account.id)
        enrolment, codes = totp.enrol_for(s, local_operator(), user)
        s.commit()
        return enrolment.secret, codes


def verify(node: NodeContext, account: Account, code: str) -> str:
    with node.session() as s:
        try:
            return totp.verify(s, s.get_one(User, account.id), code)
        finally:
            s.commit()


def test_enrolment_needs_a_code_from_the_new_key(
    node: NodeContext, make_account: MakeAccount, clock: SettableClock
) -> None:
    account = make_account(Role.RESEARCHER)
    with node.session() as s:
        user = s.get_one(User, account.id)
        enrolment = totp.new_enrolment(s, user)
        assert enrolment.uri.startswith("otpauth://totp/")
        assert f"secret={enrolment.secret}" in enrolment.uri
        with pytest.raises(InvalidInput):
            totp.confirm_enrolment(s, local_operator(), user, enrolment.sealed, "000000")
        with pytest.raises(InvalidInput):  # a sealed key made for someone else
            totp.confirm_enrolment(s, local_operator(), user, enrolment.sealed[:-4] + "AAAA", "1")
        code = totp.current_code(enrolment.secret, clock.now())
        codes = totp.confirm_enrolment(s, local_operator(), user, enrolment.sealed, code)
        s.commit()
        assert len(codes) == totp.RECOVERY_CODES
        kinds = list(s.scalars(select(LedgerEntry.event_type)))
        assert "identity.totp.enrolled" in kinds
        with pytest.raises(Conflict):
            totp.enrol_for(s, local_operator(), user)


def test_codes_within_one_step_are_accepted_and_never_twice(
    node: NodeContext, make_account: MakeAccount, clock: SettableClock
) -> None:
    account = make_account(Role.RESEARCHER)
    secret, _ = enrol(node, account)
    now = clock.now()
    assert verify(node, account, totp.current_code(secret, now - timedelta(seconds=30))) == "totp"
    with pytest.raises(Unauthenticated, match="used already"):
        verify(node, account, totp.current_code(secret, now - timedelta(seconds=30)))
    assert verify(node, account, totp.current_code(secret, now)) == "totp"
    with pytest.raises(Unauthenticated, match="used already"):  # an older step, unused
        verify(node, account, totp.current_code(secret, now - timedelta(seconds=30)))
    clock.advance(timedelta(seconds=30))
    assert verify(node, account, totp.current_code(secret, clock.now())) == "totp"
    with pytest.raises(Unauthenticated, match="wrong code"):  # two steps ahead: outside
        verify(node, account, totp.current_code(secret, clock.now() + timedelta(seconds=60)))
    with pytest.raises(Unauthenticated, match="wrong code"):  # two steps behind
        verify(node, account, totp.current_code(secret, clock.now() - timedelta(seconds=90)))


def test_recovery_codes_work_once(node: NodeContext, make_account: MakeAccount) -> None:
    account = make_account(Role.RESEARCHER)
    _, codes = enrol(node, account)
    assert verify(node, account, codes[3].upper()) == "recovery-code"
    with pytest.raises(Unauthenticated):
        verify(node, account, codes[3])
    with pytest.raises(Unauthenticated):
        verify(node, account, codes[4][:4] + "-00000-00000")
    with node.session() as s:
        assert totp.status(s, account.id).recovery_codes_left == totp.RECOVERY_CODES - 1


def test_reset_removes_the_key(node: NodeContext, make_account: MakeAccount) -> None:
    account = make_account(Role.RESEARCHER)
    enrol(node, account)
    with node.session() as s:
        totp.reset(s, local_operator(), s.get_one(User, account.id))
        s.commit()
        assert not totp.status(s, account.id).enrolled
        assert "identity.totp.reset" in list(s.scalars(select(LedgerEntry.event_type)))


def test_wrong_codes_lock_the_account(
    node: NodeContext, make_account: MakeAccount, clock: SettableClock, settings: Settings
) -> None:
    account = make_account(Role.RESEARCHER)
    secret, _ = enrol(node, account)
    policy = SignInPolicy(max_failures=3)
    with node.session() as s:
        step = signin.first_factor_passed(s, s.get_one(User, account.id), settings, "/account")
        s.commit()
    assert isinstance(step, signin.SecondStep)
    with node.session() as s:
        csrf = signin.pending_step(s, step.secret).csrf_token
    for _ in range(3):
        with node.session() as s:
            with pytest.raises(Unauthenticated):
                signin.finish_second_step(
                    s, settings, step.secret, csrf_token=csrf, code="000000", policy=policy
                )
            s.commit()  # the pages keep the failure counters
    good = totp.current_code(secret, clock.now())
    with node.session() as s, pytest.raises(RateLimited):
        signin.finish_second_step(
            s, settings, step.secret, csrf_token=csrf, code=good, policy=policy
        )


# --- pages -----------------------------------------------------------------------------------


def password_sign_in(client: TestClient, account: Account) -> object:
    csrf = client.get("/sign-in").cookies["accord_presession"]
    return client.post(
        "/sign-in",
        data={"email": account.email, "password": account.password, "csrf_token": csrf},
        follow_redirects=False,
    )


def form_value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} in the page"
    return match.group(1)


def test_required_role_enrols_at_sign_in_then_needs_a_code(
    client: TestClient, make_account: MakeAccount, clock: SettableClock
) -> None:
    account = make_account(Role.COMMITTEE)
    response = password_sign_in(client, account)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in/second-step"
    assert "accord_session" not in client.cookies
    page = client.get("/sign-in/second-step")
    assert "Set up two-step sign-in" in page.text
    secret = re.search(r'<code id="totp-key">([A-Z2-7]+)</code>', page.text).group(1)
    fields = {
        "csrf_token": form_value(page.text, "csrf_token"),
        "sealed": form_value(page.text, "sealed"),
    }
    wrong = client.post("/sign-in/second-step", data={**fields, "code": "123456"})
    assert wrong.status_code == 422
    assert "accord_session" not in client.cookies
    done = client.post(
        "/sign-in/second-step", data={**fields, "code": totp.current_code(secret, clock.now())}
    )
    assert done.status_code == 201
    assert len(re.findall(r"<li><code>", done.text)) == totp.RECOVERY_CODES
    assert client.get("/api/v1/me").status_code == 200

    client.cookies.clear()
    clock.advance(timedelta(seconds=30))
    assert password_sign_in(client, account).headers["location"] == "/sign-in/second-step"
    page = client.get("/sign-in/second-step")
    csrf = form_value(page.text, "csrf_token")
    bad = client.post("/sign-in/second-step", data={"csrf_token": csrf, "code": "000000"})
    assert bad.status_code == 401
    assert "wrong code" in bad.text
    assert "accord_session" not in client.cookies
    ok = client.post(
        "/sign-in/second-step",
        data={"csrf_token": csrf, "code": totp.current_code(secret, clock.now())},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert "accord_session" in ok.cookies


def test_second_step_without_a_flow_or_csrf_is_refused(
    client: TestClient, make_account: MakeAccount
) -> None:
    assert client.get("/sign-in/second-step").status_code == 401
    account = make_account(Role.ADMIN)
    password_sign_in(client, account)
    response = client.post("/sign-in/second-step", data={"csrf_token": "forged", "code": "1"})
    assert response.status_code == 401
    assert "accord_session" not in client.cookies


def test_roles_without_the_requirement_sign_in_at_once(
    client: TestClient, make_account: MakeAccount
) -> None:
    account = make_account(Role.RESEARCHER)
    response = password_sign_in(client, account)
    assert response.headers["location"] == "/account"
    assert "accord_session" in response.cookies


def test_user_enrols_from_the_account_page(
    client: TestClient, make_account: MakeAccount, clock: SettableClock
) -> None:
    account = make_account(Role.STEWARD)
    password_sign_in(client, account)
    settings_page = client.get("/account/totp")
    assert "Off." in settings_page.text
    csrf = form_value(settings_page.text, "csrf_token")
    page = client.post("/account/totp", data={"csrf_token": csrf})
    secret = re.search(r'<code id="totp-key">([A-Z2-7]+)</code>', page.text).group(1)
    done = client.post(
        "/account/totp/confirmation",
        data={
            "csrf_token": csrf,
            "sealed": form_value(page.text, "sealed"),
            "code": totp.current_code(secret, clock.now()),
        },
    )
    assert done.status_code == 201
    assert "recovery codes left" in client.get("/account/totp").text
