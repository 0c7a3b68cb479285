"""What the access routes share: guards as annotated types, paging limits, mail after commit."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from accord.access.mail import deliver_pending, transport_of
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.node import NodeContext
from accord.web.security import require

PREFIX = "/api/v1"
Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=100)]


def guard(permission: Permission) -> object:
    """``Annotated[Principal, guard(P)]``: the caller, who must hold ``permission``."""
    return Depends(require(permission))


Submitter = Annotated[Principal, guard(Permission.ACCESS_REQUEST_SUBMIT)]
Reader = Annotated[Principal, guard(Permission.ACCESS_REQUEST_READ)]
Messenger = Annotated[Principal, guard(Permission.ACCESS_REQUEST_MESSAGE)]
Reviewer = Annotated[Principal, guard(Permission.ACCESS_REQUEST_REVIEW)]
Decider = Annotated[Principal, guard(Permission.ACCESS_REQUEST_DECIDE)]
Configurer = Annotated[Principal, guard(Permission.ACCESS_COMMITTEE_CONFIGURE)]
GrantReader = Annotated[Principal, guard(Permission.ACCESS_GRANT_READ)]
Revoker = Annotated[Principal, guard(Permission.ACCESS_GRANT_REVOKE)]
DutyHolder = Annotated[Principal, guard(Permission.ACCESS_DUTY_FULFIL)]
Appellant = Annotated[Principal, guard(Permission.ACCESS_APPEAL_FILE)]
Judge = Annotated[Principal, guard(Permission.ACCESS_APPEAL_DECIDE)]
Reporter = Annotated[Principal, guard(Permission.ACCESS_BREACH_REPORT)]
Investigator = Annotated[Principal, guard(Permission.ACCESS_BREACH_INVESTIGATE)]
SanctionReader = Annotated[Principal, guard(Permission.ACCESS_SANCTION_READ)]
SanctionImposer = Annotated[Principal, guard(Permission.ACCESS_SANCTION_IMPOSE)]
InboxReader = Annotated[Principal, guard(Permission.ACCESS_NOTIFICATION_READ)]
Admin = Annotated[Principal, guard(Permission.NODE_ADMIN)]
Anyone = Annotated[Principal | None, guard(Permission.PUBLIC)]


def send_pending_mail(node: NodeContext) -> int:
    """Deliver every pending outbox email now (the sweep's retry); 0 when mail is off."""
    transport = transport_of(node)
    return deliver_pending(node, transport) if transport is not None else 0
