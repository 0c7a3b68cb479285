"""Researchers across nodes: the home node vouches for its researchers with GA4GH Passports,
and a peer accepts the visas in them only from active peers and only of the kinds its
mutual-recognition settings list.

A passport carries one visa per fact the home node asserts about the researcher: the
affiliation (``AffiliationAndRole``, ``member@<ROR id>``), the country (``Country``, ISO 3166-1
alpha-2) and each current accreditation (``ResearcherStatus``, the accreditation's kind). All
are JWTs signed with the node key (``accord.access.passport``). The receiving node keeps, per
peer, the kinds it recognises: ``affiliation``, ``country``, ``accreditation:<kind>``. A
passport must come from the peer that forwards it (a node vouches only for its own researchers)
and carry a recognised country; other visas it does not recognise are refused one by one.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import ledger
from accord.access import passport
from accord.errors import Forbidden, InvalidInput, NotFound, VerificationFailed
from accord.federation import peers
from accord.federation.calls import Caller
from accord.federation.models import Peer, Recognition
from accord.i18n.translate import N_, _l
from accord.identity import service as identity
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.node import NodeContext, node_of

PASSPORT_LIFETIME = timedelta(hours=1)
ACCREDITATION_WITHOUT_EXPIRY = timedelta(days=365)
AFFILIATION, COUNTRY, ACCREDITATION = "affiliation", "country", "accreditation:"
_KIND = re.compile(r"^(affiliation|country|accreditation:[a-z0-9][a-z0-9._-]{0,99})$")


@dataclass(frozen=True)
class Refused:
    """A visa this node did not accept, and why (``not-recognised``, ``bad-signature``...)."""

    type: str
    value: str
    reason: str


@dataclass(frozen=True)
class Vouched:
    """What a peer vouches for about one of its researchers, as far as this node recognises it."""

    peer_id: str
    subject: str
    name: str
    country: str
    organisation_ror: str | None
    organisation_name: str | None
    accreditations: list[tuple[str, datetime]] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)

    @property
    def accepted_kinds(self) -> list[str]:
        kinds = [COUNTRY] + ([AFFILIATION] if self.organisation_ror else [])
        return kinds + [f"{ACCREDITATION}{kind}" for kind, _ in self.accreditations]


# --- the home node: passports for its researchers ---------------------------------------------


def passport_for(session: Session, user_id: str) -> str:
    """A fresh passport for one of this node's researchers, with the visas the node vouches for."""
    node = node_of(session)
    now = node.clock.now()
    expires = now + PASSPORT_LIFETIME
    user = identity.get_user(session, user_id)
    visas = [_visa(node, user.id, passport.COUNTRY, user.country, now, expires)]
    organisation = user.organisation
    if organisation is not None and organisation.ror_id:
        member = f"member@{organisation.ror_id}"
        visas.append(_visa(node, user.id, passport.AFFILIATION, member, now, expires))
    for accreditation in identity.accreditations_of(session, user.id):
        until = (
            datetime.combine(accreditation.expires_on + timedelta(days=1), time(0), tzinfo=UTC)
            if accreditation.expires_on
            else now + ACCREDITATION_WITHOUT_EXPIRY
        )
        if until > now:
            visas.append(
                _visa(node, user.id, passport.RESEARCHER_STATUS, accreditation.kind, now, until)
            )
    profile = {"name": user.name}
    if organisation is not None:
        profile["organisation_name"] = organisation.name
    return passport.issue_passport(node, user.id, visas, now=now, expires=expires, profile=profile)


def _visa(
    node: NodeContext, subject: str, type_: str, value: str, now: datetime, expires: datetime
) -> str:
    return passport.researcher_visa(
        node, subject, type=type_, value=value, asserted=now, expires=expires, now=now
    )


# --- mutual recognition ------------------------------------------------------------------------


def recognise(session: Session, actor: Principal, peer_id: str, kind: str) -> Recognition:
    """Accept visas of ``kind`` from ``peer_id`` from now on (logged)."""
    _require(actor)
    peer = peers.get_peer(session, peer_id)
    kind = _valid_kind(kind)
    row = session.get(Recognition, (peer.id, kind))
    if row is not None:
        return row
    row = Recognition(
        peer_id=peer.id, kind=kind, added_by=actor.user_id, added_at=node_of(session).clock.now()
    )
    session.add(row)
    ledger.append(
        session,
        ledger.Event(
            "federation.recognition.added",
            subjects={"actor": actor.user_id},
            public={"peer": peer.id, "node": peer.node_id, "kind": kind},
        ),
    )
    return row


def withdraw_recognition(session: Session, actor: Principal, peer_id: str, kind: str) -> None:
    _require(actor)
    peer = peers.get_peer(session, peer_id)
    row = session.get(Recognition, (peer.id, kind))
    if row is None:
        raise NotFound(
            _l(
                "%(peer)s's %(kind)r visas are not recognised here",
                peer=peer.node_id,
                kind=kind,
            ),
            code="federation.recognition-not-found",
        )
    session.delete(row)
    ledger.append(
        session,
        ledger.Event(
            "federation.recognition.withdrawn",
            subjects={"actor": actor.user_id},
            public={"peer": peer.id, "node": peer.node_id, "kind": kind},
        ),
    )


def recognitions(session: Session, peer_id: str | None = None) -> Sequence[Recognition]:
    query = select(Recognition).order_by(Recognition.peer_id, Recognition.kind)
    if peer_id is not None:
        query = query.where(Recognition.peer_id == peers.get_peer(session, peer_id).id)
    return session.scalars(query).all()


def _valid_kind(kind: str) -> str:
    kind = kind.strip()
    if not _KIND.match(kind):
        raise InvalidInput(
            _l("%(kind)r is not a kind of visa this node can recognise", kind=kind[:120]),
            code="federation.bad-recognition",
            hint=N_(
                "use affiliation, country, or accreditation:<kind> (e.g. "
                "accreditation:accredited-researcher)"
            ),
        )
    return kind


def _require(actor: Principal) -> None:
    if not actor.can(Permission.FEDERATION_PEER_MANAGE):
        raise Forbidden(
            _l(
                "this needs the permission %(permission)s",
                permission=Permission.FEDERATION_PEER_MANAGE.value,
            ),
            code="forbidden",
        )


# --- the receiving node: checking a peer's passport --------------------------------------------


def accept_passport(session: Session, caller: Caller, token: str) -> Vouched:
    """What ``caller`` vouches for in ``token``: raises unless the passport is the caller's own,
    signed with its key, current, and carries a country visa this node recognises from it."""
    issuer = _unverified_issuer(token)
    peer = session.scalars(select(Peer).where(Peer.base_url == issuer)).first()
    if peer is None or peer.state != "active":
        raise Forbidden(
            _l(
                "the passport was issued by %(issuer)s, which is not an active peer of this node",
                issuer=issuer[:200],
            ),
            code="federation.passport-untrusted",
        )
    if peer.id != caller.peer_id:
        raise Forbidden(
            _l(
                "%(caller)s forwarded a passport issued by %(peer)s: a "
                "node vouches only for its own researchers",
                caller=caller.node_id,
                peer=peer.node_id,
            ),
            code="federation.passport-untrusted",
        )
    now = node_of(session).clock.now()
    key = peers.public_key_of(peer)
    claims = passport.read_token(token, key, now)
    kinds = {r.kind for r in recognitions(session, peer.id)}
    return _vouched(peer, claims, kinds, key, now)


def _vouched(
    peer: Peer, claims: dict[str, Any], kinds: set[str], key: Any, now: datetime
) -> Vouched:
    subject = str(claims["sub"])
    country, ror = None, None
    accreditations: list[tuple[str, datetime]] = []
    refused: list[Refused] = []
    tokens = claims.get("ga4gh_passport_v1")
    for visa_token in tokens if isinstance(tokens, list) else []:
        try:
            visa = passport.visa_of(passport.read_token(str(visa_token), key, now))
        except VerificationFailed:
            refused.append(Refused("unknown", "", "bad-signature"))
            continue
        kind = _kind_of(visa)
        if visa.subject != subject or visa.source != peer.base_url:
            refused.append(Refused(visa.type, visa.value, "not-about-this-researcher"))
        elif kind is None or kind not in kinds:
            refused.append(Refused(visa.type, visa.value, "not-recognised"))
        elif kind == COUNTRY:
            country = visa.value.upper()
        elif kind == AFFILIATION:
            ror = visa.value.partition("@")[2] or None
        else:
            accreditations.append((visa.value, datetime.fromtimestamp(visa.expires, UTC)))
    if country is None or not re.fullmatch(r"[A-Z]{2}", country):
        raise Forbidden(
            _l(
                "the passport carries no country visa this node recognises from %(peer)s",
                peer=peer.node_id,
            ),
            code="federation.passport-not-recognised",
            hint=N_(
                "the node's admin lists the kinds of visas it accepts from each peer: "
                "`accord peer recognise <peer> country`"
            ),
            extra={"refused": [r.__dict__ for r in refused]},
        )
    return Vouched(
        peer_id=peer.id,
        subject=subject,
        name=str(claims.get("name") or subject)[:300],
        country=country,
        organisation_ror=ror,
        organisation_name=str(claims["organisation_name"])[:300]
        if ror and claims.get("organisation_name")
        else None,
        accreditations=accreditations,
        refused=refused,
    )


def _kind_of(visa: passport.Visa) -> str | None:
    if visa.type == passport.COUNTRY:
        return COUNTRY
    if visa.type == passport.AFFILIATION:
        return AFFILIATION
    if visa.type == passport.RESEARCHER_STATUS:
        return f"{ACCREDITATION}{visa.value}"
    return None


def _unverified_issuer(token: str) -> str:
    """The ``iss`` a JWT claims, read before its signature is checked (to pick the key)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return str(claims["iss"]).rstrip("/")
    except (IndexError, KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise VerificationFailed(
            N_("the passport is not a JWT"), code="federation.passport-invalid"
        ) from exc
