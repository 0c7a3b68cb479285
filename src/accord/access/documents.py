"""Rows to response documents: the API, the pages and the CLI all show the same shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.access import committee, duties, grants, requests, schemas
from accord.access.authority import conflicted
from accord.access.governing import Governing
from accord.access.models import (
    AccessRequest,
    BreachReport,
    Duty,
    Grant,
    Publication,
    Sanction,
)
from accord.access.suspensions import suspensions_of
from accord.agreements.decision import Decision
from accord.identity.principal import Principal
from accord.node import node_of


def engine_out(
    outcome: str,
    mode: str,
    agreement: str | None,
    reasons: list[dict[str, Any]],
    obligations: list[dict[str, Any]],
) -> schemas.EngineDecision:
    wanted = {"deny": {"deny"}, "refer": {"refer", "sandbox"}, "permit": {"sandbox"}}[outcome]
    return schemas.EngineDecision(
        outcome=outcome,
        mode=mode,
        agreement=agreement,
        deciding=[schemas.ReasonOut(**r) for r in reasons if r["effect"] in wanted],
        reasons=[schemas.ReasonOut(**r) for r in reasons],
        obligations=[schemas.ObligationOut(**o) for o in obligations],
    )


def decision_out(governing: Governing, decision: Decision) -> schemas.EngineDecision:
    return engine_out(
        decision.outcome.value,
        decision.mode.value,
        governing.ref,
        [r.as_json() for r in decision.reasons],
        [o.as_json() for o in decision.obligations],
    )


def request_summary(request: AccessRequest, now: datetime) -> schemas.RequestSummary:
    return schemas.RequestSummary(**_summary_fields(request, now))


def _summary_fields(request: AccessRequest, now: datetime) -> dict[str, Any]:
    return {
        "id": request.id,
        "kind": request.kind,
        "state": request.state,
        "dataset_id": request.dataset_id,
        "version": request.version_number,
        "tier": request.tier,
        "project_title": request.project_title,
        "mode": request.mode,
        "duration": request.duration,
        "requester_id": request.requester_id,
        "created_at": request.created_at,
        "deadline_at": request.deadline_at,
        "overdue": requests.is_overdue(request, now),
        "grant_id": request.grant_id,
    }


def request_out(session: Session, request: AccessRequest, viewer: Principal) -> schemas.RequestOut:
    now = node_of(session).clock.now()
    oversees = requests.oversees(viewer, request)
    return schemas.RequestOut(
        **_summary_fields(request, now),
        renews_grant_id=request.renews_grant_id,
        requester_organisation_id=request.requester_organisation_id,
        requester_country=request.requester_country,
        purpose=request.purpose_codes,
        diseases=request.disease_codes,
        commercial=request.commercial,
        ethics_approval=request.ethics_approval,
        ethics_reference=request.ethics_reference,
        lay_summary=request.lay_summary,
        institution=request.institution,
        collaborators=request.collaborators,
        duties_accepted=request.duties_accepted,
        engine=engine_out(
            request.engine_outcome,
            request.engine_mode,
            request.agreement_ref,
            request.engine_reasons,
            request.engine_obligations,
        ),
        committee=request.committee_name,
        decided_by=request.decided_by,
        decided_at=request.decided_at,
        decision_reasons=request.decision_reasons,
        conditions=request.conditions,
        appealable_until=requests.appealable_until(request),
        messages=[schemas.MessageOut.model_validate(m) for m in request.messages],
        votes=[schemas.VoteOut.model_validate(v) for v in request.votes] if oversees else None,
        quorum=committee.standing(session, request).quorum if oversees else None,
    )


def queue_item(session: Session, request: AccessRequest, member: Principal) -> schemas.QueueItem:
    now = node_of(session).clock.now()
    standing = committee.standing(session, request)
    recommendation = committee.recommendation(request)
    return schemas.QueueItem(
        **_summary_fields(request, now),
        recommendation=recommendation,
        reasons=[schemas.ReasonOut(**r) for r in request.engine_reasons],
        votes=len(request.votes),
        quorum=standing.quorum,
        members=standing.members,
        conflict_of_interest=conflicted(
            member, request.requester_id, request.requester_organisation_id
        ),
        voted=any(v.member_id == member.user_id for v in request.votes),
    )


def duty_out(duty: Duty, now: datetime) -> schemas.DutyOut:
    out = schemas.DutyOut.model_validate(duty)
    return out.model_copy(update={"overdue": duties.is_overdue(duty, now)})


def grant_out(session: Session, grant: Grant) -> schemas.GrantOut:
    now = node_of(session).clock.now()
    suspended = bool(suspensions_of(session, grant.user_id, grant.organisation_id, now))
    publications = session.scalars(
        select(Publication).where(Publication.grant_id == grant.id).order_by(Publication.id)
    ).all()
    return schemas.GrantOut(
        id=grant.id,
        request_id=grant.request_id,
        user_id=grant.user_id,
        dataset_id=grant.dataset_id,
        version=grant.version_number,
        version_id=grant.version_id,
        mode=grant.mode,
        state=grants.state_of(grant, now, suspended=suspended),
        purpose=grant.purpose,
        conditions=grant.conditions,
        obligations=grant.obligations,
        agreement=grant.agreement_ref,
        starts_at=grant.starts_at,
        expires_at=grant.expires_at,
        revoked_at=grant.revoked_at,
        revocation_reason=grant.revocation_reason,
        duties=[duty_out(d, now) for d in grant.duties],
        publications=[schemas.PublicationOut.model_validate(p) for p in publications],
    )


def sanction_out(sanction: Sanction, now: datetime) -> schemas.SanctionOut:
    return schemas.SanctionOut(
        id=sanction.id,
        kind=sanction.kind,
        subject_kind=sanction.subject_kind,
        subject_id=sanction.subject_id,
        breach_id=sanction.breach_id,
        reason=sanction.reason,
        starts_at=sanction.starts_at,
        ends_at=sanction.ends_at,
        in_force=sanction.in_force(now),
        revoked_grants=sanction.revoked_grants,
        lifted_at=sanction.lifted_at,
        lift_reason=sanction.lift_reason,
        created_at=sanction.created_at,
    )


def breach_out(breach: BreachReport, *, investigator: bool) -> schemas.BreachOut:
    out = schemas.BreachOut.model_validate(breach)
    if not investigator:
        return out.model_copy(update={"notes": None, "evidence": None, "suspect_user_id": None})
    return out.model_copy(
        update={
            "notes": [schemas.NoteOut.model_validate(n) for n in breach.notes],
            "evidence": [schemas.EvidenceOut.model_validate(e) for e in breach.evidence],
        }
    )
