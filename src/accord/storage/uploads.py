"""Resumable uploads: create, append, complete, terminate and expire (tus 1.0.0 semantics).

Rows live in ``uploads`` (owned by the creating user); bytes are staged in one local file per
upload (``accord.storage.staging``). When the last byte arrives the staged file's size and
SHA-256 are checked and it is moved into the blob store. Creation, completion, failure,
termination and expiry are logged (DESIGN.md rule 1); the byte offset of an upload in progress
is transient progress kept beside the staged bytes, not in the database (decision 0202).
The HTTP side is ``accord.storage.api``.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import anyio
import anyio.to_thread
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import ClientDisconnect

from accord import ledger
from accord.errors import AccordError, Conflict, FieldError, Gone, InvalidInput, NotFound
from accord.ids import new_id
from accord.node import NodeContext, node_of
from accord.storage import releases
from accord.storage.blobs import BlobInfo, LocalBlobStore, blob_store_of
from accord.storage.ingest import check_declared, sha256_mismatch
from accord.storage.models import Upload
from accord.storage.paths import safe_file_path
from accord.storage.quotas import check_quota
from accord.storage.staging import Appender, UploadStaging

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}"
_MEDIA_TYPE = re.compile(f"{_TOKEN}/{_TOKEN}")
BATCH_BYTES = 1 << 20


class UploadState(StrEnum):
    RECEIVING = "receiving"
    COMPLETE = "complete"
    FAILED = "failed"


_OUTCOME_EVENTS = {
    UploadState.COMPLETE: "storage.upload.completed",
    UploadState.FAILED: "storage.upload.failed",
}


@dataclass(frozen=True)
class NewUpload:
    """A validated creation request: total length and what the metadata declared."""

    length: int
    filename: str | None = None
    media_type: str | None = None
    expected_sha256: str | None = None
    metadata: dict[str, str] | None = None


def create_upload(
    session: Session,
    owner_user_id: str,
    request: NewUpload,
    organisation_id: str | None = None,
) -> Upload:
    """Creation: a row and an empty staged file; refuses oversize, bad names, bad digests, and
    uploads beyond the owner's (or the organisation's) quota, before anything is written."""
    node = node_of(session)
    check_declared(request.expected_sha256, request.length, node.settings.max_upload_bytes)
    filename = safe_file_path(request.filename) if request.filename is not None else None
    media_type = checked_media_type(request.media_type)
    expire_uploads(session, node.clock.now())
    check_quota(session, owner_user_id, organisation_id, request.length)
    now = node.clock.now()
    upload = Upload(
        id=new_id("up"),
        owner_user_id=owner_user_id,
        organisation_id=organisation_id,
        length=request.length,
        state=UploadState.RECEIVING,
        expected_sha256=request.expected_sha256,
        filename=filename,
        media_type=media_type,
        upload_metadata=request.metadata or {},
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(hours=node.settings.upload_expiry_hours),
    )
    session.add(upload)
    staging_of(node).create(upload.id)
    ledger.append(
        session,
        ledger.Event(
            type="storage.upload.created",
            subjects={"actor": owner_user_id},
            public={"upload": upload.id, "length": upload.length},
            record={"filename": filename, "media_type": media_type},
        ),
    )
    return upload


def checked_media_type(value: str | None) -> str | None:
    """RFC 9110 §8.3.1 ``type/subtype`` without parameters, lower-cased; else InvalidInput."""
    if value is None or value == "":
        return None
    if _MEDIA_TYPE.fullmatch(value) is None:
        raise InvalidInput(
            f"{value[:80]!r} is not a media type like text/csv",
            code="storage.bad-media-type",
            errors=[FieldError("filetype", "expected type/subtype")],
        )
    return value.lower()


def get_upload(session: Session, upload_id: str, owner_user_id: str) -> Upload:
    """The caller's own upload; anyone else's is ``NotFound`` (no access by guessing an id)."""
    upload = session.get(Upload, upload_id)
    if upload is None or upload.owner_user_id != owner_user_id:
        raise NotFound(f"no upload {upload_id[:60]} of yours", code="storage.upload-missing")
    return upload


def completed_upload(session: Session, upload_id: str, owner_user_id: str) -> BlobInfo:
    """The blob a finished upload of ``owner_user_id`` produced.

    ``NotFound(storage.upload-missing)`` for unknown uploads and uploads of someone else;
    ``Conflict(storage.upload-incomplete)`` while bytes are missing or after a failed check.
    """
    upload = get_upload(session, upload_id, owner_user_id)
    if upload.state != UploadState.COMPLETE or upload.sha256 is None:
        raise Conflict(
            f"upload {upload_id} is {upload.state}, not complete",
            code="storage.upload-incomplete",
            hint="resume the upload (tus PATCH) until all bytes are sent",
        )
    return BlobInfo(upload.sha256, upload.length)


def offset_of(session: Session, upload: Upload) -> int:
    """How many bytes of the upload the node holds."""
    if upload.state == UploadState.RECEIVING:
        return staging_of(node_of(session)).offset_of(upload.id)
    return upload.length if upload.state == UploadState.COMPLETE else 0


def check_receiving(upload: Upload, now: datetime) -> None:
    """The upload still takes bytes (else 410): it has not failed nor expired."""
    if upload.state == UploadState.FAILED:
        raise Gone(f"upload {upload.id} failed its checks", code="storage.upload-failed")
    if upload.expires_at <= now and upload.state == UploadState.RECEIVING:
        raise Gone(f"upload {upload.id} expired", code="storage.upload-expired")


async def append_chunks(
    session: Session, upload: Upload, offset: int, chunks: AsyncIterator[bytes]
) -> int:
    """Core §PATCH: stream ``chunks`` onto the upload from ``offset``; complete it at the end.

    Returns the new offset. The database transaction is closed while bytes flow (SQLite's
    write lock is not held for the length of a transfer). A client that disconnects keeps the
    bytes that arrived (core §PATCH: the server should store as much as it received).
    """
    node = node_of(session)
    staging = staging_of(node)
    session.commit()
    with staging.appending(upload.id, offset) as appender:
        await _receive(appender, chunks, upload.length)
        await anyio.to_thread.run_sync(staging.commit, upload.id, appender)
        if appender.offset == upload.length:
            await anyio.to_thread.run_sync(_complete, session, upload, appender)
    return appender.offset


async def _receive(appender: Appender, chunks: AsyncIterator[bytes], length: int) -> bool:
    """Receive a batch while the previous one is written and hashed off the event loop (a
    two-stage pipeline holding a few batches at most); True if the client went away."""
    send, receive = anyio.create_memory_object_stream[list[bytes]](max_buffer_size=2)
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(_write_batches, appender, receive)
            async with send:
                disconnected = await _batch(chunks, send, appender.offset, length)
    except BaseExceptionGroup as errors:
        raise errors.exceptions[0] from None
    return disconnected


async def _batch(
    chunks: AsyncIterator[bytes],
    send: MemoryObjectSendStream[list[bytes]],
    offset: int,
    length: int,
) -> bool:
    batch: list[bytes] = []
    size = 0
    try:
        async for chunk in chunks:
            offset += len(chunk)
            if offset > length:
                raise _beyond_length(length)
            batch.append(chunk)
            size += len(chunk)
            if size >= BATCH_BYTES:
                await send.send(batch)
                batch, size = [], 0
    except ClientDisconnect:
        await send.send(batch)
        return True
    await send.send(batch)
    return False


async def _write_batches(
    appender: Appender, receive: MemoryObjectReceiveStream[list[bytes]]
) -> None:
    async with receive:
        async for batch in receive:
            await anyio.to_thread.run_sync(appender.write, batch)


def _beyond_length(length: int) -> InvalidInput:
    return InvalidInput(
        f"the bytes sent go beyond the upload's declared length of {length}",
        code="storage.size-mismatch",
        hint="declare the exact file size in Upload-Length",
    )


def _complete(session: Session, upload: Upload, appender: Appender) -> None:
    """Verify the whole file's digest, move it into the blob store, log the outcome."""
    node = node_of(session)
    staging = staging_of(node)
    sha256 = appender.digest.hexdigest()
    if upload.expected_sha256 is not None and sha256 != upload.expected_sha256:
        staging.discard(upload.id)
        _finish(session, upload, UploadState.FAILED, None)
        raise sha256_mismatch(upload.expected_sha256, sha256)
    blob_store_of(node).import_file(staging.path_of(upload.id), sha256)
    staging.discard(upload.id)
    try:
        releases.claim(session, sha256)
    except AccordError:
        _finish(session, upload, UploadState.FAILED, None)
        raise
    _finish(session, upload, UploadState.COMPLETE, sha256)


def _finish(session: Session, upload: Upload, state: UploadState, sha256: str | None) -> None:
    upload.state = state
    upload.sha256 = sha256
    upload.updated_at = node_of(session).clock.now()
    ledger.append(
        session,
        ledger.Event(
            type=_OUTCOME_EVENTS[state],
            subjects={"actor": upload.owner_user_id},
            public={"upload": upload.id, "size": upload.length},
            record={"sha256": sha256, "expected_sha256": upload.expected_sha256},
        ),
    )
    session.commit()


def terminate_upload(session: Session, upload: Upload) -> None:
    """Termination: forget the upload and its staged bytes; the blob of a finished upload is
    released if nothing else references it (``accord.storage.releases``)."""
    node = node_of(session)
    staging_of(node).discard(upload.id)
    session.delete(upload)
    ledger.append(
        session,
        ledger.Event(
            type="storage.upload.terminated",
            subjects={"actor": upload.owner_user_id},
            public={"upload": upload.id},
        ),
    )
    if upload.state == UploadState.COMPLETE and upload.sha256 is not None:
        session.flush()
        releases.release(
            session, upload.sha256, upload.length, upload.owner_user_id, node.clock.now()
        )


def expire_uploads(session: Session, now: datetime) -> int:
    """Expiration: drop unfinished uploads past ``expires_at`` and their staged bytes."""
    staging = staging_of(node_of(session))
    expired = session.scalars(
        select(Upload).where(Upload.state == UploadState.RECEIVING, Upload.expires_at <= now)
    ).all()
    for upload in expired:
        staging.discard(upload.id)
        session.delete(upload)
        ledger.append(
            session,
            ledger.Event(type="storage.upload.expired", public={"upload": upload.id}),
        )
    return len(expired)


@dataclass(frozen=True)
class Sweep:
    """What one storage sweep did."""

    expired: int
    strays: int
    blobs_deleted: int
    blobs_kept: int


def sweep(session: Session, now: datetime) -> Sweep:
    """The storage sweep (``accord upload sweep``, ``POST /api/v1/uploads/sweeps``; run it
    hourly or daily): drop expired unfinished uploads (logged), staged files that no upload owns
    once they are older than an upload may live (left by a creation whose transaction failed),
    and the bytes of released blobs nothing references any more (logged)."""
    expired = expire_uploads(session, now)
    session.commit()
    node = node_of(session)
    owned = set(session.scalars(select(Upload.id).where(Upload.state == UploadState.RECEIVING)))
    before = now - timedelta(hours=node.settings.upload_expiry_hours)
    strays = staging_of(node).discard_strays(owned, before)
    collected = releases.collect(session)
    return Sweep(expired, strays, collected.deleted, collected.kept)


_STAGING: weakref.WeakKeyDictionary[NodeContext, UploadStaging] = weakref.WeakKeyDictionary()
_STAGING_LOCK = threading.Lock()


def staging_of(node: NodeContext) -> UploadStaging:
    """Staging beside local blobs (so completion is a rename), else ``<data_dir>/uploads``."""
    with _STAGING_LOCK:
        staging = _STAGING.get(node)
        if staging is None:
            store = blob_store_of(node)
            root = (
                store.root / ".uploads"
                if isinstance(store, LocalBlobStore)
                else node.settings.data_dir / "uploads"
            )
            staging = _STAGING[node] = UploadStaging(root)
        return staging
