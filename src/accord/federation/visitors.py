"""Requests forwarded by peers: the node holding a dataset receives a peer's researcher's access
request with their passport, and its own engine and committee decide it.

The researcher is known here through a visiting account (``Visitor``): an ordinary user of this
node that cannot sign in, named by its home node and its id there, whose country, organisation
and accreditations are what the passport vouches for and this node recognises. The request,
the decision and the grant are the access domain's own, on this node; the home node reads the
status back (``status``) and fetches the files a download grant opens (``open_file``), always
with calls signed by the home node.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import ledger
from accord.access import grants, requests
from accord.access.models import AccessRequest, Grant
from accord.access.schemas import RequestCreate
from accord.catalog import service as catalog
from accord.catalog.access import require_download
from accord.catalog.models import DatasetFile
from accord.errors import NotFound
from accord.federation.calls import Caller
from accord.federation.models import Visitor
from accord.federation.passports import Refused, Vouched, accept_passport
from accord.i18n.translate import _l
from accord.identity import schemas as identity_schemas
from accord.identity import service as identity
from accord.identity.models import Organisation, User
from accord.identity.permissions import Role
from accord.identity.principal import Principal, local_operator
from accord.ids import new_id
from accord.node import node_of


@dataclass(frozen=True)
class Received:
    request: AccessRequest
    refused: list[Refused]


def receive_request(session: Session, caller: Caller, token: str, data: RequestCreate) -> Received:
    """Check the passport, bring the visiting account up to date, and submit the request as it
    (the engine decides now: grant, deny, or refer to the committee). The caller commits."""
    vouched = accept_passport(session, caller, token)
    user = visiting_account(session, vouched)
    request = requests.submit(session, _principal(user), data)
    ledger.append(
        session,
        ledger.Event(
            "federation.access-request.received",
            subjects={"requester": user.id},
            public={
                "peer": caller.peer_id,
                "request": request.id,
                "dataset": request.dataset_id,
                "visas_accepted": vouched.accepted_kinds,
                "visas_refused": sorted({f"{r.type}:{r.reason}" for r in vouched.refused}),
            },
        ),
    )
    return Received(request, vouched.refused)


def visiting_account(session: Session, vouched: Vouched) -> User:
    """The local account of a peer's researcher, created on their first request; its
    accreditations from its home node are those this passport vouches for (with their expiry)."""
    visitor = session.scalars(
        select(Visitor).where(
            Visitor.peer_id == vouched.peer_id, Visitor.subject == vouched.subject
        )
    ).first()
    operator = local_operator()
    if visitor is None:
        user = _create_account(session, operator, vouched)
        now = node_of(session).clock.now()
        session.add(
            Visitor(
                user_id=user.id, peer_id=vouched.peer_id, subject=vouched.subject, created_at=now
            )
        )
    else:
        user = identity.get_user(session, visitor.user_id)
    _sync_accreditations(session, operator, user, vouched)
    return user


def status(session: Session, caller: Caller, request_id: str) -> dict[str, Any]:
    """What the home node shows its researcher: state, reasons, and the grant with its files."""
    request, user = _forwarded(session, caller, request_id)
    answer: dict[str, Any] = {
        "id": request.id,
        "state": request.state,
        "mode": request.mode,
        "reasons": request.decision_reasons,
        "dataset_id": request.dataset_id,
        "version": request.version_number,
        "grant": None,
    }
    grant = session.get(Grant, request.grant_id) if request.grant_id else None
    if grant is not None:
        version = catalog.get_version(
            session, grant.dataset_id, grant.version_number, _principal(user)
        )
        answer["grant"] = {
            "id": grant.id,
            "mode": grant.mode,
            "state": grants.current_state(session, grant),
            "expires_at": grant.expires_at.isoformat(),
            "files": [_file(f) for f in version.files] if grant.mode == "download" else [],
        }
    return answer


def open_file(session: Session, caller: Caller, request_id: str, file_id: str) -> DatasetFile:
    """The file the forwarded request's grant lets its researcher download, logged as served;
    the catalog's download rules decide (a sandbox-only grant opens nothing). Caller commits."""
    request, user = _forwarded(session, caller, request_id)
    principal = _principal(user)
    version = catalog.get_version(session, request.dataset_id, request.version_number, principal)
    found = catalog.get_file(session, version, file_id)
    decision = require_download(session, principal, version)
    ledger.append(
        session,
        ledger.Event(
            "federation.download.served",
            subjects={"holder": user.id},
            public={
                "peer": caller.peer_id,
                "request": request.id,
                "dataset": request.dataset_id,
                "version": request.version_number,
                "file": found.id,
                "clause": decision.reasons[0].clause,
            },
        ),
    )
    return found


def _forwarded(session: Session, caller: Caller, request_id: str) -> tuple[AccessRequest, User]:
    """A request that ``caller`` forwarded for one of its researchers; NotFound otherwise."""
    request = session.get(AccessRequest, request_id) if len(request_id) <= 40 else None
    visitor = session.get(Visitor, request.requester_id) if request is not None else None
    if request is None or visitor is None or visitor.peer_id != caller.peer_id:
        raise NotFound(
            _l(
                "no request %(request_id)r from %(caller)s",
                request_id=request_id[:60],
                caller=caller.node_id,
            ),
            code="federation.request-not-found",
        )
    return request, identity.get_user(session, visitor.user_id)


def _create_account(session: Session, operator: Principal, vouched: Vouched) -> User:
    node_id = vouched.peer_id.replace("_", "-").lower()
    user, _ = identity.create_user(
        session,
        operator,
        identity_schemas.UserCreate(
            name=vouched.name,
            email=f"{new_id('vis').lower().replace('_', '-')}@{node_id}.visitors.accord.example",
            country=vouched.country,
            organisation_id=_organisation(session, operator, vouched),
            roles=[Role.RESEARCHER],
        ),
    )
    return user


def _organisation(session: Session, operator: Principal, vouched: Vouched) -> str | None:
    if vouched.organisation_ror is None:
        return None
    found = session.scalar(
        select(Organisation.id).where(Organisation.ror_id == vouched.organisation_ror)
    )
    if found is not None:
        return str(found)
    try:
        data = identity_schemas.OrganisationCreate(
            name=vouched.organisation_name or f"ROR {vouched.organisation_ror}",
            ror_id=vouched.organisation_ror,
            country=vouched.country,
        )
    except ValidationError:
        return None
    return identity.create_organisation(session, operator, data).id


def _sync_accreditations(
    session: Session, operator: Principal, user: User, vouched: Vouched
) -> None:
    """The accreditations of the visiting account that come from its home node are exactly
    those this passport vouches for and this node recognises: others are withdrawn."""
    today = node_of(session).clock.now().date()
    wanted = {
        (kind, (expires - timedelta(seconds=1)).date()) for kind, expires in vouched.accreditations
    }
    wanted = {(kind, until) for kind, until in wanted if until > today}
    for held in identity.accreditations_of(session, user.id):
        if held.issuer != vouched.peer_id:
            continue
        if (held.kind, held.expires_on) in wanted:
            wanted.discard((held.kind, held.expires_on))
        else:
            identity.withdraw_accreditation(
                session, operator, held.id, "no longer vouched for by the home node"
            )
    for kind, until in sorted(wanted):
        identity.add_accreditation(
            session,
            operator,
            user.id,
            identity_schemas.AccreditationCreate(
                kind=kind, issuer=vouched.peer_id, issued_on=today, expires_on=until
            ),
        )


def _principal(user: User) -> Principal:
    return identity.principal_for(user, via="token")


def _file(found: DatasetFile) -> dict[str, Any]:
    return {
        "id": found.id,
        "path": found.path,
        "size": found.size,
        "sha256": found.sha256,
        "media_type": found.media_type,
    }
