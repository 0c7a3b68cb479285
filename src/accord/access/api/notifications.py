"""``/api/v1/notifications``: the in-app inbox."""

from __future__ import annotations

from fastapi import APIRouter, Response

from accord.access import notifications, schemas
from accord.access.api.common import PREFIX, Cursor, InboxReader, Limit
from accord.paging import Page
from accord.web.deps import SessionDep
from accord.web.links import paged

router = APIRouter(prefix=PREFIX, tags=["access"])


@router.get("/notifications", response_model=Page[schemas.NotificationOut])
def inbox(
    session: SessionDep,
    response: Response,
    principal: InboxReader,
    unread: bool = False,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.NotificationOut]:
    rows, next_cursor = notifications.inbox(
        session, principal.user_id, unread_only=unread, limit=limit, cursor=cursor
    )
    items = [schemas.NotificationOut.model_validate(n) for n in rows]
    return paged(response, f"{PREFIX}/notifications", items, next_cursor, limit)


@router.post("/notifications/{notification_id}/receipt", response_model=schemas.NotificationOut)
def mark_read(
    notification_id: str, session: SessionDep, principal: InboxReader
) -> schemas.NotificationOut:
    """Mark a message read."""
    row = notifications.mark_read(session, principal.user_id, notification_id)
    session.commit()
    return schemas.NotificationOut.model_validate(row)
