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
