"""tus 1.0.0 resumable uploads at ``/api/v1/uploads`` (core, creation, creation-with-upload,
expiration, termination). Routes parse headers, authorise, and call ``accord.storage.uploads``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from email.utils import format_datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.routing import APIRoute

from accord.errors import AccordError, BadRequest
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.node import node_of
from accord.storage import tus, uploads
from accord.storage.blobs import blob_store_of
from accord.storage.models import Upload
from accord.storage.responses import blob_response
from accord.storage.schemas import UploadOut
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
    upload = uploads.create_upload(session, principal.user_id, new)
    session.commit()
    if _has_body(request) or length == 0:
        await uploads.append_chunks(session, upload, request.stream())
    return Response(
        status_code=201,
        headers={"Location": f"{PREFIX}/{upload.id}", **_progress_headers(upload)},
    )


@router.head("/{upload_id}")
def head(upload_id: str, request: Request, session: SessionDep, principal: Uploader) -> Response:
    """Core §HEAD: where the upload stands, never cached."""
    tus.check_version(request.headers.get("tus-resumable"))
    upload = uploads.get_upload(session, upload_id, principal.user_id)
    uploads.check_receiving(upload, upload.offset, node_of(session).clock.now())
    headers = _progress_headers(upload) | {"Cache-Control": "no-store"}
    if upload.upload_metadata:
        headers["Upload-Metadata"] = tus.encode_metadata(upload.upload_metadata)
    return Response(status_code=200, headers=headers)


@router.get("/{upload_id}", response_model=UploadOut)
def read(upload_id: str, session: SessionDep, principal: Uploader) -> UploadOut:
    """The upload as JSON: state, offset and, once complete, the file's sha256."""
    return UploadOut.model_validate(uploads.get_upload(session, upload_id, principal.user_id))


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
    uploads.check_receiving(upload, offset, node_of(session).clock.now())
    if upload.state == uploads.UploadState.RECEIVING:
        await uploads.append_chunks(session, upload, request.stream())
    return Response(status_code=204, headers=_progress_headers(upload))


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


def _progress_headers(upload: Upload) -> dict[str, str]:
    return {
        "Upload-Offset": str(upload.offset),
        "Upload-Length": str(upload.length),
        "Upload-Expires": format_datetime(upload.expires_at, usegmt=True),
    }
