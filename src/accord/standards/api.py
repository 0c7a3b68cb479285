"""Standards API: exports and citations of published versions, the DCAT catalogue, imports,
and the OAI-PMH endpoint.

Routes parse, authorise (one declared permission each; object rights in the services), call
the services and shape the answer. Export URLs end in the export's file name
(``…/exports/datacite.xml``), so a saved export keeps a meaningful name.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from accord.catalog import documents
from accord.catalog import schemas as catalog_schemas
from accord.catalog import service as catalog
from accord.catalog.access import require_download
from accord.catalog.manifest import SignedManifest
from accord.catalog.metadata import Tier
from accord.catalog.models import DatasetVersion, SearchEntry, VersionState
from accord.errors import BadRequest, NotFound, UnsupportedMediaType
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.keys import fingerprint, public_key_b64
from accord.node import NodeContext
from accord.standards import citations, dcat, exports, imports, pages, schemas
from accord.standards.exports import EXPORTS, ExportName
from accord.standards.oai import service as oai
from accord.standards.oai.index import rebuild
from accord.standards.oai.tokens import token_key
from accord.standards.rdf import MEDIA_TYPES, RdfFormat, serialize
from accord.standards.record import VersionRecord, export_path
from accord.standards.records import node_info, published_record, record_of, require_published
from accord.standards.ro_crate import stream_crate
from accord.storage.blobs import blob_store_of
from accord.storage.uploads import completed_upload
from accord.web.deps import NodeDep, SessionDep
from accord.web.security import require

router = APIRouter(tags=["standards"])
router.include_router(pages.router)

Public = Annotated[Principal | None, Depends(require(Permission.PUBLIC))]
Version = Annotated[int, Query(ge=1)]
CATALOGUE_PAGE = 100
MAX_CATALOGUE_PAGE = 1000
MACHINE_READABLE = (ExportName.BIBTEX, ExportName.RIS, ExportName.CSL_JSON)
CitationFormat = Literal["json", "text", "html"]


# --- exports --------------------------------------------------------------------------------


@router.get(
    "/api/v1/datasets/{dataset_id}/versions/{number}/exports", response_model=schemas.ExportList
)
def list_exports(
    dataset_id: str, number: int, session: SessionDep, principal: Public
) -> schemas.ExportList:
    """The exports of a published version, with their media types and URLs."""
    record = published_record(session, dataset_id, number, principal)
    return schemas.ExportList(
        dataset_id=dataset_id,
        version=number,
        pid=record.pid,
        items=[_export_out(record, name) for name in ExportName],
    )


@router.get(
    "/api/v1/datasets/{dataset_id}/versions/{number}/exports/{name}",
    response_class=Response,
    responses={200: {"content": {e.media_type: {} for e in EXPORTS.values()}}},
)
def get_export(
    dataset_id: str,
    number: int,
    name: ExportName,
    session: SessionDep,
    node: NodeDep,
    principal: Public,
) -> Response:
    """One export of a published version (the RO-Crate ZIP needs the right to download)."""
    return _export(session, node, principal, dataset_id, number, name)


@router.get(
    "/api/v1/datasets/{dataset_id}/exports/{name}",
    response_class=Response,
    responses={200: {"content": {e.media_type: {} for e in EXPORTS.values()}}},
)
def get_current_export(
    dataset_id: str, name: ExportName, session: SessionDep, node: NodeDep, principal: Public
) -> Response:
    """One export of the dataset's newest published version."""
    return _export(session, node, principal, dataset_id, None, name)


def _export(
    session: Session,
    node: NodeContext,
    principal: Principal | None,
    dataset_id: str,
    number: int | None,
    name: ExportName,
) -> Response:
    version = catalog.get_version(session, dataset_id, number, principal)
    require_published(version)
    record = record_of(session, version)
    headers = {
        "Link": f'<{record.landing_url}>; rel="describes"',
        "Content-Location": export_path(record.dataset_id, record.number, name),
    }
    if name is not ExportName.RO_CRATE:
        body = exports.render(record, name)
        return Response(body, media_type=exports.content_type(name), headers=headers)
    require_download(session, principal, version)
    signed = SignedManifest((version.manifest or "").encode(), version.manifest_signature or "")
    manifest = _manifest_document(signed, node)
    filename = f"{record.dataset_id}-v{record.number}.ro-crate.zip"
    return StreamingResponse(
        stream_crate(record, manifest, blob_store_of(node)),
        media_type="application/zip",
        headers={**headers, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _manifest_document(signed: SignedManifest, node: NodeContext) -> bytes:
    public_key = node.signing_key.public_key()
    document = catalog_schemas.ManifestOut(
        manifest=signed.document,
        manifest_sha256=signed.sha256,
        signature=signed.signature,
        public_key=public_key_b64(public_key),
        key_fingerprint=fingerprint(public_key),
    )
    return document.model_dump_json(indent=2).encode()


def _export_out(record: VersionRecord, name: ExportName) -> schemas.ExportOut:
    export = EXPORTS[name]
    return schemas.ExportOut(
        name=name,
        media_type=export.media_type,
        title=export.title,
        standard=export.standard,
        url=record.export_url(name),
    )


# --- citations ------------------------------------------------------------------------------


@router.get(
    "/api/v1/datasets/{dataset_id}/versions/{number}/citations",
    response_model=schemas.CitationList,
)
def list_citations(
    dataset_id: str, number: int, session: SessionDep, principal: Public
) -> schemas.CitationList:
    """The version cited in every style, with links to BibTeX, RIS and CSL-JSON."""
    record = published_record(session, dataset_id, number, principal)
    return schemas.CitationList(
        dataset_id=dataset_id,
        version=number,
        pid=record.pid,
        items=[_citation_out(c) for c in citations.format_all(record)],
        machine_readable=[_export_out(record, name) for name in MACHINE_READABLE],
    )


@router.get(
    "/api/v1/datasets/{dataset_id}/versions/{number}/citations/{style}",
    response_model=schemas.CitationOut,
    responses={200: {"content": {"text/plain": {}, "text/html": {}}}},
)
def get_citation(
    dataset_id: str,
    number: int,
    style: citations.Style,
    session: SessionDep,
    principal: Public,
    format: CitationFormat = "json",
) -> Response:
    """One formatted citation: JSON by default, or the bare text or HTML (``format``)."""
    record = published_record(session, dataset_id, number, principal)
    return _citation_response(record, style, format)


@router.get(
    "/api/v1/datasets/{dataset_id}/citations/{style}",
    response_model=schemas.CitationOut,
    responses={200: {"content": {"text/plain": {}, "text/html": {}}}},
)
def get_current_citation(
    dataset_id: str,
    style: citations.Style,
    session: SessionDep,
    principal: Public,
    format: CitationFormat = "json",
) -> Response:
    """One formatted citation of the dataset's newest published version."""
    record = published_record(session, dataset_id, None, principal)
    return _citation_response(record, style, format)


def _citation_response(
    record: VersionRecord, style: citations.Style, format: CitationFormat
) -> Response:
    cited = citations.format_citation(record, style)
    if format == "text":
        return Response(cited.text, media_type="text/plain; charset=utf-8")
    if format == "html":
        return Response(cited.html, media_type="text/html; charset=utf-8")
    return Response(_citation_out(cited).model_dump_json(), media_type="application/json")


def _citation_out(cited: citations.FormattedCitation) -> schemas.CitationOut:
    return schemas.CitationOut(
        style=cited.style, title=cited.title, text=cited.text, html=cited.html
    )


# --- the DCAT catalogue ---------------------------------------------------------------------


@router.get(
    "/catalog.ttl", response_class=Response, responses={200: {"content": {"text/turtle": {}}}}
)
def catalogue_turtle(
    request: Request,
    session: SessionDep,
    _: Public,
    limit: Annotated[int, Query(ge=1, le=MAX_CATALOGUE_PAGE)] = CATALOGUE_PAGE,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The node's DCAT-AP 3 catalogue in Turtle (Hydra paging when it is long)."""
    return _catalogue(request, session, "turtle", limit, cursor)


@router.get(
    "/catalog.jsonld",
    response_class=Response,
    responses={200: {"content": {"application/ld+json": {}}}},
)
def catalogue_json_ld(
    request: Request,
    session: SessionDep,
    _: Public,
    limit: Annotated[int, Query(ge=1, le=MAX_CATALOGUE_PAGE)] = CATALOGUE_PAGE,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The node's DCAT-AP 3 catalogue in JSON-LD."""
    return _catalogue(request, session, "json-ld", limit, cursor)


@router.get(
    "/catalog.rdf",
    response_class=Response,
    responses={200: {"content": {"application/rdf+xml": {}}}},
)
def catalogue_rdf_xml(
    request: Request,
    session: SessionDep,
    _: Public,
    limit: Annotated[int, Query(ge=1, le=MAX_CATALOGUE_PAGE)] = CATALOGUE_PAGE,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The node's DCAT-AP 3 catalogue in RDF/XML."""
    return _catalogue(request, session, "xml", limit, cursor)


def _catalogue(
    request: Request, session: Session, fmt: RdfFormat, limit: int, cursor: str | None
) -> Response:
    offset = _decode_offset(cursor)
    published = select(SearchEntry.version_id).where(SearchEntry.state == VersionState.PUBLISHED)
    total = session.scalar(select(func.count()).select_from(published.subquery())) or 0
    version_ids = session.scalars(
        published.order_by(SearchEntry.published_at.desc(), SearchEntry.id)
        .offset(offset)
        .limit(limit)
    ).all()
    records = [_current_record(session, version_id) for version_id in version_ids]
    node = node_info(session)
    path = request.url.path
    page_url = f"{node.base_url}{path}" + (f"?{request.url.query}" if request.url.query else "")
    next_offset = offset + limit if offset + limit < total else None
    next_url = (
        f"{node.base_url}{path}?limit={limit}&cursor={_encode_offset(next_offset)}"
        if next_offset is not None
        else None
    )
    paged = offset > 0 or next_url is not None
    page = dcat.CataloguePage(page_url, next_url, total) if paged else None
    body = serialize(dcat.catalogue_graph(node, records, page), fmt)
    headers = {"Link": f'<{next_url}>; rel="next"'} if next_url else {}
    return Response(body, media_type=f"{MEDIA_TYPES[fmt]}; charset=utf-8", headers=headers)


def _current_record(session: Session, version_id: str) -> VersionRecord:
    version = session.get(DatasetVersion, version_id)
    if version is None:  # withdrawn between the listing and this read
        raise NotFound(f"no version {version_id}", code="catalog.version-not-found")
    return record_of(session, version)


def _encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode().rstrip("=")


def _decode_offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if text.startswith("o") and text[1:].isdigit():
            return int(text[1:])
    except (binascii.Error, UnicodeDecodeError):
        pass
    raise BadRequest("the cursor is not one this node issued", code="standards.bad-cursor")


# --- imports --------------------------------------------------------------------------------

DATACITE_XML_TYPES = ("application/vnd.datacite.datacite+xml", "application/xml", "text/xml")
DATACITE_JSON_TYPES = ("application/vnd.datacite.datacite+json", "application/json")


@router.post(
    "/api/v1/dataset-imports/datacite",
    status_code=201,
    response_model=catalog_schemas.DatasetCreated,
    openapi_extra={
        "requestBody": {
            "content": {t: {} for t in (*DATACITE_XML_TYPES[:1], *DATACITE_JSON_TYPES[:1])}
        }
    },
)
async def import_datacite(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.DATASET_CREATE))],
    organisation_id: Annotated[str, Query(min_length=1, max_length=40)],
    tier: Tier | None = None,
) -> catalog_schemas.DatasetCreated:
    """A draft from a DataCite record (XML kernel-4, or JSON as DataCite's REST API sends it)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    data = await request.body()
    if media_type in DATACITE_XML_TYPES:
        importer = imports.import_datacite_xml
    elif media_type in DATACITE_JSON_TYPES:
        importer = imports.import_datacite_json
    else:
        raise UnsupportedMediaType(
            f"cannot import {media_type or 'a body without a content type'}",
            code="standards.unsupported-import",
            hint=f"send {DATACITE_XML_TYPES[0]} or {DATACITE_JSON_TYPES[0]}",
        )

    def run() -> catalog_schemas.DatasetCreated:
        version = importer(session, principal, data, organisation_id, tier)
        session.commit()
        return _created(session, version, principal)

    return await run_in_threadpool(run)


@router.post(
    "/api/v1/dataset-imports/ro-crate",
    status_code=201,
    response_model=catalog_schemas.DatasetCreated,
)
def import_ro_crate(
    body: schemas.CrateImport,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.DATASET_CREATE))],
) -> catalog_schemas.DatasetCreated:
    """A draft with the metadata and files of an RO-Crate sent as a resumable upload."""
    if body.upload_id is not None:
        blob = completed_upload(session, body.upload_id, principal.user_id)
    else:
        assert body.sha256 is not None
        blob = catalog.stored_blob_for_operator(session, principal, body.sha256)
    version = imports.import_ro_crate(session, principal, blob, body.organisation_id, body.tier)
    session.commit()
    return _created(session, version, principal)


def _created(
    session: Session, version: DatasetVersion, principal: Principal
) -> catalog_schemas.DatasetCreated:
    return catalog_schemas.DatasetCreated(
        dataset=documents.dataset_out(session, version.dataset, principal),
        version=documents.version_out(session, version),
    )


# --- OAI-PMH --------------------------------------------------------------------------------


@router.post("/api/v1/harvest-index/rebuilds", status_code=201, response_model=schemas.IndexRebuild)
def rebuild_harvest_index(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.NODE_ADMIN))],
) -> schemas.IndexRebuild:
    """Rewrite every OAI-PMH record from the catalog (after a base URL change, or for a node
    whose versions were published without the index); harvesters see every record as new."""
    records = rebuild(session, principal)
    session.commit()
    return schemas.IndexRebuild(records=records)


OAI_MEDIA_TYPE = "text/xml; charset=utf-8"


@router.get("/oai", response_class=Response, responses={200: {"content": {"text/xml": {}}}})
async def oai_pmh_get(request: Request, node: NodeDep, _: Public) -> Response:
    """OAI-PMH 2.0 by GET: Identify, ListMetadataFormats, ListSets, ListIdentifiers,
    ListRecords and GetRecord."""
    return await _oai(node, list(request.query_params.multi_items()))


@router.post("/oai", response_class=Response, responses={200: {"content": {"text/xml": {}}}})
async def oai_pmh_post(request: Request, node: NodeDep, _: Public) -> Response:
    """OAI-PMH 2.0 by POST (``application/x-www-form-urlencoded``)."""
    form = await request.form()
    return await _oai(node, [(k, v) for k, v in form.multi_items() if isinstance(v, str)])


async def _oai(node: NodeContext, pairs: list[tuple[str, str]]) -> Response:
    body = await run_in_threadpool(_oai_answer, node, pairs)
    return Response(body, media_type=OAI_MEDIA_TYPE)


def _oai_answer(node: NodeContext, pairs: list[tuple[str, str]]) -> bytes:
    repo = oai.Repository(
        name=node.identity.name,
        base_url=node.identity.base_url.rstrip("/"),
        node_id=node.identity.node_id,
        token_key=token_key(node.pseudonym_key),
        now=node.clock.now().replace(microsecond=0),
        admin_email=node.settings.oai_admin_email,
    )
    with node.session(readonly=True) as session:
        return oai.respond(session, repo, pairs)
