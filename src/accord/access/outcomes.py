"""What follows a decision on a request: a grant (or a renewed one), a denial the requester may
appeal, or a referral to the committee with its deadline; each logged and told to the people
concerned. The engine, the committee and the review body all decide through these.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from accord import ledger
from accord.access import authority, grants, notifications
from accord.access.models import AccessRequest, Decider, Grant, RequestKind, RequestState
from accord.agreements.decision import Decision, Outcome
from accord.errors import NotFound
from accord.i18n.translate import _l
from accord.node import node_of

APPEAL_WINDOW = timedelta(days=30)


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
            raise NotFound(
                _l(
                    "no grant %(grant)s",
                    grant=request.renews_grant_id,
                ),
                code="access.grant-not-found",
            )
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
        _l("Request %(request)s was denied", request=request.id),
        _l(
            "Your request for %(dataset)s@v%(version)s was denied: %(reasons)s You may appeal "
            "until %(until)s.",
            dataset=request.dataset_id,
            version=request.version_number,
            reasons=reasons,
            until=until.date() if until else None,
        ),
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
    for member_id in authority.committee_members(
        session, request.dataset_organisation_id, request.dataset_id
    ):
        if member_id != request.requester_id:
            notifications.notify(
                session,
                member_id,
                "request.referred",
                _l("New request to review: %(title)s", title=request.project_title),
                _l(
                    "%(request)s asks for %(dataset)s@v%(version)s; decide by %(deadline)s.",
                    request=request.id,
                    dataset=request.dataset_id,
                    version=request.version_number,
                    deadline=request.deadline_at.date() if request.deadline_at else None,
                ),
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
