"""The committee's pages: the queue (engine's recommendation and reasons beside each request,
deadlines, overdue flags, conflicts of interest, overdue duties) and the decision page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from accord.access import committee, documents, duties, schemas
from accord.access.authority import scope_filter
from accord.access.models import Grant
from accord.access.pages.forms import act
from accord.access.pages.requester import show_request
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.node import node_of
from accord.reports import service as reports
from accord.web.deps import SessionDep
from accord.web.pages import render
from accord.web.security import require

router = APIRouter(include_in_schema=False)

Reviewer = Annotated[Principal, Depends(require(Permission.ACCESS_REQUEST_REVIEW))]
Decider = Annotated[Principal, Depends(require(Permission.ACCESS_REQUEST_DECIDE))]


@router.get("/access/reviews", response_class=HTMLResponse)
def queue(request: Request, session: SessionDep, principal: Reviewer) -> HTMLResponse:
    now = node_of(session).clock.now()
    items = [
        documents.queue_item(session, r, principal) for r in committee.queue(session, principal)
    ]
    scope = scope_filter(
        principal, Permission.ACCESS_REQUEST_REVIEW, Grant.dataset_organisation_id, Grant.dataset_id
    )
    overdue = duties.overdue_duties(session, now, scope)
    return render(
        request,
        "access/reviews.html",
        {
            "items": items,
            "overdue": [documents.duty_out(d, now) for d in overdue],
            "equity_alerts": reports.current_alerts(session),
        },
    )


@router.get("/access/reviews/{request_id}", response_class=HTMLResponse)
def decision_page(
    request_id: str, request: Request, session: SessionDep, principal: Reviewer
) -> HTMLResponse:
    """The request beside the engine's recommendation and reasons, with the decision form."""
    return show_request(request, session, principal, request_id)


@router.post("/access/reviews/{request_id}/decision", response_model=None)
def decide(
    request_id: str,
    request: Request,
    session: SessionDep,
    principal: Decider,
    outcome: Annotated[str, Form(max_length=10)] = "",
    reasons: Annotated[str, Form(max_length=5000)] = "",
    conditions: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    def action() -> str:
        vote = schemas.VoteIn.model_validate(
            {
                "outcome": outcome,
                "reasons": reasons,
                "conditions": [c.strip() for c in conditions.splitlines() if c.strip()],
            }
        )
        committee.vote(session, principal, request_id, vote.outcome, vote.reasons, vote.conditions)
        return f"/access/reviews/{request_id}"

    return act(
        session,
        action,
        lambda errors, status: show_request(
            request, session, principal, request_id, errors, status_code=status
        ),
    )
