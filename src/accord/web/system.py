"""Node-level routes: the public node descriptor, health checks, the OpenAPI document and docs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel

from accord.db import check_database
from accord.errors import NodeUnavailable
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.keys import fingerprint, public_key_b64
from accord.storage.blobs import blob_store_of
from accord.web.deps import NodeDep
from accord.web.security import require

router = APIRouter(tags=["node"])
Public = Annotated[Principal | None, Depends(require(Permission.PUBLIC))]

# Sections that domains add to the descriptor (e.g. the ledger's origin and verifier key).
DescriptorSection = Any


class Health(BaseModel):
    status: str


@router.get("/.well-known/accord-node")
def node_descriptor(node: NodeDep, _: Public, request: Request) -> dict[str, Any]:
    """Who this node is, its public key, and what it runs: fetched by peers and auditors."""
    public_key = node.signing_key.public_key()
    descriptor: dict[str, Any] = {
        **node.identity.as_json(),
        "software": {"name": "accord", "version": node.software_version},
        "public_key": {
            "algorithm": "Ed25519",
            "key": public_key_b64(public_key),
            "fingerprint": fingerprint(public_key),
        },
    }
    for section in request.app.state.descriptor_sections:
        descriptor.update(section(node))
    return descriptor


@router.get("/healthz", response_model=Health)
async def healthz(_: Public) -> Health:
    """The process is up (no dependencies checked)."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health)
def readyz(node: NodeDep, _: Public) -> Health:
    """The node can serve: its database answers and its blob store takes writes."""
    try:
        check_database(node.engine)
    except Exception as exc:  # any driver error means not ready
        raise NodeUnavailable("the database is not answering", code="not-ready") from exc
    try:
        blob_store_of(node).check_ready()
    except Exception as exc:  # any file system or S3 error means not ready
        raise NodeUnavailable("the blob store is not answering", code="not-ready") from exc
    return Health(status="ready")


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, _: Public) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs", include_in_schema=False)
def docs(_: Public) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Accord API",
        swagger_js_url="/static/swagger/swagger-ui-bundle.js",
        swagger_css_url="/static/swagger/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
    )
