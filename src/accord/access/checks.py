"""The grant check every data access makes: downloads (catalog, DRS) and sandbox jobs.

These functions read only this package's tables, so the catalog's ``may_download`` and the
sandbox can call them without import cycles. They fail closed: no usable grant, no access,
with a reason saying which grant exists and why it does not open the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, case, exists, or_, select
from sqlalchemy.orm import Session, lazyload

from accord.access.grants import state_of
from accord.access.models import Grant, GrantStatus, Sanction, SanctionKind, SanctionSubject
from accord.access.suspensions import suspensions_of
from accord.db import UTCDateTime


@dataclass(frozen=True)
class GrantCheck:
    """The answer: ``grant_id`` of the grant that opens the data, or a refusal's code."""

    allowed: bool
    code: str
    message: str
    grant_id: str | None = None


@dataclass(frozen=True)
class SandboxGrant:
    """An active sandbox-mode grant, with the disclosure settings its agreement sets (if any)."""

    grant_id: str
    user_id: str
    dataset_id: str
    version_id: str
    expires_at: datetime
    agreement: str | None
    disclosure: dict[str, Any] | None


def check_download(session: Session, user_id: str, version_id: str, now: datetime) -> GrantCheck:
    """May ``user_id`` download the bytes of ``version_id`` under a grant, now?

    One indexed query answers an allowed download: the user's best live grant on the version
    (not suspended first, download mode first), with whether a suspension is in force on the
    user or the grant's organisation. Refusals take a second query, to say why.
    """
    params = {"user_id": user_id, "version_id": version_id, "now": now}
    connection = session.connection()
    live = connection.execute(_LIVE_GRANT, params).first()
    if live is None:
        latest = connection.execute(_LATEST_GRANT, params).first()
        if latest is None:
            return GrantCheck(False, "access.no-grant", "you hold no grant for this version")
        return _why_not(latest.id, latest.status, latest.expires_at)
    if live.suspended:
        return GrantCheck(
            False,
            "access.grant-paused",
            f"grant {live.id} is paused while a suspension is in force",
            live.id,
        )
    if live.mode != "download":
        return GrantCheck(
            False,
            "access.grant-sandbox-only",
            f"grant {live.id} is for the sandbox: the data stay at the node",
            live.id,
        )
    return GrantCheck(True, "access.grant", f"you hold grant {live.id}", live.id)


def _live_grant() -> Select[str, str, bool]:
    """Built once, executed with ``user_id``, ``version_id`` and ``now`` bound."""
    now = bindparam("now", type_=UTCDateTime())
    suspended = (
        exists()
        .where(
            Sanction.kind == SanctionKind.SUSPENSION,
            Sanction.lifted_at.is_(None),
            Sanction.starts_at <= now,
            or_(Sanction.ends_at.is_(None), Sanction.ends_at > now),
            or_(
                and_(
                    Sanction.subject_kind == SanctionSubject.USER,
                    Sanction.subject_id == bindparam("user_id"),
                ),
                and_(
                    Sanction.subject_kind == SanctionSubject.ORGANISATION,
                    Sanction.subject_id == Grant.organisation_id,
                ),
            ),
        )
        .label("suspended")
    )
    return (
        select(Grant.id, Grant.mode, suspended)
        .where(
            Grant.user_id == bindparam("user_id"),
            Grant.version_id == bindparam("version_id"),
            Grant.status == GrantStatus.ACTIVE,
            Grant.starts_at <= now,
            Grant.expires_at > now,
        )
        .order_by(suspended, case((Grant.mode == "download", 0), else_=1), Grant.expires_at.desc())
        .limit(1)
    )


_LIVE_GRANT = _live_grant()
_LATEST_GRANT = (
    select(Grant.id, Grant.status, Grant.expires_at)
    .where(Grant.user_id == bindparam("user_id"), Grant.version_id == bindparam("version_id"))
    .order_by(Grant.expires_at.desc())
    .limit(1)
)


def sandbox_grant_for(
    session: Session, user_id: str, version_id: str, now: datetime
) -> SandboxGrant | None:
    """The user's active sandbox-mode grant on ``version_id`` (None: no job may run)."""
    grants = [
        g
        for g in _grants(session, user_id, version_id)
        if g.mode == "sandbox" and state_of(g, now, suspended=False) == "active"
    ]
    if not grants or suspensions_of(session, user_id, grants[0].organisation_id, now):
        return None
    grant = grants[0]
    disclosure = grant.agreement_terms.get("disclosure")
    return SandboxGrant(
        grant_id=grant.id,
        user_id=grant.user_id,
        dataset_id=grant.dataset_id,
        version_id=grant.version_id,
        expires_at=grant.expires_at,
        agreement=grant.agreement_ref,
        disclosure=dict(disclosure) if isinstance(disclosure, dict) else None,
    )


def _grants(session: Session, user_id: str, version_id: str) -> list[Grant]:
    """The user's grants on the version, newest expiry first (one indexed query)."""
    return list(
        session.scalars(
            select(Grant)
            .options(lazyload(Grant.duties))
            .where(Grant.user_id == user_id, Grant.version_id == version_id)
            .order_by(Grant.expires_at.desc())
        )
    )


def _why_not(grant_id: str, status: str, expires_at: datetime) -> GrantCheck:
    if status == GrantStatus.REVOKED:
        return GrantCheck(False, "access.grant-revoked", f"grant {grant_id} was revoked", grant_id)
    return GrantCheck(
        False,
        "access.grant-expired",
        f"grant {grant_id} expired on {expires_at:%Y-%m-%d}",
        grant_id,
    )
