"""Storage API shapes: an upload as JSON (tus itself speaks in headers)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class UploadOut(BaseModel):
    """An upload; ``offset`` is how many of its ``length`` bytes the node holds."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    length: int
    offset: int
    state: str
    sha256: str | None
    filename: str | None
    media_type: str | None
    created_at: datetime
    expires_at: datetime


class UsageOut(BaseModel):
    """Bytes held in uploads (receiving or complete) and the quotas that apply (None: none)."""

    user_id: str
    organisation_id: str | None
    used_bytes: int
    uploads: int
    quota_bytes: int | None
    organisation_used_bytes: int | None
    organisation_quota_bytes: int | None


class UsageListOut(BaseModel):
    items: list[UsageOut]


class SweepOut(BaseModel):
    """What a storage sweep did: unfinished uploads expired, stray staged files removed, and
    released blobs deleted (or kept, because something references them again)."""

    expired: int
    strays: int
    blobs_deleted: int
    blobs_kept: int
