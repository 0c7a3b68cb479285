"""GA4GH Data Repository Service (DRS) 1.4: dataset files as DRS objects.

- A file (``fil_…``) is a blob object: size, media type, ``sha-256`` checksum and one ``https``
  access method whose URL is the catalog's content route (range requests, ETag = sha256).
- A version (``dv_…``) is a bundle object whose contents are its files; its checksum is the
  SHA-256 of the sorted, concatenated checksums of its contents (DRS 1.4, "Checksums").
- Access follows ``may_download``: controlled and restricted bytes are refused with a problem
  document that says how to request access. Errors also carry DRS's ``msg`` and ``status_code``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from accord.catalog import service
from accord.catalog.access import require_download
from accord.catalog.documents import content_url
from accord.catalog.models import DatasetFile, DatasetVersion
from accord.clock import rfc3339
from accord.errors import AccordError, NotFound
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.node import NodeContext
from accord.web.deps import NodeDep, SessionDep
from accord.web.security import require

router = APIRouter(prefix="/ga4gh/drs/v1", tags=["ga4gh-drs"])
Public = Annotated[Principal | None, Depends(require(Permission.PUBLIC))]
DRS_VERSION = "1.4.0"
ACCESS_ID = "https"


class Checksum(BaseModel):
    checksum: str
    type: str = "sha-256"


class AccessMethod(BaseModel):
    type: str = "https"
    access_id: str = ACCESS_ID


class ContentsObject(BaseModel):
    name: str
    id: str
    drs_uri: list[str]


class DrsObject(BaseModel):
    id: str
    name: str
    self_uri: str
    size: int
    created_time: str
    updated_time: str
    version: str
    mime_type: str | None = None
    checksums: list[Checksum]
    access_methods: list[AccessMethod] = Field(default_factory=list)
    contents: list[ContentsObject] | None = None
    description: str | None = None
    aliases: list[str] = Field(default_factory=list)


class AccessUrl(BaseModel):
    url: str
    headers: list[str] = Field(default_factory=list)


@router.get("/service-info")
def service_info(node: NodeDep, _: Public) -> dict[str, Any]:
    """GA4GH service-info 1.0 for this node's DRS."""
    return {
        "id": f"{_reverse_domain(node)}.drs",
        "name": f"{node.identity.name} DRS",
        "type": {"group": "org.ga4gh", "artifact": "drs", "version": DRS_VERSION},
        "description": "Dataset files of this Accord node as GA4GH DRS objects",
        "organization": {"name": node.identity.name, "url": node.identity.base_url},
        "version": node.software_version,
        "drs": {"maxBulkRequestLength": 1},
    }


@router.get("/objects/{object_id}", response_model=DrsObject, response_model_exclude_none=True)
def get_object(object_id: str, session: SessionDep, node: NodeDep, principal: Public) -> DrsObject:
    """A file (blob) or a dataset version (bundle) as a DRS object."""
    with _drs_errors():
        if object_id.startswith("dv_"):
            return _bundle(session, node, _visible_version(session, object_id, principal))
        file = _visible_file(session, object_id, principal)
        return _blob(node, file)


@router.get("/objects/{object_id}/access/{access_id}", response_model=AccessUrl)
def get_access_url(
    object_id: str, access_id: str, session: SessionDep, node: NodeDep, principal: Public
) -> AccessUrl:
    """Where to fetch the bytes, if ``may_download`` allows this caller."""
    with _drs_errors():
        file = _visible_file(session, object_id, principal)
        if access_id != ACCESS_ID:
            raise NotFound(
                f"{object_id} has no access method {access_id[:40]!r}",
                code="catalog.drs-access-id",
            )
        require_download(session, principal, file.version)
        return AccessUrl(url=f"{node.identity.base_url}{content_url(file)}")


def _visible_file(session: Session, object_id: str, principal: Principal | None) -> DatasetFile:
    file = service.find_file(session, object_id)
    service.get_version(session, file.version.dataset_id, file.version.number, principal)
    return file


def _visible_version(
    session: Session, version_id: str, principal: Principal | None
) -> DatasetVersion:
    version = session.get(DatasetVersion, version_id) if len(version_id) <= 40 else None
    if version is None:
        raise NotFound(f"no object {version_id[:60]!r}", code="catalog.file-not-found")
    return service.get_version(session, version.dataset_id, version.number, principal)


def _blob(node: NodeContext, file: DatasetFile) -> DrsObject:
    version = file.version
    return DrsObject(
        id=file.id,
        name=file.name,
        self_uri=_drs_uri(node, file.id),
        size=file.size,
        created_time=rfc3339(file.created_at),
        updated_time=rfc3339(version.published_at or file.created_at),
        version=str(version.number),
        mime_type=file.media_type,
        checksums=[Checksum(checksum=file.sha256)],
        access_methods=[AccessMethod()],
        description=f"{file.path} in {version.title}",
        aliases=[f"{node.identity.node_id}/{version.dataset_id}@v{version.number}/{file.path}"],
    )


def _bundle(session: Session, node: NodeContext, version: DatasetVersion) -> DrsObject:
    checksums = "".join(sorted(f.sha256 for f in version.files))
    return DrsObject(
        id=version.id,
        name=version.title,
        self_uri=_drs_uri(node, version.id),
        size=sum(f.size for f in version.files),
        created_time=rfc3339(version.created_at),
        updated_time=rfc3339(version.updated_at),
        version=str(version.number),
        checksums=[Checksum(checksum=hashlib.sha256(checksums.encode()).hexdigest())],
        contents=[
            ContentsObject(name=f.path, id=f.id, drs_uri=[_drs_uri(node, f.id)])
            for f in version.files
        ],
        description=version.title,
        aliases=[service.pid_of(session, version)],
    )


def _drs_uri(node: NodeContext, object_id: str) -> str:
    """``drs://<hostname>/<id>`` (DRS 1.4, "DRS URIs", hostname-based)."""
    return f"drs://{urlsplit(node.identity.base_url).netloc}/{object_id}"


def _reverse_domain(node: NodeContext) -> str:
    host = urlsplit(node.identity.base_url).hostname or node.identity.node_id
    return ".".join(reversed(host.split(".")))


@contextmanager
def _drs_errors() -> Iterator[None]:
    """Add DRS's Error fields (``msg``, ``status_code``) to the problem document."""
    try:
        yield
    except AccordError as error:
        error.extra = {**error.extra, "msg": error.message, "status_code": error.status}
        raise
