"""Access requests: submission and the engine's evaluation, status, withdrawal, the thread.

On submission the agreements engine decides at once (DESIGN.md, the spine):
``permit`` → the grant is made (auto-grant); ``deny`` → refused with reasons the requester sees
and may appeal; ``refer`` → the data access committee decides before a deadline set by the
agreement. Every step is logged in the transaction that makes it (DESIGN.md rule 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import ledger
from accord.access import authority, grants, notifications, schemas
from accord.access.evaluation import Asked, decide
from accord.access.governing import Governing, governing_agreement
from accord.access.models import (
    PENDING_STATES,
    AccessRequest,
    Decider,
    Grant,
    RequestKind,
    RequestMessage,
    RequestState,
)
from accord.agreements.decision import Decision, Mode, Outcome
from accord.agreements.durations import Duration
from accord.catalog import service as catalog
from accord.catalog.models import DatasetVersion, VersionState
from accord.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from accord.identity import service as identity
from accord.identity.models import User
from accord.identity.permissions import Permission
from accord.identity.principal import OPERATOR_ID, Principal
from accord.ids import new_id
from accord.node import node_of
from accord.paging import fetch_page

APPEAL_WINDOW = timedelta(days=30)
REQUESTABLE_TIERS = frozenset({"controlled", "restricted"})


def submit(session: Session, actor: Principal, data: schemas.RequestCreate) -> AccessRequest:
    """Submit a request; the engine decides now: grant, deny with reasons, or refer."""
    if not data.accept_duties:
        raise InvalidInput(
            "accept the duties of the dataset's agreement to submit a request",
            code="access.duties-not-accepted",
            errors=[FieldError("accept_duties", "must be true")],
        )
    user = requester(session, actor)
    version = requestable_version(session, actor, data.dataset_id, data.version)
    governing = governing_agreement(session, version)
    asked = asked_of(data, data.project_title)
    decision = decide(session, user, governing, asked)
    request = _new_request(session, user, version, governing, data, decision)
    _log_submitted(session, actor, request, decision)
    settle(session, request, decision, actor.user_id)
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
            "the node operator is not a person and cannot request access",
            code="access.requester-not-a-user",
            hint="submit as a researcher: `accord --url … --token … request submit`",
        )
    return identity.get_user(session, actor.user_id)


def requestable_version(
    session: Session, actor: Principal, dataset_id: str, number: int | None
) -> DatasetVersion:
    version = catalog.get_version(session, dataset_id, number, actor)
    if version.state != VersionState.PUBLISHED:
        raise Conflict(
            f"{dataset_id}@v{version.number} is {version.state}: only published versions "
            "can be requested",
            code="access.version-not-published",
        )
    if version.tier not in REQUESTABLE_TIERS:
        raise Conflict(
            f"{dataset_id}@v{version.number} is {version.tier} data: no request is needed",
            code="access.no-request-needed",
            hint="download it directly (registered data: accept the terms of use first)",
        )
    return version


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


def settle(session: Session, request: AccessRequest, decision: Decision, actor_id: str) -> None:
    """Act on the engine's outcome: grant, deny, or refer to the committee."""
    if decision.outcome is Outcome.PERMIT:
        approve(
            session,
            request,
            Decider.ENGINE,
            actor_id,
            reasons="The request meets every condition of the agreement.",
            conditions=[],
            mode=decision.mode.value,
        )
    elif decision.outcome is Outcome.DENY:
        deny(session, request, Decider.ENGINE, actor_id, deciding_text(decision))
    else:
        refer(session, request)


def deciding_text(decision: Decision) -> str:
    return (
        " ".join(r.text for r in decision.deciding_reasons()) or "The agreement does not allow it."
    )


def approve(
    session: Session,
    request: AccessRequest,
    decided_by: Decider,
    actor_id: str,
    *,
    reasons: str,
    conditions: list[str],
    mode: str,
    obligations: list[dict[str, Any]] | None = None,
) -> Grant:
    """Approve: make (or, for a renewal, extend) the grant."""
    _decided(session, request, RequestState.APPROVED, decided_by, reasons)
    request.conditions = conditions
    ledger.append(
        session,
        ledger.Event(
            "access.request.approved",
            subjects={"actor": actor_id, "requester": request.requester_id},
            public={"request": request.id, "decided_by": decided_by.value, "mode": mode},
            record={"reasons": reasons, "conditions": conditions},
        ),
    )
    if request.kind == RequestKind.RENEWAL and request.renews_grant_id:
        grant = session.get(Grant, request.renews_grant_id)
        if grant is None:
            raise NotFound(f"no grant {request.renews_grant_id}", code="access.grant-not-found")
        return grants.extend(session, actor_id, grant, request)
    return grants.create_grant(
        session,
        request,
        mode=mode,
        actor_id=actor_id,
        obligations=request.engine_obligations if obligations is None else obligations,
        conditions=conditions,
    )


def deny(
    session: Session, request: AccessRequest, decided_by: Decider, actor_id: str, reasons: str
) -> None:
    _decided(session, request, RequestState.DENIED, decided_by, reasons)
    ledger.append(
        session,
        ledger.Event(
            "access.request.denied",
            subjects={"actor": actor_id, "requester": request.requester_id},
            public={
                "request": request.id,
                "decided_by": decided_by.value,
                "reasons": _reason_codes(request) if decided_by is Decider.ENGINE else [],
            },
            record={"reasons": reasons},
        ),
    )
    until = request.decided_at + APPEAL_WINDOW if request.decided_at else None
    notifications.notify(
        session,
        request.requester_id,
        "request.denied",
        f"Request {request.id} was denied",
        f"Your request for {request.dataset_id}@v{request.version_number} was denied: {reasons} "
        f"You may appeal until {until:%Y-%m-%d}.",
        f"/access/requests/{request.id}",
    )


def refer(session: Session, request: AccessRequest) -> None:
    request.state = RequestState.REFERRED
    ledger.append(
        session,
        ledger.Event(
            "access.request.referred",
            subjects={"requester": request.requester_id},
            public={
                "request": request.id,
                "reasons": _reason_codes(request),
                "deadline_at": request.deadline_at.isoformat() if request.deadline_at else None,
            },
        ),
    )
    for member in authority.committee_members(
        session, request.dataset_organisation_id, request.dataset_id
    ):
        if member.id != request.requester_id:
            notifications.notify(
                session,
                member.id,
                "request.referred",
                f"New request to review: {request.project_title}",
                f"{request.id} asks for {request.dataset_id}@v{request.version_number}; decide by "
                f"{request.deadline_at:%Y-%m-%d}.",
                f"/access/reviews/{request.id}",
            )


def _decided(
    session: Session,
    request: AccessRequest,
    state: RequestState,
    decided_by: Decider,
    reasons: str,
) -> None:
    now = node_of(session).clock.now()
    request.state = state
    request.decided_by = decided_by.value
    request.decided_at = now
    request.decision_reasons = reasons
    request.paused_at = None
    request.updated_at = now


def _reason_codes(request: AccessRequest) -> list[str]:
    wanted = {"deny": {"deny"}, "refer": {"refer", "sandbox"}, "permit": {"sandbox"}}
    effects = wanted.get(request.engine_outcome, set())
    return sorted({r["code"] for r in request.engine_reasons if r["effect"] in effects})


def _log_submitted(
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


# --- renewal -----------------------------------------------------------------------------------


def request_renewal(
    session: Session, actor: Principal, grant_id: str, data: schemas.RenewalIn
) -> AccessRequest:
    """Ask for more time on a grant: a renewal request, evaluated like a new one."""
    grant = grants.own_grant(session, actor, grant_id)
    if grants.current_state(session, grant) == "revoked":
        raise Conflict(
            f"grant {grant_id} was revoked: it cannot be renewed", code="access.grant-revoked"
        )
    original = get_request(session, actor, grant.request_id)
    if _open_renewal(session, grant.id):
        raise Conflict(f"a renewal of {grant_id} is pending already", code="access.renewal-pending")
    user = requester(session, actor)
    version = catalog.get_version(session, grant.dataset_id, grant.version_number, actor)
    governing = governing_agreement(session, version)
    asked = Asked(
        purpose_codes=tuple(original.purpose_codes),
        disease_codes=tuple(original.disease_codes),
        commercial=original.commercial,
        ethics_approval=original.ethics_approval,
        project=original.project_title,
        mode=Mode(grant.mode),
        duration=Duration.parse(data.duration),
    )
    decision = decide(session, user, governing, asked)
    request = _renewal_of(session, original, grant, data, governing, decision, user)
    _log_submitted(session, actor, request, decision)
    settle(session, request, decision, actor.user_id)
    return request


def _renewal_of(
    session: Session,
    original: AccessRequest,
    grant: Grant,
    data: schemas.RenewalIn,
    governing: Governing,
    decision: Decision,
    user: User,
) -> AccessRequest:
    now = node_of(session).clock.now()
    request = AccessRequest(
        id=new_id("req"),
        kind=RequestKind.RENEWAL,
        renews_grant_id=grant.id,
        requester_id=user.id,
        requester_organisation_id=user.organisation_id,
        requester_country=user.country,
        dataset_id=original.dataset_id,
        dataset_organisation_id=original.dataset_organisation_id,
        version_id=original.version_id,
        version_number=original.version_number,
        tier=original.tier,
        purpose_codes=original.purpose_codes,
        disease_codes=original.disease_codes,
        commercial=original.commercial,
        ethics_approval=original.ethics_approval,
        ethics_reference=original.ethics_reference,
        project_title=original.project_title,
        lay_summary=f"{original.lay_summary}\n\nRenewal: {data.justification}",
        institution=original.institution,
        collaborators=original.collaborators,
        mode=grant.mode,
        duration=data.duration,
        duties_accepted=True,
        created_at=now,
        updated_at=now,
    )
    record_decision(request, governing, decision)
    session.add(request)
    return request


def _open_renewal(session: Session, grant_id: str) -> bool:
    return (
        session.scalar(
            select(AccessRequest.id).where(
                AccessRequest.renews_grant_id == grant_id,
                AccessRequest.state.in_([s.value for s in PENDING_STATES]),
            )
        )
        is not None
    )


# --- reading -----------------------------------------------------------------------------------


def get_request(session: Session, viewer: Principal, request_id: str) -> AccessRequest:
    """A request its requester, its committee or the review body may see; else NotFound."""
    request = session.get(AccessRequest, request_id) if len(request_id) <= 40 else None
    if request is None or not may_see(viewer, request):
        raise NotFound(f"no request {request_id[:60]!r}", code="access.request-not-found")
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
    return request.decided_at + APPEAL_WINDOW


def grant_mode_after_denial(request: AccessRequest) -> str:
    """The mode a grant made on appeal gets: the placement clauses still hold."""
    if any(r["code"] == "residency.node-outside" for r in request.engine_reasons):
        raise Conflict(
            "the agreement forbids processing these data at this node: no grant is possible",
            code="access.residency-forbids",
        )
    sandboxed = request.mode == "sandbox" or any(
        r["effect"] == "sandbox" for r in request.engine_reasons
    )
    return "sandbox" if sandboxed else "download"


# --- withdrawal and the thread ------------------------------------------------------------------


def withdraw(
    session: Session, actor: Principal, request_id: str, reason: str | None
) -> AccessRequest:
    request = get_request(session, actor, request_id)
    if request.requester_id != actor.user_id:
        raise Forbidden("only the requester may withdraw a request", code="access.not-requester")
    if request.state not in PENDING_STATES:
        raise Conflict(
            f"request {request.id} is {request.state}: only pending requests can be withdrawn",
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


def post_message(session: Session, actor: Principal, request_id: str, body: str) -> RequestMessage:
    """Add to the request's thread: the committee asks for clarification, the requester answers.

    A committee question pauses the decision deadline until the requester replies.
    """
    request = get_request(session, actor, request_id)
    if request.state not in PENDING_STATES:
        raise Conflict(
            f"request {request.id} is {request.state}: its thread is closed",
            code="access.request-not-pending",
        )
    now = node_of(session).clock.now()
    if request.requester_id == actor.user_id:
        role = "requester"
        _resume(request, now)
    else:
        authority.require(
            actor,
            Permission.ACCESS_REQUEST_REVIEW,
            request.dataset_organisation_id,
            request.dataset_id,
            code="access.not-committee",
            message="only the dataset's committee asks for clarification",
        )
        role = "committee"
        _pause(request, now)
    message = RequestMessage(
        id=new_id("msg"),
        request_id=request.id,
        author_id=actor.user_id,
        author_role=role,
        body=body,
        created_at=now,
    )
    request.messages.append(message)
    request.updated_at = now
    _log_message(session, actor, request, message)
    _notify_thread(session, request, message)
    return message


def _pause(request: AccessRequest, now: datetime) -> None:
    if request.state == RequestState.REFERRED:
        request.state = RequestState.CLARIFICATION
        request.paused_at = now


def _resume(request: AccessRequest, now: datetime) -> None:
    if request.state == RequestState.CLARIFICATION:
        if request.paused_at is not None and request.deadline_at is not None:
            request.deadline_at += now - request.paused_at
        request.state = RequestState.REFERRED
        request.paused_at = None


def _log_message(
    session: Session, actor: Principal, request: AccessRequest, message: RequestMessage
) -> None:
    kind = "clarification-requested" if message.author_role == "committee" else "clarified"
    ledger.append(
        session,
        ledger.Event(
            f"access.request.{kind}",
            subjects={"actor": actor.user_id},
            public={"request": request.id, "message": message.id, "state": request.state},
            record={"body": message.body},
        ),
    )


def _notify_thread(session: Session, request: AccessRequest, message: RequestMessage) -> None:
    if message.author_role == "committee":
        notifications.notify(
            session,
            request.requester_id,
            "request.clarification",
            f"The committee asks about request {request.id}",
            message.body,
            f"/access/requests/{request.id}",
        )
        return
    askers = {m.author_id for m in request.messages if m.author_role == "committee"}
    for member_id in sorted(askers):
        notifications.notify(
            session,
            member_id,
            "request.clarified",
            f"The requester answered on {request.id}",
            message.body,
            f"/access/reviews/{request.id}",
        )
