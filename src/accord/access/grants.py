"""Grants: purpose- and time-bound permission to use one dataset version, in one mode.

A grant copies its conditions and duties from the agreement version it was made under. Its
state is read against the clock and the sanctions: ``active`` between its start and expiry;
``paused`` while a suspension is in force on its holder or their organisation; ``expired``
after ``expires_at``; ``revoked`` once revoked with a reason. Only an active grant opens data.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import ledger
from accord.access import authority, duties, notifications
from accord.access.models import AccessRequest, DutyKind, DutyStatus, Grant, GrantStatus
from accord.access.suspensions import suspensions_of
from accord.agreements.durations import Duration
from accord.errors import Conflict, Forbidden, NotFound
from accord.i18n.translate import N_, _l
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.ids import new_id
from accord.labels import label
from accord.node import node_of
from accord.paging import fetch_page

GrantState = Literal["active", "paused", "expired", "revoked"]


def create_grant(
    session: Session,
    request: AccessRequest,
    *,
    mode: str,
    actor_id: str,
    obligations: list[dict[str, Any]],
    conditions: list[str],
) -> Grant:
    """Make the grant a decision approved, with its duties; logged as ``access.grant.created``."""
    now = node_of(session).clock.now()
    grant = Grant(
        id=new_id("gr"),
        request_id=request.id,
        user_id=request.requester_id,
        organisation_id=request.requester_organisation_id,
        dataset_id=request.dataset_id,
        dataset_organisation_id=request.dataset_organisation_id,
        version_id=request.version_id,
        version_number=request.version_number,
        mode=mode,
        purpose=purpose_record(request),
        conditions=conditions,
        obligations=obligations,
        agreement_ref=request.agreement_ref,
        agreement_terms=request.agreement_terms,
        starts_at=now,
        expires_at=Duration.parse(request.duration).after(now),
        status=GrantStatus.ACTIVE,
        revoked_at=None,
        revocation_reason=None,
        revoked_by_sanction_id=None,
        created_at=now,
    )
    grant.duties = duties.duties_for(grant, request.agreement_terms)
    session.add(grant)
    request.grant_id = grant.id
    ledger.append(
        session,
        ledger.Event(
            "access.grant.created",
            subjects={"actor": actor_id, "holder": grant.user_id},
            public={
                "grant": grant.id,
                "request": request.id,
                "dataset": grant.dataset_id,
                "version": grant.version_number,
                "mode": mode,
                "agreement": grant.agreement_ref,
                "expires_at": grant.expires_at.isoformat(),
                "duties": [d.kind for d in grant.duties],
            },
            record={"purpose": grant.purpose, "conditions": conditions},
        ),
    )
    notifications.notify(
        session,
        grant.user_id,
        "grant.created",
        _l(
            "Access granted to %(dataset)s@v%(version)s",
            dataset=grant.dataset_id,
            version=grant.version_number,
        ),
        _l(
            "You may use %(dataset)s@v%(version)s (%(mode)s) until %(until)s. Conditions and "
            "duties are listed on the grant's page.",
            dataset=grant.dataset_id,
            version=grant.version_number,
            mode=label("mode", mode),
            until=grant.expires_at.date(),
        ),
        f"/access/grants/{grant.id}",
    )
    return grant


def purpose_record(request: AccessRequest) -> dict[str, Any]:
    return {
        "purpose": request.purpose_codes,
        "diseases": request.disease_codes,
        "commercial": request.commercial,
        "project_title": request.project_title,
    }


def state_of(grant: Grant, now: datetime, *, suspended: bool) -> GrantState:
    if grant.status == GrantStatus.REVOKED:
        return "revoked"
    if grant.status == GrantStatus.EXPIRED or now >= grant.expires_at:
        return "expired"
    return "paused" if suspended else "active"


def current_state(session: Session, grant: Grant) -> GrantState:
    now = node_of(session).clock.now()
    suspended = bool(suspensions_of(session, grant.user_id, grant.organisation_id, now))
    return state_of(grant, now, suspended=suspended)


def get_grant(session: Session, viewer: Principal, grant_id: str) -> Grant:
    """A grant its holder, the committee of its dataset or the review body may see."""
    grant = session.get(Grant, grant_id) if len(grant_id) <= 40 else None
    if grant is None or not may_see(viewer, grant):
        raise NotFound(_l("no grant %(grant)r", grant=grant_id[:60]), code="access.grant-not-found")
    return grant


def own_grant(session: Session, holder: Principal, grant_id: str) -> Grant:
    """A grant of ``holder`` (for the holder's own actions: duties, renewal)."""
    grant = session.get(Grant, grant_id) if len(grant_id) <= 40 else None
    if grant is None or grant.user_id != holder.user_id:
        if grant is not None and may_see(holder, grant):
            raise Forbidden(
                _l("only the holder of %(grant)s may do this", grant=grant_id),
                code="access.not-grant-holder",
            )
        raise NotFound(_l("no grant %(grant)r", grant=grant_id[:60]), code="access.grant-not-found")
    return grant


def may_see(viewer: Principal, grant: Grant) -> bool:
    org, dataset = grant.dataset_organisation_id, grant.dataset_id
    return (
        grant.user_id == viewer.user_id
        or authority.may(viewer, Permission.ACCESS_REQUEST_REVIEW, org, dataset)
        or authority.may(viewer, Permission.ACCESS_APPEAL_DECIDE, org, dataset)
    )


def list_grants(
    session: Session,
    viewer: Principal,
    *,
    mine: bool = True,
    dataset_id: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[Sequence[Grant], str | None]:
    """The viewer's own grants, or (``mine=False``) those they oversee as committee/review body."""
    query = select(Grant)
    if mine:
        query = query.where(Grant.user_id == viewer.user_id)
    else:
        scope = authority.scope_filter(
            viewer,
            Permission.ACCESS_REQUEST_REVIEW,
            Grant.dataset_organisation_id,
            Grant.dataset_id,
        )
        query = query.where(scope)
    if dataset_id:
        query = query.where(Grant.dataset_id == dataset_id)
    return fetch_page(session, query, Grant.id, limit=limit, cursor=cursor)


def revoke(
    session: Session,
    actor: Principal,
    grant_id: str,
    reason: str,
    *,
    sanction_id: str | None = None,
) -> Grant:
    """Revoke a grant with a reason (its committee or the review body)."""
    grant = get_grant(session, actor, grant_id)
    if not _may_revoke(actor, grant):
        raise Conflict(
            N_("only the committee of this dataset or the review body may revoke its grants"),
            code="access.not-allowed-to-revoke",
            status=403,
        )
    return revoke_grant(session, actor.user_id, grant, reason, sanction_id=sanction_id)


def _may_revoke(actor: Principal, grant: Grant) -> bool:
    return authority.may(
        actor, Permission.ACCESS_GRANT_REVOKE, grant.dataset_organisation_id, grant.dataset_id
    )


def revoke_grant(
    session: Session, actor_id: str, grant: Grant, reason: str, *, sanction_id: str | None = None
) -> Grant:
    now = node_of(session).clock.now()
    if grant.status == GrantStatus.REVOKED:
        raise Conflict(
            _l("grant %(grant)s was revoked already", grant=grant.id), code="access.grant-revoked"
        )
    grant.status = GrantStatus.REVOKED
    grant.revoked_at = now
    grant.revocation_reason = reason
    grant.revoked_by_sanction_id = sanction_id
    duties.deletion_due_from(grant, now)
    stop_sandbox_jobs(session, grant, f"grant revoked: {reason}")
    ledger.append(
        session,
        ledger.Event(
            "access.grant.revoked",
            subjects={"actor": actor_id, "holder": grant.user_id},
            public={"grant": grant.id, "dataset": grant.dataset_id, "sanction": sanction_id},
            record={"reason": reason},
        ),
    )
    notifications.notify(
        session,
        grant.user_id,
        "grant.revoked",
        _l("Grant %(grant)s was revoked", grant=grant.id),
        _l(
            "Your grant to %(dataset)s@v%(version)s was revoked: %(reason)s",
            dataset=grant.dataset_id,
            version=grant.version_number,
            reason=reason,
        ),
        f"/access/grants/{grant.id}",
    )
    return grant


def stop_sandbox_jobs(session: Session, grant: Grant, reason: str) -> int:
    """Fail the grant's queued sandbox jobs (a revoked or suspended grant runs no more work);
    returns how many. Running jobs stop at their worker's own grant check."""
    # Imported here: the sandbox reads grants through accord.access.service, which imports
    # this module, so a module-level import would close a cycle.
    from accord.sandbox import service as sandbox

    return sandbox.end_grant(session, grant.id, reason)


def reinstate(session: Session, actor_id: str, grant: Grant, reason: str) -> Grant:
    """Undo a revocation (a sanction overturned on appeal); the original expiry still holds."""
    if grant.status != GrantStatus.REVOKED:
        raise Conflict(
            _l("grant %(grant)s is not revoked", grant=grant.id), code="access.grant-not-revoked"
        )
    grant.status = GrantStatus.ACTIVE
    grant.revoked_at = None
    grant.revocation_reason = None
    grant.revoked_by_sanction_id = None
    ledger.append(
        session,
        ledger.Event(
            "access.grant.reinstated",
            subjects={"actor": actor_id, "holder": grant.user_id},
            public={"grant": grant.id},
            record={"reason": reason},
        ),
    )
    notifications.notify(
        session,
        grant.user_id,
        "grant.reinstated",
        _l("Grant %(grant)s is active again", grant=grant.id),
        _l(
            "Your grant to %(dataset)s@v%(version)s was reinstated: %(reason)s",
            dataset=grant.dataset_id,
            version=grant.version_number,
            reason=reason,
        ),
        f"/access/grants/{grant.id}",
    )
    return grant


def extend(session: Session, actor_id: str, grant: Grant, request: AccessRequest) -> Grant:
    """An approved renewal: the grant runs ``request.duration`` from now (never shorter)."""
    now = node_of(session).clock.now()
    if grant.status == GrantStatus.REVOKED:
        raise Conflict(
            _l("grant %(grant)s was revoked: it cannot be renewed", grant=grant.id),
            code="access.grant-revoked",
        )
    new_end = max(grant.expires_at, Duration.parse(request.duration).after(now))
    grant.expires_at = new_end
    grant.status = GrantStatus.ACTIVE
    for duty in grant.duties:
        if duty.kind == DutyKind.DELETION_ATTESTATION and duty.status == DutyStatus.OPEN:
            days = int(duty.details.get("within_days", duties.DEFAULT_DELETION_DAYS))
            duty.due_at = new_end + timedelta(days=days)
    request.grant_id = grant.id
    ledger.append(
        session,
        ledger.Event(
            "access.grant.renewed",
            subjects={"actor": actor_id, "holder": grant.user_id},
            public={"grant": grant.id, "request": request.id, "expires_at": new_end.isoformat()},
        ),
    )
    notifications.notify(
        session,
        grant.user_id,
        "grant.renewed",
        _l("Grant %(grant)s renewed", grant=grant.id),
        _l(
            "Your grant to %(dataset)s@v%(version)s now runs until %(until)s.",
            dataset=grant.dataset_id,
            version=grant.version_number,
            until=new_end.date(),
        ),
        f"/access/grants/{grant.id}",
    )
    return grant


def expire_due(session: Session, now: datetime) -> int:
    """Record the expiry of grants past their end (the check itself reads the clock)."""
    rows = session.scalars(
        select(Grant).where(Grant.status == GrantStatus.ACTIVE, Grant.expires_at <= now).limit(1000)
    ).all()
    for grant in rows:
        grant.status = GrantStatus.EXPIRED
        ledger.append(
            session,
            ledger.Event(
                "access.grant.expired",
                subjects={"holder": grant.user_id},
                public={"grant": grant.id, "dataset": grant.dataset_id},
            ),
        )
        notifications.notify(
            session,
            grant.user_id,
            "grant.expired",
            _l("Grant %(grant)s has expired", grant=grant.id),
            _l(
                "Your grant to %(dataset)s@v%(version)s ended on %(ended)s. Attest the deletion "
                "of your copies on its page.",
                dataset=grant.dataset_id,
                version=grant.version_number,
                ended=grant.expires_at.date(),
            ),
            f"/access/grants/{grant.id}",
        )
    return len(rows)
