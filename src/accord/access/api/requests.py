"""``/api/v1/requests``: submit (the engine decides at once), preview, read, withdraw, discuss."""

from __future__ import annotations

from fastapi import APIRouter, Response

from accord.access import documents, requests, schemas, thread
from accord.access.api.common import PREFIX, Cursor, Limit, Messenger, Reader, Submitter
from accord.node import node_of
from accord.paging import Page
from accord.web.deps import SessionDep
from accord.web.links import paged

router = APIRouter(prefix=PREFIX, tags=["access"])


@router.post("/requests", status_code=201, response_model=schemas.RequestOut)
def submit_request(
    body: schemas.RequestCreate, session: SessionDep, principal: Submitter
) -> schemas.RequestOut:
    """Request access to a dataset version; the agreements engine grants, denies or refers."""
    request = requests.submit(session, principal, body)
    session.commit()
    return documents.request_out(session, request, principal)


@router.post("/request-previews", response_model=schemas.EngineDecision)
def preview_request(
    body: schemas.PreviewIn, session: SessionDep, principal: Submitter
) -> schemas.EngineDecision:
    """What the engine would decide on this purpose now (nothing is stored)."""
    governing, decision = requests.preview(session, principal, body)
    session.rollback()
    return documents.decision_out(governing, decision)


@router.get("/requests", response_model=Page[schemas.RequestSummary])
def list_requests(
    session: SessionDep,
    response: Response,
    principal: Reader,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.RequestSummary]:
    """Your own requests (committee members see theirs in ``/api/v1/reviews``)."""
    rows, next_cursor = requests.list_mine(session, principal, limit=limit, cursor=cursor)
    now = node_of(session).clock.now()
    items = [documents.request_summary(r, now) for r in rows]
    return paged(response, f"{PREFIX}/requests", items, next_cursor, limit)


@router.get("/requests/{request_id}", response_model=schemas.RequestOut)
def get_request(request_id: str, session: SessionDep, principal: Reader) -> schemas.RequestOut:
    request = requests.get_request(session, principal, request_id)
    return documents.request_out(session, request, principal)


@router.post("/requests/{request_id}/withdrawal", response_model=schemas.RequestOut)
def withdraw_request(
    request_id: str, body: schemas.WithdrawalIn, session: SessionDep, principal: Submitter
) -> schemas.RequestOut:
    request = requests.withdraw(session, principal, request_id, body.reason)
    session.commit()
    return documents.request_out(session, request, principal)


@router.post("/requests/{request_id}/messages", status_code=201, response_model=schemas.MessageOut)
def post_message(
    request_id: str, body: schemas.MessageIn, session: SessionDep, principal: Messenger
) -> schemas.MessageOut:
    """The committee asks for clarification (the deadline pauses); the requester answers."""
    message = thread.post_message(session, principal, request_id, body.body)
    session.commit()
    return schemas.MessageOut.model_validate(message)
