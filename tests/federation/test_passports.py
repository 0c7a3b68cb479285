"""Passports across nodes, in one process: a home node vouches for its researcher, and this
node accepts what it recognises from that peer, refusing the rest (0801). The home node shares
the test database but signs with its own key, as another node would."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from accord import ledger
from accord.access import passport
from accord.clock import SettableClock
from accord.config import Settings
from accord.errors import Forbidden, VerificationFailed
from accord.federation.calls import Caller
from accord.federation.models import Peer, Recognition
from accord.federation.passports import Vouched, accept_passport, passport_for
from accord.identity import schemas, service
from accord.identity.principal import local_operator
from accord.keys import ensure_keys, fingerprint
from accord.node import NodeContext, NodeIdentity

HOME_URL = "http://home.example"


@pytest.fixture
def home(settings: Settings, clock: SettableClock, tmp_path: Path) -> Iterator[NodeContext]:
    home_settings = Settings(data_dir=tmp_path / "home", database_url=settings.database_url)
    ensure_keys(home_settings.keys_dir)
    context = NodeContext(
        home_settings, NodeIdentity("home", "Home node", "KE", HOME_URL), clock=clock
    )
    yield context
    context.engine.dispose()


@pytest.fixture
def subject(home: NodeContext) -> str:
    """A researcher of the home node, at a ROR organisation, with two accreditations."""
    operator = local_operator()
    with home.session() as session:
        org = service.create_organisation(
            session,
            operator,
            schemas.OrganisationCreate(name="KEMRI", ror_id="04r1cxt79", country="KE"),
        )
        user, _ = service.create_user(
            session,
            operator,
            schemas.UserCreate(
                name="Wanjiru Kamau",
                email="wanjiru@example.org",
                country="KE",
                organisation_id=org.id,
                password="a-long-researcher-password",
            ),
        )
        for kind in ("accredited-researcher", "safe-researcher"):
            service.add_accreditation(
                session,
                operator,
                user.id,
                schemas.AccreditationCreate(
                    kind=kind, issuer="Council", issued_on=date(2026, 1, 1)
                ),
            )
        session.commit()
        return user.id


def as_peer(node: NodeContext, home: NodeContext, kinds: tuple[str, ...], **state: bool) -> Caller:
    """Make ``home`` a peer of ``node`` recognising ``kinds``; the caller it signs as."""
    key = home.signing_key.public_key()
    with node.session() as session:
        session.add(
            Peer(
                id="peer_home",
                node_id="home",
                name="Home node",
                jurisdiction="KE",
                base_url=HOME_URL,
                public_key=base64.b64encode(key.public_bytes_raw()).decode(),
                fingerprint=fingerprint(key),
                log_origin="home.example/log",
                log_key="home.example/log+00000000+AAAA",
                confirmed=state.get("confirmed", True),
                suspended=state.get("suspended", False),
                added_by="operator",
                added_at=node.clock.now(),
            )
        )
        session.flush()
        for kind in kinds:
            session.add(
                Recognition(
                    peer_id="peer_home", kind=kind, added_by="op", added_at=node.clock.now()
                )
            )
        ledger.append(session, ledger.Event("federation.peer.added", public={"peer": "home"}))
        session.commit()
    return Caller("peer_home", "home", "KE", HOME_URL, "", "active")


def accept(node: NodeContext, caller: Caller, token: str) -> Vouched:
    with node.session(readonly=True) as session:
        return accept_passport(session, caller, token)


def issued(home: NodeContext, subject: str) -> str:
    with home.session(readonly=True) as session:
        return passport_for(session, subject)


def test_the_passport_carries_affiliation_country_and_accreditations(
    home: NodeContext, subject: str
) -> None:
    claims = passport.read_token(
        issued(home, subject), home.signing_key.public_key(), home.clock.now()
    )
    assert claims["iss"] == HOME_URL and claims["sub"] == subject
    assert claims["name"] == "Wanjiru Kamau" and claims["organisation_name"] == "KEMRI"
    visas = [
        passport.visa_of(passport.read_token(v, home.signing_key.public_key(), home.clock.now()))
        for v in claims["ga4gh_passport_v1"]
    ]
    assert {(v.type, v.value) for v in visas} == {
        ("Country", "KE"),
        ("AffiliationAndRole", "member@04r1cxt79"),
        ("ResearcherStatus", "accredited-researcher"),
        ("ResearcherStatus", "safe-researcher"),
    }
    assert all(v.source == HOME_URL and v.subject == subject for v in visas)


@pytest.mark.parametrize(
    ("kinds", "accepted", "refused"),
    [
        (
            ("country", "affiliation", "accreditation:accredited-researcher"),
            ["country", "affiliation", "accreditation:accredited-researcher"],
            {("ResearcherStatus", "safe-researcher")},
        ),
        (
            ("country",),
            ["country"],
            {
                ("AffiliationAndRole", "member@04r1cxt79"),
                ("ResearcherStatus", "accredited-researcher"),
                ("ResearcherStatus", "safe-researcher"),
            },
        ),
    ],
)
def test_only_the_recognised_kinds_are_accepted(
    node: NodeContext,
    home: NodeContext,
    subject: str,
    kinds: tuple[str, ...],
    accepted: list[str],
    refused: set[tuple[str, str]],
) -> None:
    caller = as_peer(node, home, kinds)
    vouched = accept(node, caller, issued(home, subject))
    assert (vouched.subject, vouched.country, vouched.name) == (subject, "KE", "Wanjiru Kamau")
    assert vouched.accepted_kinds == accepted
    assert {(r.type, r.value) for r in vouched.refused} == refused
    assert {r.reason for r in vouched.refused} == {"not-recognised"}


def test_refusals(node: NodeContext, home: NodeContext, subject: str, clock: SettableClock) -> None:
    token = issued(home, subject)
    with pytest.raises(Forbidden) as unknown:
        accept(node, Caller("peer_x", "x", "KE", "http://x", "", "active"), token)
    assert unknown.value.code == "federation.passport-untrusted"

    caller = as_peer(node, home, ("affiliation",))
    with pytest.raises(Forbidden) as no_country:
        accept(node, caller, token)
    assert no_country.value.code == "federation.passport-not-recognised"

    other = Caller("peer_other", "other", "BR", "http://other", "", "active")
    with pytest.raises(Forbidden) as forwarded:
        accept(node, other, token)
    assert forwarded.value.code == "federation.passport-untrusted"

    head, body, signature = token.split(".")
    with pytest.raises(VerificationFailed):
        accept(node, caller, f"{head}.{body}.{signature[::-1]}")

    clock.advance(timedelta(hours=2))
    with pytest.raises(VerificationFailed) as stale:
        accept(node, caller, token)
    assert stale.value.code == "access.passport-invalid"


def test_a_suspended_peer_vouches_for_no_one(
    node: NodeContext, home: NodeContext, subject: str
) -> None:
    caller = as_peer(node, home, ("country",), suspended=True)
    with pytest.raises(Forbidden) as suspended:
        accept(node, caller, issued(home, subject))
    assert suspended.value.code == "federation.passport-untrusted"
