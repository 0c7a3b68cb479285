"""The grant check every data access makes: downloads (catalog, DRS) and sandbox jobs.

These functions read only this package's tables, so the catalog's ``may_download`` and the
sandbox can call them without import cycles. They fail closed: no usable grant, no access,
with a reason saying which grant exists and why it does not open the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from accord.access.grants import state_of
from accord.access.models import Grant, GrantStatus
from accord.access.suspensions import suspensions_of


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
    """May ``user_id`` download the bytes of ``version_id`` under a grant, now?"""
    grants = _grants(session, user_id, version_id)
    if not grants:
        return GrantCheck(False, "access.no-grant", "you hold no grant for this version")
    live = [g for g in grants if state_of(g, now, suspended=False) == "active"]
    if not live:
        return _why_not(grants[0], now)
    if suspensions_of(session, user_id, live[0].organisation_id, now):
        return GrantCheck(
            False,
            "access.grant-paused",
            f"grant {live[0].id} is paused while a suspension is in force",
            live[0].id,
        )
    download = next((g for g in live if g.mode == "download"), None)
    if download is None:
        return GrantCheck(
            False,
            "access.grant-sandbox-only",
            f"grant {live[0].id} is for the sandbox: the data stay at the node",
            live[0].id,
        )
    return GrantCheck(True, "access.grant", f"you hold grant {download.id}", download.id)


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


def _why_not(grant: Grant, now: datetime) -> GrantCheck:
    if grant.status == GrantStatus.REVOKED:
        return GrantCheck(False, "access.grant-revoked", f"grant {grant.id} was revoked", grant.id)
    return GrantCheck(
        False,
        "access.grant-expired",
        f"grant {grant.id} expired on {grant.expires_at:%Y-%m-%d}",
        grant.id,
    )
