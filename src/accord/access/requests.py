"""Access requests: submission and the engine's evaluation, reading, withdrawal.

On submission the agreements engine decides at once (DESIGN.md, the spine):
``permit`` → the grant is made (auto-grant); ``deny`` → refused with reasons the requester sees
and may appeal; ``refer`` → the data access committee decides before a deadline set by the
agreement. Every step is logged in the transaction that makes it (DESIGN.md rule 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, lazyload

from accord import ledger
from accord.access import authority, outcomes, schemas
from accord.access.evaluation import Asked, decide
from accord.access.governing import Governing, governing_agreement
from accord.access.models import (
    PENDING_STATES,
    AccessRequest,
    RequestKind,
    RequestState,
)
from accord.agreements.decision import Decision, Mode, Outcome
from accord.agreements.durations import Duration
from accord.catalog import service as catalog
from accord.catalog.models import Dataset, DatasetVersion, VersionState
from accord.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from accord.i18n.translate import N_, _l
from accord.identity import service as identity
from accord.identity.models import User
from accord.identity.permissions import Permission
from accord.identity.principal import OPERATOR_ID, Principal
from accord.ids import new_id
from accord.labels import label
from accord.node import node_of
from accord.paging import fetch_page

REQUESTABLE_TIERS = frozenset({"controlled", "restricted"})


def submit(session: Session, actor: Principal, data: schemas.RequestCreate) -> AccessRequest:
    """Submit a request; the engine decides now: grant, deny with reasons, or refer."""
    if not data.accept_duties:
        raise InvalidInput(
            N_("accept the duties of the dataset's agreement to submit a request"),
            code="access.duties-not-accepted",
            errors=[FieldError("accept_duties", N_("must be true"))],
        )
    user = requester(session, actor)
    version = requestable_version(session, actor, data.dataset_id, data.version)
    governing = governing_agreement(session, version)
    asked = asked_of(data, data.project_title)
    decision = decide(session, user, governing, asked)
    request = _new_request(session, user, version, governing, data, decision)
    log_submitted(session, actor, request, decision)
    outcomes.settle(session, request, decision, actor.user_id)
    return request


def preview(
    session: Session, actor: Principal, data: schemas.PreviewIn
) -> tuple[Governing, Decision]:
    """What the engine would decide on this purpose now (the form's live feedback); no change."""
    user = requester(session, actor)
    version = requestable_version(session, actor, data.dataset_id, data.version)
    governing = governing_agreement(session, version)
    return governing, decide(session, user, governing, asked_of(data, None))


def asked_of(data: schemas.Purpose, project: str | None) -> Asked:
    mode = getattr(data, "mode", "download")
    return Asked(
        purpose_codes=tuple(data.purpose),
        disease_codes=tuple(data.diseases),
        commercial=data.commercial,
        ethics_approval=data.ethics_approval,
        project=project,
        mode=Mode(mode),
        duration=Duration.parse(getattr(data, "duration", "P1Y")),
    )


def requester(session: Session, actor: Principal) -> User:
    if actor.user_id == OPERATOR_ID:
        raise Forbidden(
            N_("the node operator is not a person and cannot request access"),
            code="access.requester-not-a-user",
            hint=N_("submit as a researcher: `accord --url … --token … request submit`"),
        )
    user = session.get(User, actor.user_id, options=[lazyload(User.roles)])
    return user if user is not None else identity.get_user(session, actor.user_id)


def requestable_version(
    session: Session, actor: Principal, dataset_id: str, number: int | None
) -> DatasetVersion:
    """The published version asked for (the newest when ``number`` is None), of a tier that
    needs a request. One indexed read; the catalog's service explains what is not found."""
    version = _published_version(session, dataset_id, number)
    if version is None:
        version = catalog.get_version(session, dataset_id, number, actor)
    if version.state != VersionState.PUBLISHED:
        raise Conflict(
            _l(
                "%(version)s is %(state)s: only published versions can be requested",
                version=f"{dataset_id}@v{version.number}",
                state=label("version-state", version.state),
            ),
            code="access.version-not-published",
        )
    if version.tier not in REQUESTABLE_TIERS:
        raise Conflict(
            _l(
                "%(version)s is %(tier)s data: no request is needed",
                version=f"{dataset_id}@v{version.number}",
                tier=label("tier", version.tier),
            ),
            code="access.no-request-needed",
            hint=N_("download it directly (registered data: accept the terms of use first)"),
        )
    return version


def _published_version(
    session: Session, dataset_id: str, number: int | None
) -> DatasetVersion | None:
    query = (
        select(DatasetVersion)
        .options(
            lazyload(DatasetVersion.files),
            joinedload(DatasetVersion.dataset).lazyload(Dataset.versions),
        )
        .where(
            DatasetVersion.dataset_id == dataset_id[:40],
            DatasetVersion.state == VersionState.PUBLISHED,
        )
    )
    if number is not None:
        query = query.where(DatasetVersion.number == number)
    return session.scalars(query.order_by(DatasetVersion.number.desc()).limit(1)).first()


def _new_request(
    session: Session,
    user: User,
    version: DatasetVersion,
    governing: Governing,
    data: schemas.RequestCreate,
    decision: Decision,
) -> AccessRequest:
    now = node_of(session).clock.now()
    request = AccessRequest(
        id=new_id("req"),
        kind=RequestKind.ACCESS,
        renews_grant_id=None,
        requester_id=user.id,
        requester_organisation_id=user.organisation_id,
        requester_country=user.country,
        dataset_id=version.dataset_id,
        dataset_organisation_id=version.dataset.organisation_id,
        version_id=version.id,
        version_number=version.number,
        tier=version.tier,
        purpose_codes=list(data.purpose),
        disease_codes=list(data.diseases),
        commercial=data.commercial,
        ethics_approval=data.ethics_approval,
        ethics_reference=data.ethics_reference,
        project_title=data.project_title,
        lay_summary=data.lay_summary,
        institution=data.institution,
        collaborators=[c.model_dump(mode="json", exclude_none=True) for c in data.collaborators],
        mode=data.mode,
        duration=data.duration,
        duties_accepted=True,
        created_at=now,
        updated_at=now,
        messages=[],  # known empty: the answer reads them without another query
        votes=[],
    )
    record_decision(request, governing, decision)
    session.add(request)
    return request


def record_decision(request: AccessRequest, governing: Governing, decision: Decision) -> None:
    """Keep the agreement and the engine's decision on the request (shown beside it)."""
    request.agreement_ref = governing.ref
    request.agreement_terms = governing.terms
    request.committee_name = governing.committee_name
    request.engine_outcome = decision.outcome.value
    request.engine_mode = decision.mode.value
    request.engine_reasons = [r.as_json() for r in decision.reasons]
    request.engine_obligations = [o.as_json() for o in decision.obligations]
    request.conditions = []
    request.state = RequestState.REFERRED
    refer_deadline = governing.deadline.after(request.created_at)
    request.deadline_at = refer_deadline if decision.outcome is Outcome.REFER else None


def log_submitted(
    session: Session, actor: Principal, request: AccessRequest, decision: Decision
) -> None:
    ledger.append(
        session,
        ledger.Event(
            "access.request.submitted",
            subjects={"actor": actor.user_id},
            public={
                "request": request.id,
                "kind": request.kind,
                "dataset": request.dataset_id,
                "version": request.version_number,
                "tier": request.tier,
                "mode": request.mode,
                "duration": request.duration,
                "purpose": request.purpose_codes,
                "commercial": request.commercial,
                "agreement": request.agreement_ref,
                "engine": decision.outcome.value,
            },
            record={
                "project_title": request.project_title,
                "lay_summary": request.lay_summary,
                "institution": request.institution,
                "collaborators": request.collaborators,
                "diseases": request.disease_codes,
                "ethics_reference": request.ethics_reference,
            },
        ),
    )


# --- reading -----------------------------------------------------------------------------------


def get_request(session: Session, viewer: Principal, request_id: str) -> AccessRequest:
    """A request its requester, its committee or the review body may see; else NotFound."""
    request = session.get(AccessRequest, request_id) if len(request_id) <= 40 else None
    if request is None or not may_see(viewer, request):
        raise NotFound(
            _l("no request %(request)r", request=request_id[:60]), code="access.request-not-found"
        )
    return request


def may_see(viewer: Principal, request: AccessRequest) -> bool:
    return request.requester_id == viewer.user_id or oversees(viewer, request)


def oversees(viewer: Principal, request: AccessRequest) -> bool:
    """Is ``viewer`` on the committee of the request's dataset, or on the review body?"""
    org, dataset = request.dataset_organisation_id, request.dataset_id
    return authority.may(viewer, Permission.ACCESS_REQUEST_REVIEW, org, dataset) or authority.may(
        viewer, Permission.ACCESS_APPEAL_DECIDE, org, dataset
    )


def list_mine(
    session: Session, viewer: Principal, *, limit: int = 50, cursor: str | None = None
) -> tuple[Sequence[AccessRequest], str | None]:
    query = select(AccessRequest).where(AccessRequest.requester_id == viewer.user_id)
    return fetch_page(session, query, AccessRequest.id, limit=limit, cursor=cursor)


def is_overdue(request: AccessRequest, now: datetime) -> bool:
    return (
        request.state == RequestState.REFERRED
        and request.deadline_at is not None
        and request.deadline_at <= now
    )


def appealable_until(request: AccessRequest) -> datetime | None:
    if request.state != RequestState.DENIED or request.decided_at is None:
        return None
    return request.decided_at + outcomes.APPEAL_WINDOW


def grant_mode_after_denial(request: AccessRequest) -> str:
    """The mode a grant made on appeal gets: the placement clauses still hold."""
    if any(r["code"] == "residency.node-outside" for r in request.engine_reasons):
        raise Conflict(
            N_("the agreement forbids processing these data at this node: no grant is possible"),
            code="access.residency-forbids",
        )
    sandboxed = request.mode == "sandbox" or any(
        r["effect"] == "sandbox" for r in request.engine_reasons
    )
    return "sandbox" if sandboxed else "download"


# --- withdrawal ------------------------------------------------------------------------------


def withdraw(
    session: Session, actor: Principal, request_id: str, reason: str | None
) -> AccessRequest:
    request = get_request(session, actor, request_id)
    if request.requester_id != actor.user_id:
        raise Forbidden(
            N_("only the requester may withdraw a request"), code="access.not-requester"
        )
    if request.state not in PENDING_STATES:
        raise Conflict(
            _l(
                "request %(request)s is %(state)s: only pending requests can be withdrawn",
                request=request.id,
                state=label("request-state", request.state),
            ),
            code="access.request-not-pending",
        )
    now = node_of(session).clock.now()
    request.state = RequestState.WITHDRAWN
    request.updated_at = now
    request.paused_at = None
    ledger.append(
        session,
        ledger.Event(
            "access.request.withdrawn",
            subjects={"actor": actor.user_id},
            public={"request": request.id},
            record={"reason": reason},
        ),
    )
    return request
