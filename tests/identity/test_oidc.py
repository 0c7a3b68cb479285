"""OpenID Connect sign-in against a real OpenID Provider (node's oidc-provider) and, for the
token-level cases a real provider never produces, against a provider serving forged tokens."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from joserfc.jwk import RSAKey
from sqlalchemy import func, select

from accord.clock import SettableClock
from accord.config import ClaimMapping, OidcProvider, Settings
from accord.identity.models import IdentityLink, User
from accord.identity.permissions import Role
from accord.ledger.models import LedgerEntry
from accord.node import NodeContext
from tests.conftest import MakeAccount
from tests.identity.oidc.forged import ForgedProvider
from tests.identity.oidc.real import RealProvider, start_provider

NODE = "http://testserver"
COMMITTEE = "urn:geant:example.org:accord:committee"
ALICE = {
    "email": "alice@uni.example",
    "email_verified": True,
    "name": "Alice Achieng",
    "orcid": "https://orcid.org/0000-0002-1825-0097",
    "ror": "https://ror.org/05gq02987",
    "affiliation": "Example University",
    "country": "KE",
    "eduperson_entitlement": [COMMITTEE, "urn:other"],
}
BOB = {"email": "bob@uni.example", "email_verified": True, "name": "Bob Banda"}
CAROL = {
    "email": "carol@uni.example",
    "email_verified": True,
    "name": "Carol Chebet",
    "country": "KE",
    "eduperson_entitlement": [COMMITTEE],
}
RESEARCH = ClaimMapping(
    orcid="orcid",
    ror="ror",
    affiliation="affiliation",
    country="country",
    entitlements="eduperson_entitlement",
)


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealProvider]:
    redirect = f"{NODE}/sign-in/oidc/{{}}/callback"
    provider = start_provider(
        tmp_path_factory.mktemp("oidc"),
        clients=[
            {
                "client_id": "accord-test",
                "client_secret": "a-client-secret-for-tests",
                "redirect_uris": [redirect.format("inst")],
            },
            {
                "client_id": "accord-short",
                "client_secret": "a-client-secret-for-tests",
                "redirect_uris": [redirect.format("short")],
                "short_lived": True,
            },
        ],
        accounts={"alice": ALICE, "bob": BOB, "carol": CAROL},
    )
    yield provider
    provider.stop()


@pytest.fixture(scope="module")
def forged() -> Iterator[ForgedProvider]:
    provider = ForgedProvider()
    yield provider
    provider.stop()


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str, real: RealProvider, forged: ForgedProvider
) -> Settings:
    secret = tmp_path / "client-secret"
    secret.write_text("a-client-secret-for-tests\n")
    common: dict[str, Any] = {
        "issuer": real.url,
        "client_secret_file": secret,
        "scopes": ["openid", "email", "profile", "research"],
        "claims": RESEARCH,
        "roles": {COMMITTEE: Role.COMMITTEE},
    }
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        base_url=NODE,
        oidc_providers=[
            OidcProvider(id="inst", name="Example University", client_id="accord-test", **common),
            OidcProvider(id="short", name="Short", client_id="accord-short", **common),
            OidcProvider(id="forged", name="Forged", issuer=forged.url, client_id="accord-forged"),
            OidcProvider(id="down", name="Down", issuer="http://127.0.0.1:9", client_id="x"),
        ],
    )


@pytest.fixture(autouse=True)
def _real_time(clock: SettableClock) -> None:
    """The provider stamps tokens with the real time; the node's clock starts there."""
    clock.set(datetime.now(UTC).replace(microsecond=0))


def start(client: TestClient, provider: str = "inst") -> str:
    response = client.get(
        f"/sign-in/oidc/{provider}", params={"next": "/account"}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert "accord_signin" in response.cookies
    return response.headers["location"]


def callback_path(location: str) -> str:
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}" == NODE
    return f"{parts.path}?{parts.query}"


def sign_in(client: TestClient, real: RealProvider, login: str, provider: str = "inst") -> Any:
    back = real.log_in(start(client, provider), login, NODE)
    return client.get(callback_path(back), follow_redirects=False)


def assert_refused(response: Any, client: TestClient, words: str) -> None:
    assert response.status_code in (400, 401, 403, 409), response.text
    assert words in response.text
    assert "accord_session" not in response.cookies
    assert "accord_session" not in client.cookies
    assert client.get("/account", follow_redirects=False).status_code in (303, 401)


def users(node: NodeContext) -> int:
    with node.session() as s:
        return int(s.scalar(select(func.count()).select_from(User)) or 0)


def event_kinds(node: NodeContext) -> list[str]:
    with node.session() as s:
        return list(s.scalars(select(LedgerEntry.event_type).order_by(LedgerEntry.seq)))


# --- the real provider ---------------------------------------------------------------------


def test_first_sign_in_creates_the_user_with_claims_and_roles(
    client: TestClient, real: RealProvider, node: NodeContext
) -> None:
    response = sign_in(client, real, "alice")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/account"
    assert "accord_session" in response.cookies
    me = client.get("/api/v1/me").json()
    assert me["name"] == "Alice Achieng"
    assert me["email"] == "alice@uni.example"
    assert me["orcid"] == "0000-0002-1825-0097"
    assert me["country"] == "KE"
    assert sorted(r["role"] for r in me["roles"]) == ["committee", "researcher"]
    with node.session() as s:
        user = s.scalars(select(User)).one()
        assert user.organisation is not None
        assert user.organisation.ror_id == "05gq02987"
        assert user.organisation.name == "Example University"
        link = s.scalars(select(IdentityLink)).one()
        assert (link.issuer, link.subject, link.linked_by) == (real.url, "alice", "new-account")
    kinds = event_kinds(node)
    assert {"identity.user.created", "identity.link.created", "identity.role.granted"} <= set(kinds)


def test_second_sign_in_finds_the_same_user_and_logs_nothing(
    app: Any, real: RealProvider, node: NodeContext
) -> None:
    with TestClient(app, base_url=NODE) as first:
        assert sign_in(first, real, "bob").status_code == 303
    entries = len(event_kinds(node))
    with TestClient(app, base_url=NODE) as second:
        assert sign_in(second, real, "bob").status_code == 303
        assert second.get("/api/v1/me").json()["email"] == "bob@uni.example"
    assert users(node) == 1
    assert len(event_kinds(node)) == entries


def test_profile_changes_at_the_provider_follow_on_the_next_sign_in(
    app: Any, real: RealProvider, node: NodeContext, make_account: MakeAccount
) -> None:
    taken = make_account(Role.RESEARCHER).email
    real.set_claims("carol", CAROL)
    with TestClient(app, base_url=NODE) as first:
        assert sign_in(first, real, "carol").status_code == 303
    changed = {
        **CAROL,
        "name": "Carol Chebet-Otieno",
        "email": "carol.otieno@uni.example",
        "country": "UG",
        "ror": "https://ror.org/03dmz0111",
        "affiliation": "Makerere University",
        "eduperson_entitlement": [],
    }
    real.set_claims("carol", changed)
    with TestClient(app, base_url=NODE) as second:
        assert sign_in(second, real, "carol").status_code == 303
        me = second.get("/api/v1/me").json()
    assert (me["name"], me["email"], me["country"]) == (
        "Carol Chebet-Otieno",
        "carol.otieno@uni.example",
        "UG",
    )
    assert [r["role"] for r in me["roles"]] == ["researcher"]
    with node.session() as s:
        user = s.scalars(select(User).where(User.email == "carol.otieno@uni.example")).one()
        assert user.organisation is not None and user.organisation.ror_id == "03dmz0111"
        updated = s.scalars(
            select(LedgerEntry).where(LedgerEntry.event_type == "identity.user.updated")
        ).one()
        entry = json.loads(updated.entry)
    assert entry["public"]["fields"] == ["country", "email", "name", "organisation_id"]
    public = json.dumps(entry)
    for personal in ("Carol", "carol", "uni.example", "UG", "Makerere"):
        assert personal not in public

    # An unverified email, or one another account holds, is not copied; the rest still is.
    real.set_claims("carol", {**changed, "name": "C. Otieno", "email": taken})
    with TestClient(app, base_url=NODE) as third:
        assert sign_in(third, real, "carol").status_code == 303
        me = third.get("/api/v1/me").json()
    assert (me["name"], me["email"]) == ("C. Otieno", "carol.otieno@uni.example")
    unverified = {**changed, "email": "other@uni.example", "email_verified": False}
    real.set_claims("carol", unverified)
    entries = len(event_kinds(node))
    with TestClient(app, base_url=NODE) as fourth:
        assert sign_in(fourth, real, "carol").status_code == 303
        assert fourth.get("/api/v1/me").json()["email"] == "carol.otieno@uni.example"
    assert len(event_kinds(node)) == entries + 1  # the name went back; the email stayed


def test_wrong_state_is_refused_and_the_flow_is_spent(
    client: TestClient, real: RealProvider, node: NodeContext
) -> None:
    back = real.log_in(start(client), "alice", NODE)
    query = parse_qs(urlsplit(back).query)
    forged = f"/sign-in/oidc/inst/callback?code={query['code'][0]}&state=not-the-state"
    assert_refused(client.get(forged), client, "state mismatch")
    assert_refused(client.get(callback_path(back)), client, "no sign-in is under way")
    assert users(node) == 0


def test_replayed_code_is_refused(
    app: Any, client: TestClient, real: RealProvider, node: NodeContext
) -> None:
    back = real.log_in(start(client), "alice", NODE)
    assert client.get(callback_path(back), follow_redirects=False).status_code == 303
    with TestClient(app, base_url=NODE) as attacker:
        # the same answer again: its flow was spent
        assert_refused(attacker.get(callback_path(back)), attacker, "no sign-in is under way")
        # the old code under a fresh flow of the attacker's own: the provider refuses it
        fresh = parse_qs(urlsplit(start(attacker)).query)["state"][0]
        code = parse_qs(urlsplit(back).query)["code"][0]
        replay = f"/sign-in/oidc/inst/callback?code={code}&state={fresh}"
        assert_refused(attacker.get(replay), attacker, "refused the sign-in")
    assert users(node) == 1


def test_expired_id_token_is_refused(
    client: TestClient, real: RealProvider, node: NodeContext, clock: SettableClock
) -> None:
    back = real.log_in(start(client, "short"), "alice", NODE)
    clock.advance(timedelta(minutes=3))  # the ID token lived one second (+60 s leeway)
    assert_refused(client.get(callback_path(back)), client, "expired")
    assert users(node) == 0


def test_provider_error_is_shown_and_no_session(client: TestClient, node: NodeContext) -> None:
    state = parse_qs(urlsplit(start(client)).query)["state"][0]
    response = client.get(f"/sign-in/oidc/inst/callback?error=access_denied&state={state}")
    assert_refused(response, client, "access_denied")


def test_unknown_provider_and_missing_flow(client: TestClient) -> None:
    assert client.get("/sign-in/oidc/nobody").status_code == 404
    assert_refused(client.get("/sign-in/oidc/inst/callback?code=x&state=y"), client, "no sign-in")


# --- linking policy ------------------------------------------------------------------------


def test_existing_email_is_not_taken_over_by_an_untrusted_provider(
    client: TestClient, real: RealProvider, node: NodeContext, make_account: MakeAccount
) -> None:
    account = make_account(Role.RESEARCHER)
    with node.session() as s:
        s.get_one(User, account.id).email = "bob@uni.example"
        from accord import ledger

        ledger.append(s, ledger.Event("identity.user.updated", subjects={"user": account.id}))
        s.commit()
    assert_refused(sign_in(client, real, "bob"), client, "exists already")


def test_trusted_provider_links_on_verified_email(
    settings: Settings,
    client: TestClient,
    real: RealProvider,
    node: NodeContext,
    make_account: MakeAccount,
) -> None:
    settings.oidc_providers[0].link_on = ["email"]
    account = make_account(Role.STEWARD)
    with node.session() as s:
        s.get_one(User, account.id).email = "bob@uni.example"
        from accord import ledger

        ledger.append(s, ledger.Event("identity.user.updated", subjects={"user": account.id}))
        s.commit()
    assert sign_in(client, real, "bob").status_code == 303
    assert client.get("/api/v1/me").json()["id"] == account.id
    with node.session() as s:
        assert s.scalars(select(IdentityLink)).one().linked_by == "email"


def test_signed_in_user_links_a_provider_from_the_account_page(
    client: TestClient, real: RealProvider, node: NodeContext, make_account: MakeAccount
) -> None:
    account = make_account(Role.RESEARCHER)
    page = client.get("/sign-in")
    csrf = page.cookies["accord_presession"]
    client.post(
        "/sign-in",
        data={"email": account.email, "password": account.password, "csrf_token": csrf},
        follow_redirects=False,
    )
    session_csrf = _session_csrf(client)
    started = client.post(
        "/account/identities",
        data={"provider": "inst", "csrf_token": session_csrf},
        follow_redirects=False,
    )
    assert started.status_code == 303
    back = real.log_in(started.headers["location"], "alice", NODE)
    done = client.get(callback_path(back), follow_redirects=False)
    assert done.status_code == 303
    with node.session() as s:
        link = s.scalars(select(IdentityLink)).one()
        assert (link.user_id, link.linked_by) == (account.id, "signed-in")
    assert users(node) == 1
    assert "Example University" not in client.get("/account/totp").text.split("Link ")[-1]


def _session_csrf(client: TestClient) -> str:
    import re

    html = client.get("/account").text
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


# --- forged tokens -------------------------------------------------------------------------


def _claims(forged: ForgedProvider, expected: str, now: datetime, **changes: Any) -> dict[str, Any]:
    claims = {
        "iss": forged.url,
        "sub": "mallory",
        "aud": "accord-forged",
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + 300,
        "nonce": expected,
        "email": "mallory@example.org",
        "email_verified": True,
        "name": "Mallory",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _tampered(token: str) -> str:
    import base64
    import json

    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["email"] = "admin@example.org"
    raw = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{raw}.{signature}"


FORGERIES = [
    ("wrong nonce", lambda f, n, t: f.sign(_claims(f, "another-nonce", t)), "nonce"),
    ("tampered payload", lambda f, n, t: _tampered(f.sign(_claims(f, n, t))), "signature"),
    (
        "foreign key",
        lambda f, n, t: f.sign(
            _claims(f, n, t), RSAKey.generate_key(2048, parameters={"kid": "k1"})
        ),
        "signature",
    ),
    ("wrong audience", lambda f, n, t: f.sign(_claims(f, n, t, aud="someone-else")), "aud"),
    ("wrong issuer", lambda f, n, t: f.sign(_claims(f, n, t, iss="https://evil.example")), "iss"),
    (
        "expired",
        lambda f, n, t: f.sign(
            _claims(f, n, t, iat=int(t.timestamp()) - 900, exp=int(t.timestamp()) - 300)
        ),
        "expired",
    ),
    (
        "issued in the future",
        lambda f, n, t: f.sign(
            _claims(f, n, t, iat=int(t.timestamp()) + 900, exp=int(t.timestamp()) + 1200)
        ),
        "future",
    ),
    ("no nonce", lambda f, n, t: f.sign(_claims(f, n, t, nonce=None)), "nonce"),
]


@pytest.mark.parametrize(("case", "make", "words"), FORGERIES, ids=[f[0] for f in FORGERIES])
def test_forged_id_token_is_refused(
    case: str,
    make: Any,
    words: str,
    client: TestClient,
    forged: ForgedProvider,
    node: NodeContext,
    clock: SettableClock,
) -> None:
    query = parse_qs(urlsplit(start(client, "forged")).query)
    nonce, state_value = query["nonce"][0], query["state"][0]
    forged.id_token = make(forged, nonce, clock.now())
    response = client.get(f"/sign-in/oidc/forged/callback?code=c&state={state_value}")
    assert_refused(response, client, words)
    assert users(node) == 0


def test_genuine_forged_provider_token_is_accepted(
    client: TestClient, forged: ForgedProvider, node: NodeContext, clock: SettableClock
) -> None:
    """The control case: the same provider, a well-formed token, a session."""
    query = parse_qs(urlsplit(start(client, "forged")).query)
    forged.id_token = forged.sign(_claims(forged, query["nonce"][0], clock.now()))
    response = client.get(
        f"/sign-in/oidc/forged/callback?code=c&state={query['state'][0]}", follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert "accord_session" in response.cookies
    assert users(node) == 1


def test_password_sign_in_can_be_switched_off(
    settings: Settings, client: TestClient, make_account: MakeAccount
) -> None:
    account = make_account(Role.RESEARCHER)
    settings.password_sign_in = False
    page = client.get("/sign-in")
    assert "Sign in with Example University" in page.text
    assert 'name="password"' not in page.text
    assert "form-action 'self' http://127.0.0.1:" in page.headers["content-security-policy"]
    response = client.post(
        "/sign-in",
        data={
            "email": account.email,
            "password": account.password,
            "csrf_token": page.cookies["accord_presession"],
        },
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/identity.password-sign-in-off"
    assert "accord_session" not in client.cookies


def test_idp_sign_in_still_needs_the_second_step_for_required_roles(
    settings: Settings, client: TestClient, real: RealProvider, node: NodeContext
) -> None:
    settings.totp_required_roles = [Role.COMMITTEE]
    response = sign_in(client, real, "alice")  # her entitlement maps to committee
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in/second-step"
    assert "accord_session" not in client.cookies
    assert "Set up two-step sign-in" in client.get("/sign-in/second-step").text
    assert client.get("/api/v1/me").status_code == 401


def test_unreachable_provider_is_a_clear_error(client: TestClient) -> None:
    response = client.get("/sign-in/oidc/down", follow_redirects=False)
    assert response.status_code == 503
    assert "Down cannot be reached" in response.text
    assert "accord_signin" not in response.cookies


def test_sign_in_starts_are_limited_per_address(settings: Settings, client: TestClient) -> None:
    settings.signin_per_address = 2
    start(client)
    start(client)
    response = client.get("/sign-in/oidc/inst", follow_redirects=False)
    assert response.status_code == 429
    assert "too many sign-in attempts" in response.text
