"""tus 1.0.0 resumable uploads at ``/api/v1/uploads`` (core, creation, creation-with-upload,
expiration, termination). Routes parse headers, authorise, and call ``accord.storage.uploads``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from email.utils import format_datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.routing import APIRoute

from accord.errors import AccordError, BadRequest
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.node import node_of
from accord.storage import quotas, tus, uploads
from accord.storage.blobs import blob_store_of
from accord.storage.models import Upload
from accord.storage.responses import blob_response
from accord.storage.schemas import SweepOut, UploadOut, UsageListOut, UsageOut
from accord.storage.staging import offset_conflict
from accord.web.deps import NodeDep, SessionDep
from accord.web.problems import problem_response
from accord.web.security import require

PREFIX = "/api/v1/uploads"
DEFAULT_MEDIA_TYPE = "application/octet-stream"


class TusRoute(APIRoute):
    """Every tus response, errors included, carries ``Tus-Resumable`` (core §Tus-Resumable)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def tus_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except AccordError as error:
                response = problem_response(request, error)
                if error.status == 412:
                    response.headers["Tus-Version"] = tus.VERSION
            response.headers["Tus-Resumable"] = tus.VERSION
            return response

        return tus_handler


router = APIRouter(prefix=PREFIX, tags=["storage"], route_class=TusRoute)
Uploader = Annotated[Principal, Depends(require(Permission.FILE_UPLOAD))]


@router.options("", status_code=204)
def discover(
    node: NodeDep, _: Annotated[Principal | None, Depends(require(Permission.PUBLIC))]
) -> Response:
    """Core §OPTIONS: versions, extensions and the largest upload accepted."""
    return Response(
        status_code=204,
        headers={
            "Tus-Version": tus.VERSION,
            "Tus-Extension": tus.EXTENSIONS,
            "Tus-Max-Size": str(node.settings.max_upload_bytes),
        },
    )


@router.post("", status_code=201)
async def create(request: Request, session: SessionDep, principal: Uploader) -> Response:
    """Creation §POST (+ creation-with-upload when the request carries bytes)."""
    tus.check_version(request.headers.get("tus-resumable"))
    if "upload-defer-length" in request.headers:
        raise BadRequest("this server needs Upload-Length up front", code="storage.tus-defer")
    length = tus.parse_count(request.headers.get("upload-length"), "Upload-Length")
    meta = tus.parse_metadata(request.headers.get("upload-metadata"))
    if _has_body(request):
        tus.check_offset_media_type(request.headers.get("content-type"))
    new = uploads.NewUpload(length, meta.filename, meta.media_type, meta.sha256, meta.pairs)
    upload = uploads.create_upload(session, principal.user_id, new, principal.organisation_id)
    session.commit()
    offset = 0
    if _has_body(request) or length == 0:
        offset = await uploads.append_chunks(session, upload, 0, request.stream())
    return Response(
        status_code=201,
        headers={"Location": f"{PREFIX}/{upload.id}", **_progress_headers(upload, offset)},
    )


@router.get("/usage", response_model=UsageOut)
def my_usage(session: SessionDep, principal: Uploader) -> UsageOut:
    """The bytes one holds in uploads, and the quotas that apply."""
    usage = quotas.usage_of(session, principal.user_id, principal.organisation_id)
    return UsageOut.model_validate(usage.as_json())


@router.get("/usage/users", response_model=UsageListOut)
def usage_by_user(
    session: SessionDep,
    _: Annotated[Principal, Depends(require(Permission.NODE_ADMIN))],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> UsageListOut:
    """The node's heaviest uploaders first, with the quotas that apply (admin)."""
    items = [UsageOut.model_validate(u.as_json()) for u in quotas.usage_by_user(session, limit)]
    return UsageListOut(items=items)


@router.post("/sweeps", response_model=SweepOut)
def run_sweep(
    session: SessionDep,
    node: NodeDep,
    _: Annotated[Principal, Depends(require(Permission.NODE_ADMIN))],
) -> SweepOut:
    """Drop expired unfinished uploads and stray staged files, delete released blobs (admin;
    idempotent: run it hourly or daily)."""
    done = uploads.sweep(session, node.clock.now())
    session.commit()
    return SweepOut(
        expired=done.expired,
        strays=done.strays,
        blobs_deleted=done.blobs_deleted,
        blobs_kept=done.blobs_kept,
    )


@router.head("/{upload_id}")
def head(upload_id: str, request: Request, session: SessionDep, principal: Uploader) -> Response:
    """Core §HEAD: where the upload stands, never cached."""
    tus.check_version(request.headers.get("tus-resumable"))
    upload = uploads.get_upload(session, upload_id, principal.user_id)
    uploads.check_receiving(upload, node_of(session).clock.now())
    offset = uploads.offset_of(session, upload)
    headers = _progress_headers(upload, offset) | {"Cache-Control": "no-store"}
    if upload.upload_metadata:
        headers["Upload-Metadata"] = tus.encode_metadata(upload.upload_metadata)
    return Response(status_code=200, headers=headers)


@router.get("/{upload_id}", response_model=UploadOut)
def read(upload_id: str, session: SessionDep, principal: Uploader) -> UploadOut:
    """The upload as JSON: state, offset and, once complete, the file's sha256."""
    upload = uploads.get_upload(session, upload_id, principal.user_id)
    return UploadOut.model_validate(
        {**_columns(upload), "offset": uploads.offset_of(session, upload)}
    )


@router.get("/{upload_id}/content")
def content(
    upload_id: str, request: Request, session: SessionDep, node: NodeDep, principal: Uploader
) -> Response:
    """The bytes of one's own completed upload (to check them before they are published)."""
    blob = uploads.completed_upload(session, upload_id, principal.user_id)
    upload = uploads.get_upload(session, upload_id, principal.user_id)
    return blob_response(
        request,
        blob_store_of(node),
        blob,
        media_type=upload.media_type or DEFAULT_MEDIA_TYPE,
        filename=upload.filename or upload.id,
    )


@router.patch("/{upload_id}", status_code=204)
async def append(
    upload_id: str, request: Request, session: SessionDep, principal: Uploader
) -> Response:
    """Core §PATCH: bytes at ``Upload-Offset``; completes the upload with its last byte."""
    tus.check_version(request.headers.get("tus-resumable"))
    tus.check_offset_media_type(request.headers.get("content-type"))
    offset = tus.parse_count(request.headers.get("upload-offset"), "Upload-Offset")
    upload = uploads.get_upload(session, upload_id, principal.user_id)
    uploads.check_receiving(upload, node_of(session).clock.now())
    if upload.state == uploads.UploadState.COMPLETE:
        if offset != upload.length:
            raise offset_conflict(upload.id, upload.length, offset)
        return Response(status_code=204, headers=_progress_headers(upload, upload.length))
    offset = await uploads.append_chunks(session, upload, offset, request.stream())
    return Response(status_code=204, headers=_progress_headers(upload, offset))


@router.delete("/{upload_id}", status_code=204)
def terminate(
    upload_id: str, request: Request, session: SessionDep, principal: Uploader
) -> Response:
    """Termination §DELETE: the upload and its staged bytes are gone."""
    tus.check_version(request.headers.get("tus-resumable"))
    uploads.terminate_upload(session, uploads.get_upload(session, upload_id, principal.user_id))
    session.commit()
    return Response(status_code=204)


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    return bool(length and length != "0") or "transfer-encoding" in request.headers


def _columns(upload: Upload) -> dict[str, object]:
    return {c.key: getattr(upload, c.key) for c in Upload.__mapper__.column_attrs}


def _progress_headers(upload: Upload, offset: int) -> dict[str, str]:
    return {
        "Upload-Offset": str(offset),
        "Upload-Length": str(upload.length),
        "Upload-Expires": format_datetime(upload.expires_at, usegmt=True),
    }
