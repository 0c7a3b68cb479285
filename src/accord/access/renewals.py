"""Renewal: the holder asks for more time on a grant; the request is evaluated by the engine
like a new one (same purpose, the grant's mode) and, approved, extends the grant.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.access import grants, outcomes, schemas
from accord.access.evaluation import Asked, decide
from accord.access.governing import Governing, governing_agreement
from accord.access.models import PENDING_STATES, AccessRequest, Grant, RequestKind
from accord.access.requests import get_request, log_submitted, record_decision, requester
from accord.agreements.decision import Decision, Mode
from accord.agreements.durations import Duration
from accord.catalog import service as catalog
from accord.errors import Conflict
from accord.i18n.translate import _l
from accord.identity.models import User
from accord.identity.principal import Principal
from accord.ids import new_id
from accord.node import node_of


def request_renewal(
    session: Session, actor: Principal, grant_id: str, data: schemas.RenewalIn
) -> AccessRequest:
    """Ask for more time on a grant: a renewal request, evaluated like a new one."""
    grant = grants.own_grant(session, actor, grant_id)
    if grants.current_state(session, grant) == "revoked":
        raise Conflict(
            _l("grant %(grant_id)s was revoked: it cannot be renewed", grant_id=grant_id),
            code="access.grant-revoked",
        )
    original = get_request(session, actor, grant.request_id)
    if _open_renewal(session, grant.id):
        raise Conflict(
            _l("a renewal of %(grant_id)s is pending already", grant_id=grant_id),
            code="access.renewal-pending",
        )
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
    log_submitted(session, actor, request, decision)
    outcomes.settle(session, request, decision, actor.user_id)
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
