"""Resumable uploads (tus 1.0.0): rows in ``uploads``, bytes staged until the upload completes.

The HTTP protocol lives in ``accord.storage.api``; this module holds the operations it calls.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from accord.errors import Conflict, NotFound
from accord.storage.blobs import BlobInfo
from accord.storage.models import Upload


def completed_upload(session: Session, upload_id: str, owner_user_id: str) -> BlobInfo:
    """The blob a finished upload of ``owner_user_id`` produced.

    ``NotFound(storage.upload-missing)`` for unknown uploads and uploads of someone else (no
    access by guessing an id); ``Conflict(storage.upload-incomplete)`` while bytes are missing.
    """
    upload = session.get(Upload, upload_id)
    if upload is None or upload.owner_user_id != owner_user_id:
        raise NotFound(f"no upload {upload_id[:60]} of yours", code="storage.upload-missing")
    if upload.state != "complete" or upload.sha256 is None:
        raise Conflict(
            f"upload {upload_id} has {upload.offset} of {upload.length} bytes",
            code="storage.upload-incomplete",
            hint="resume the upload (tus PATCH) until all bytes are sent",
        )
    return BlobInfo(upload.sha256, upload.length)
