"""The access sweep: what happens because time passed, recorded when the sweep notices it.

Access checks read the clock themselves (an expired grant opens nothing whether or not the sweep
ran); the sweep records the consequences: grants expired, reminders of duties coming due,
duties and committee decisions that became overdue. Run it periodically (``accord grant
sweep``, or ``POST /api/v1/access-sweeps``); it is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import ledger
from accord.access import authority, duties, grants, notifications
from accord.access.models import AccessRequest, RequestState
from accord.i18n.translate import _l


@dataclass(frozen=True)
class SweepResult:
    expired: int
    reminded: int
    overdue: int


def sweep(session: Session, now: datetime) -> SweepResult:
    expired = grants.expire_due(session, now)
    reminded = duties.send_reminders(session, now)
    overdue = len(duties.flag_overdue(session, now)) + flag_overdue_requests(session, now)
    return SweepResult(expired=expired, reminded=reminded, overdue=overdue)


def flag_overdue_requests(session: Session, now: datetime) -> int:
    """Tell the committee, once, about referred requests past their decision deadline."""
    rows = session.scalars(
        select(AccessRequest)
        .where(
            AccessRequest.state == RequestState.REFERRED,
            AccessRequest.overdue_notified_at.is_(None),
            AccessRequest.deadline_at <= now,
        )
        .limit(1000)
    ).all()
    for request in rows:
        request.overdue_notified_at = now
        ledger.append(
            session,
            ledger.Event(
                "access.request.overdue",
                public={
                    "request": request.id,
                    "deadline_at": request.deadline_at.isoformat() if request.deadline_at else "",
                },
            ),
        )
        members = authority.committee_members(
            session, request.dataset_organisation_id, request.dataset_id
        )
        for member_id in members:
            notifications.notify(
                session,
                member_id,
                "request.overdue",
                _l("Overdue: request %(request)s", request=request.id),
                _l(
                    "The decision on %(request)s was due %(deadline)s.",
                    request=request.id,
                    deadline=request.deadline_at.date() if request.deadline_at else None,
                ),
                f"/access/reviews/{request.id}",
            )
    return len(rows)
