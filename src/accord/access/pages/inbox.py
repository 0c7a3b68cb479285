"""The inbox: what happened to your requests, grants, appeals and reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accord.access import notifications
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.web.deps import SessionDep
from accord.web.pages import render
from accord.web.security import require

router = APIRouter(include_in_schema=False)

InboxReader = Annotated[Principal, Depends(require(Permission.ACCESS_NOTIFICATION_READ))]


@router.get("/access/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, session: SessionDep, principal: InboxReader) -> HTMLResponse:
    rows, _ = notifications.inbox(session, principal.user_id, limit=200)
    return render(request, "access/inbox.html", {"messages": list(reversed(rows))})


@router.post("/access/inbox/{notification_id}/receipt", response_model=None)
def open_message(notification_id: str, session: SessionDep, principal: InboxReader) -> Response:
    """Mark a message read and follow its link."""
    row = notifications.mark_read(session, principal.user_id, notification_id)
    session.commit()
    return RedirectResponse(row.link or "/access/inbox", status_code=303)
