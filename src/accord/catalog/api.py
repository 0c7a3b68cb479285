"""Catalog API: search, datasets and versions, files and their bytes, terms, manifests.

Routes parse, authorise (one declared permission each; object rights in the service), call the
service and shape the answer. Actions are POSTs to sub-resources (``…/publication``,
``…/withdrawal``, ``…/terms/acceptance``).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response

from accord.catalog import documents, schemas, service
from accord.catalog.access import require_download, terms_digest, terms_of
from accord.catalog.manifest import SignedManifest
from accord.catalog.metadata import DatasetMetadata
from accord.catalog.search import FACETS, SearchQuery, Sort, decode_cursor, search
from accord.catalog.verification import manifest_key, verify_catalog
from accord.errors import NotFound
from accord.i18n.translate import _l
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.keys import fingerprint, public_key_b64
from accord.ledger import rotation
from accord.storage.blobs import BlobInfo, blob_store_of
from accord.storage.responses import blob_response
from accord.storage.uploads import completed_upload
from accord.web.deps import NodeDep, SessionDep
from accord.web.security import require

router = APIRouter(prefix="/api/v1", tags=["catalog"])

Public = Annotated[Principal | None, Depends(require(Permission.PUBLIC))]
Values = Annotated[list[str] | None, Query(max_length=20)]
Version = Annotated[int, Query(ge=1)]


@router.get("/datasets", response_model=schemas.SearchPage)
def search_datasets(
    request: Request,
    response: Response,
    session: SessionDep,
    _: Public,
    q: Annotated[str, Query(max_length=500, description="Words that must all match")] = "",
    tier: Values = None,
    licence: Values = None,
    subject: Values = None,
    country: Values = None,
    organisation: Values = None,
    year: Values = None,
    sort: Sort | None = None,
    include_withdrawn: bool = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> schemas.SearchPage:
    """Full-text search with facets; values of one facet are alternatives, facets combine."""
    picked = dict(zip(FACETS, (tier, licence, subject, country, organisation, year), strict=True))
    query = SearchQuery(
        text=q,
        filters={k: tuple(v) for k, v in picked.items() if v},
        sort=sort,
        limit=limit,
        offset=decode_cursor(cursor),
        include_withdrawn=include_withdrawn,
    )
    page = documents.search_page(search(session, query))
    if page.next_cursor:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        link = urlencode([*params, ("cursor", page.next_cursor)])
        response.headers["Link"] = f'</api/v1/datasets?{link}>; rel="next"'
    return page


@router.post("/datasets", status_code=201, response_model=schemas.DatasetCreated)
def create_dataset(
    body: DatasetMetadata,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.DATASET_CREATE))],
) -> schemas.DatasetCreated:
    """Create a dataset with its draft version 1 from a full metadata document."""
    version = service.create_dataset(session, principal, body)
    session.commit()
    return schemas.DatasetCreated(
        dataset=documents.dataset_out(session, version.dataset, principal),
        version=documents.version_out(session, version),
    )


@router.get("/datasets/{dataset_id}", response_model=schemas.DatasetOut)
def get_dataset(dataset_id: str, session: SessionDep, principal: Public) -> schemas.DatasetOut:
    dataset = service.get_dataset(session, dataset_id)
    if not service.visible_versions(dataset, principal):
        raise NotFound(
            _l("no dataset %(dataset)r", dataset=dataset_id), code="catalog.dataset-not-found"
        )
    return documents.dataset_out(session, dataset, principal)


@router.get("/datasets/{dataset_id}/versions", response_model=list[schemas.VersionSummary])
def list_versions(
    dataset_id: str, session: SessionDep, principal: Public
) -> list[schemas.VersionSummary]:
    dataset = service.get_dataset(session, dataset_id)
    return [
        documents.version_summary(session, v) for v in service.visible_versions(dataset, principal)
    ]


@router.post("/datasets/{dataset_id}/versions", status_code=201, response_model=schemas.VersionOut)
def start_version(
    dataset_id: str,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.DATASET_UPDATE))],
) -> schemas.VersionOut:
    """Open the next draft, starting from the newest version's metadata and files."""
    version = service.start_version(session, principal, dataset_id)
    session.commit()
    return documents.version_out(session, version)


@router.get("/datasets/{dataset_id}/versions/{number}", response_model=schemas.VersionOut)
def get_version(
    dataset_id: str, number: int, session: SessionDep, principal: Public
) -> schemas.VersionOut:
    """A version's metadata and files; a withdrawn version keeps its record (the tombstone)."""
    return documents.version_out(
        session, service.get_version(session, dataset_id, number, principal)
    )


@router.put("/datasets/{dataset_id}/versions/{number}/metadata", response_model=schemas.VersionOut)
def update_metadata(
    dataset_id: str,
    number: int,
    body: DatasetMetadata,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.DATASET_UPDATE))],
) -> schemas.VersionOut:
    """Replace a draft's metadata (published versions are immutable: 409)."""
    version = service.update_draft(session, principal, dataset_id, number, body)
    session.commit()
    return documents.version_out(session, version)


@router.get("/datasets/{dataset_id}/versions/{number}/files", response_model=list[schemas.FileOut])
def list_files(
    dataset_id: str, number: int, session: SessionDep, principal: Public
) -> list[schemas.FileOut]:
    version = service.get_version(session, dataset_id, number, principal)
    return [documents.file_out(f) for f in version.files]


@router.post(
    "/datasets/{dataset_id}/versions/{number}/files",
    status_code=201,
    response_model=schemas.FileOut,
)
def attach_file(
    dataset_id: str,
    number: int,
    body: schemas.FileAttach,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.FILE_UPLOAD))],
    replace: bool = False,
) -> schemas.FileOut:
    """Attach a finished resumable upload (``/api/v1/uploads``) to a draft under ``path``."""
    if body.upload_id is not None:
        blob = completed_upload(session, body.upload_id, principal.user_id)
    else:
        assert body.sha256 is not None
        blob = service.stored_blob_for_operator(session, principal, body.sha256)
    file = service.add_file(
        session,
        principal,
        dataset_id,
        number,
        path=body.path,
        blob=blob,
        media_type=body.media_type,
        replace=replace,
    )
    session.commit()
    return documents.file_out(file)


@router.get(
    "/datasets/{dataset_id}/versions/{number}/files/{file_id}", response_model=schemas.FileOut
)
def get_file(
    dataset_id: str, number: int, file_id: str, session: SessionDep, principal: Public
) -> schemas.FileOut:
    version = service.get_version(session, dataset_id, number, principal)
    return documents.file_out(service.get_file(session, version, file_id))


@router.delete("/datasets/{dataset_id}/versions/{number}/files/{file_id}", status_code=204)
def remove_file(
    dataset_id: str,
    number: int,
    file_id: str,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.FILE_UPLOAD))],
) -> Response:
    service.remove_file(session, principal, dataset_id, number, file_id)
    session.commit()
    return Response(status_code=204)


_CONTENT = "/datasets/{dataset_id}/versions/{number}/files/{file_id}/content"
_BYTES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/octet-stream": {}}},
    206: {},
    304: {},
    416: {},
}


@router.get(_CONTENT, response_class=Response, responses=_BYTES)
@router.head(_CONTENT, response_class=Response, responses=_BYTES, operation_id="head_file_content")
def file_content(
    dataset_id: str,
    number: int,
    file_id: str,
    request: Request,
    session: SessionDep,
    node: NodeDep,
    principal: Public,
) -> Response:
    """The file's bytes (range requests, ETag = sha256) when ``may_download`` allows."""
    version = service.get_version(session, dataset_id, number, principal)
    file = service.get_file(session, version, file_id)
    require_download(session, principal, version)
    return blob_response(
        request,
        blob_store_of(node),
        BlobInfo(file.sha256, file.size),
        media_type=file.media_type,
        filename=file.name,
    )


@router.post(
    "/datasets/{dataset_id}/versions/{number}/publication", response_model=schemas.VersionOut
)
def publish(
    dataset_id: str,
    number: int,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.VERSION_PUBLISH))],
) -> schemas.VersionOut:
    """Publish a draft: it gets its persistent id and signed manifest and never changes again."""
    version = service.publish(session, principal, dataset_id, number)
    session.commit()
    return documents.version_out(session, version)


@router.post(
    "/datasets/{dataset_id}/versions/{number}/withdrawal", response_model=schemas.VersionOut
)
def withdraw(
    dataset_id: str,
    number: int,
    body: schemas.WithdrawalIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.VERSION_WITHDRAW))],
) -> schemas.VersionOut:
    """Withdraw a published version with a reason; its bytes are kept, its page a tombstone."""
    version = service.withdraw(session, principal, dataset_id, number, body.reason)
    session.commit()
    return documents.version_out(session, version)


@router.get("/datasets/{dataset_id}/versions/{number}/manifest", response_model=schemas.ManifestOut)
def get_manifest(
    dataset_id: str, number: int, session: SessionDep, node: NodeDep, principal: Public
) -> schemas.ManifestOut:
    """The signed manifest (RFC 8785 canonical JSON, Ed25519) of a published version."""
    version = service.get_version(session, dataset_id, number, principal)
    if version.manifest is None or version.manifest_signature is None:
        raise NotFound(
            f"{dataset_id}@v{number} has no manifest until it is published",
            code="catalog.manifest-not-found",
        )
    signed = SignedManifest(version.manifest.encode(), version.manifest_signature)
    public_key = manifest_key(version, signed, rotation.keyring(session))
    return schemas.ManifestOut(
        manifest=signed.document,
        manifest_sha256=signed.sha256,
        signature=signed.signature,
        public_key=public_key_b64(public_key),
        key_fingerprint=fingerprint(public_key),
    )


@router.get("/datasets/{dataset_id}/terms", response_model=schemas.TermsOut)
def get_terms(
    dataset_id: str,
    session: SessionDep,
    principal: Public,
    version: Version | None = None,
) -> schemas.TermsOut:
    """The terms of use a registered-tier user accepts before downloading."""
    chosen = service.get_version(session, dataset_id, version, principal)
    terms = terms_of(chosen)
    return schemas.TermsOut(
        dataset_id=dataset_id,
        version=chosen.number,
        tier=chosen.tier,
        terms=terms,
        terms_sha256=terms_digest(terms),
        accepted=service.terms_status(session, principal, chosen),
    )


@router.post(
    "/datasets/{dataset_id}/terms/acceptance",
    status_code=201,
    response_model=schemas.AcceptanceOut,
)
def accept_terms(
    dataset_id: str,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TERMS_ACCEPT))],
    version: Version | None = None,
) -> schemas.AcceptanceOut:
    """Accept the dataset's terms of use (recorded, and logged in the ledger)."""
    acceptance = service.accept_terms(session, principal, dataset_id, version)
    session.commit()
    return schemas.AcceptanceOut(
        dataset_id=acceptance.dataset_id,
        version=acceptance.version_number,
        terms_sha256=acceptance.terms_sha256,
        accepted_at=acceptance.accepted_at,
    )


@router.post("/catalog/verification", response_model=schemas.VerificationOut)
def verify(
    session: SessionDep,
    node: NodeDep,
    _: Annotated[Principal, Depends(require(Permission.NODE_ADMIN))],
) -> schemas.VerificationOut:
    """Re-hash every blob the catalog refers to and check every manifest signature."""
    return verify_catalog(session, blob_store_of(node), rotation.keyring(session))
