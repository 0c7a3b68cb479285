"""The grant check every data access makes: downloads (catalog, DRS) and sandbox jobs.

These functions read only this package's tables, so the catalog's ``may_download`` and the
sandbox can call them without import cycles. They fail closed: no usable grant, no access,
with a reason saying which grant exists and why it does not open the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, exists, or_, select
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

    One indexed query answers it: the user's grants on the version, newest expiry first, each
    with whether a suspension is in force on the user or on the grant's organisation.
    """
    params = {"user_id": user_id, "version_id": version_id, "now": now}
    rows = session.connection().execute(_DOWNLOAD_QUERY, params).all()
    if not rows:
        return GrantCheck(False, "access.no-grant", "you hold no grant for this version")
    live = [r for r in rows if r.status == GrantStatus.ACTIVE and r.starts_at <= now < r.expires_at]
    if not live:
        return _why_not(rows[0].id, rows[0].status, rows[0].expires_at)
    paused = next((r for r in live if r.suspended), None)
    if paused is not None:
        return GrantCheck(
            False,
            "access.grant-paused",
            f"grant {paused.id} is paused while a suspension is in force",
            paused.id,
        )
    download = next((r for r in live if r.mode == "download"), None)
    if download is None:
        return GrantCheck(
            False,
            "access.grant-sandbox-only",
            f"grant {live[0].id} is for the sandbox: the data stay at the node",
            live[0].id,
        )
    return GrantCheck(True, "access.grant", f"you hold grant {download.id}", download.id)


def _download_query() -> Select[str, str, str, datetime, datetime, bool]:
    """Built once, executed with ``user_id``, ``version_id`` and ``now`` bound."""
    now = bindparam("now", type_=UTCDateTime())
    suspended = exists().where(
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
    return (
        select(
            Grant.id,
            Grant.mode,
            Grant.status,
            Grant.starts_at,
            Grant.expires_at,
            suspended.label("suspended"),
        )
        .where(Grant.user_id == bindparam("user_id"), Grant.version_id == bindparam("version_id"))
        .order_by(Grant.expires_at.desc())
    )


_DOWNLOAD_QUERY = _download_query()


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
