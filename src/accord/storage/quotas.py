"""Upload quotas: how many bytes a user (and an organisation) may hold in uploads.

An upload counts from its creation (its declared length is reserved, so a client cannot run
past the quota with bytes in flight) until it is terminated, expires or fails its checks; a
completed upload keeps counting, since its bytes stay in the blob store. The check runs under
the log's lock, so concurrent creations by one user cannot both pass (decision 1312).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from accord.errors import PayloadTooLarge
from accord.ledger import service as ledger_service
from accord.node import node_of
from accord.storage.models import Upload

COUNTED_STATES = ("receiving", "complete")


@dataclass(frozen=True)
class Usage:
    user_id: str
    organisation_id: str | None
    used_bytes: int
    uploads: int
    quota_bytes: int | None
    organisation_used_bytes: int | None
    organisation_quota_bytes: int | None

    def as_json(self) -> dict[str, object]:
        return {
            "user_id": self.user_id,
            "organisation_id": self.organisation_id,
            "used_bytes": self.used_bytes,
            "uploads": self.uploads,
            "quota_bytes": self.quota_bytes,
            "organisation_used_bytes": self.organisation_used_bytes,
            "organisation_quota_bytes": self.organisation_quota_bytes,
        }


def check_quota(session: Session, user_id: str, organisation_id: str | None, length: int) -> None:
    """Raise ``PayloadTooLarge`` (413) if ``length`` more bytes would exceed a quota."""
    settings = node_of(session).settings
    per_user, per_org = settings.upload_quota_user_bytes, settings.upload_quota_organisation_bytes
    if per_user is None and (per_org is None or organisation_id is None):
        return
    ledger_service.next_seq(session)  # the log's lock: one quota decision at a time
    if per_user is not None:
        used = _used(session, Upload.owner_user_id == user_id)[0]
        if used + length > per_user:
            raise _exceeded("your", used, length, per_user)
    if per_org is not None and organisation_id is not None:
        used = _used(session, Upload.organisation_id == organisation_id)[0]
        if used + length > per_org:
            raise _exceeded("your organisation's", used, length, per_org)


def usage_of(session: Session, user_id: str, organisation_id: str | None) -> Usage:
    settings = node_of(session).settings
    used, count = _used(session, Upload.owner_user_id == user_id)
    org_used = None
    if organisation_id is not None:
        org_used = _used(session, Upload.organisation_id == organisation_id)[0]
    return Usage(
        user_id,
        organisation_id,
        used,
        count,
        settings.upload_quota_user_bytes,
        org_used,
        settings.upload_quota_organisation_bytes if organisation_id else None,
    )


def usage_by_user(session: Session, limit: int = 100) -> list[Usage]:
    """The heaviest uploaders first, for the node's admin."""
    settings = node_of(session).settings
    total = func.sum(Upload.length)
    rows = session.execute(
        select(Upload.owner_user_id, func.max(Upload.organisation_id), total, func.count())
        .where(Upload.state.in_(COUNTED_STATES))
        .group_by(Upload.owner_user_id)
        .order_by(total.desc(), Upload.owner_user_id)
        .limit(limit)
    ).all()
    return [
        Usage(
            str(user),
            org,
            int(used or 0),
            int(count),
            settings.upload_quota_user_bytes,
            None,
            settings.upload_quota_organisation_bytes if org else None,
        )
        for user, org, used, count in rows
    ]


def _used(session: Session, whose: ColumnElement[bool]) -> tuple[int, int]:
    used, count = session.execute(
        select(func.coalesce(func.sum(Upload.length), 0), func.count()).where(
            whose, Upload.state.in_(COUNTED_STATES)
        )
    ).one()
    return int(used), int(count)


def _exceeded(whose: str, used: int, length: int, quota: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"this upload of {_size(length)} would take {whose} uploads to {_size(used + length)}, "
        f"over the quota of {_size(quota)} ({_size(used)} used)",
        code="storage.quota-exceeded",
        hint="delete unfinished uploads (tus DELETE) or ask the node's admin for more space",
        extra={"used_bytes": used, "quota_bytes": quota, "upload_length": length},
    )


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    value = float(count)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024:
            return f"{value:.1f} {unit}"
    return f"{value / 1024:.1f} TiB"
