"""A request's thread: the committee asks for clarification, the requester answers.

A committee question pauses the decision deadline (the request waits on the requester, not on
the committee); the answer resumes it, extended by the time spent waiting.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from accord import ledger
from accord.access import authority, notifications
from accord.access.models import PENDING_STATES, AccessRequest, RequestMessage, RequestState
from accord.access.requests import get_request
from accord.errors import Conflict
from accord.i18n.translate import _l
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.ids import new_id
from accord.node import node_of


def post_message(session: Session, actor: Principal, request_id: str, body: str) -> RequestMessage:
    """Add to the request's thread: the committee asks for clarification, the requester answers.

    A committee question pauses the decision deadline until the requester replies.
    """
    request = get_request(session, actor, request_id)
    if request.state not in PENDING_STATES:
        raise Conflict(
            _l(
                "request %(request_id)s is %(state)s: its thread is closed",
                request_id=request.id,
                state=request.state,
            ),
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
            _l("The committee asks about request %(request)s", request=request.id),
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
            _l("The requester answered on %(request)s", request=request.id),
            message.body,
            f"/access/reviews/{request.id}",
        )
