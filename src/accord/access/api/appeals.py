"""``/api/v1/appeals``: the denied or the sanctioned appeal; the review body decides."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from accord.access import appeals, schemas
from accord.access.api.common import PREFIX, Appellant, Cursor, Judge, Limit
from accord.paging import Page
from accord.web.deps import SessionDep
from accord.web.links import paged

router = APIRouter(prefix=PREFIX, tags=["access"])


@router.post("/appeals", status_code=201, response_model=schemas.AppealOut)
def file_appeal(
    body: schemas.AppealIn, session: SessionDep, principal: Appellant
) -> schemas.AppealOut:
    """Appeal a denied request (within its window) or a sanction, with your grounds."""
    appeal = appeals.file_appeal(session, principal, body)
    session.commit()
    return schemas.AppealOut.model_validate(appeal)


@router.get("/appeals", response_model=Page[schemas.AppealOut])
def list_appeals(
    session: SessionDep,
    response: Response,
    principal: Appellant,
    scope: Annotated[Literal["mine", "review"], Query()] = "mine",
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.AppealOut]:
    """Your appeals, or (``scope=review``) those the review body you sit on may decide."""
    rows, next_cursor = appeals.list_appeals(
        session, principal, mine=scope == "mine", limit=limit, cursor=cursor
    )
    items = [schemas.AppealOut.model_validate(a) for a in rows]
    return paged(response, f"{PREFIX}/appeals", items, next_cursor, limit)


@router.get("/appeals/{appeal_id}", response_model=schemas.AppealOut)
def get_appeal(appeal_id: str, session: SessionDep, principal: Appellant) -> schemas.AppealOut:
    return schemas.AppealOut.model_validate(appeals.get_appeal(session, principal, appeal_id))


@router.post("/appeals/{appeal_id}/decision", response_model=schemas.AppealOut)
def decide_appeal(
    appeal_id: str, body: schemas.AppealDecisionIn, session: SessionDep, principal: Judge
) -> schemas.AppealOut:
    """Uphold or overturn, with reasons; overturning a denial makes the grant."""
    appeal = appeals.decide(session, principal, appeal_id, body)
    session.commit()
    return schemas.AppealOut.model_validate(appeal)
