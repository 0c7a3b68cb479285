"""Catalogue pages: search with facets, dataset pages (metadata, files, licence, tier, citation,
downloads where allowed, schema.org JSON-LD), tombstones of withdrawn versions, and the
steward's pages to create a dataset, upload files (resumable, with a progress bar), publish,
start a new version and withdraw.

Pages call the same services as the API; forms post back with the session's CSRF token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from accord.access.pages.checker import use_check_section
from accord.catalog import documents, service
from accord.catalog.access import is_steward, may_download, refusal, terms_of
from accord.catalog.forms import (
    edited_metadata,
    form_errors,
    form_from_metadata,
    metadata_from_form,
)
from accord.catalog.metadata import DatasetMetadata, Tier, parse_metadata
from accord.catalog.models import DatasetVersion, VersionState
from accord.catalog.search import FACETS, SearchQuery, Sort, decode_cursor, search
from accord.errors import AccordError
from accord.governance import risk
from accord.i18n.translate import N_
from accord.identity import service as identity
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.standards.landing import schema_org_script
from accord.web.deps import SessionDep
from accord.web.pages import render
from accord.web.security import require

router = APIRouter(include_in_schema=False)
STATIC_DIR = Path(__file__).parent / "static"
PAGE_SIZE = 20
FACET_TITLES = {
    "tier": N_("Access tier"),
    "licence": N_("Licence"),
    "subject": N_("Subject"),
    "country": N_("Country of origin"),
    "organisation": N_("Organisation"),
    "year": N_("Year"),
}
LICENCE_SUGGESTIONS = ("CC-BY-4.0", "CC0-1.0", "CC-BY-NC-4.0", "CC-BY-SA-4.0", "ODbL-1.0", "MIT")

Public = Annotated[Principal | None, Depends(require(Permission.PUBLIC))]
Values = Annotated[list[str] | None, Query(max_length=20)]


@router.get("/catalog/static/upload.js")
def upload_script(_: Public) -> FileResponse:
    """The draft page's resumable uploader (served from here: scripts must come from 'self')."""
    return FileResponse(STATIC_DIR / "upload.js", media_type="text/javascript")


# --- search ---------------------------------------------------------------------------------


@router.get("/datasets", response_class=HTMLResponse)
def catalogue(
    request: Request,
    session: SessionDep,
    principal: Public,
    q: Annotated[str, Query(max_length=500)] = "",
    tier: Values = None,
    licence: Values = None,
    subject: Values = None,
    country: Values = None,
    organisation: Values = None,
    year: Values = None,
    sort: Annotated[str, Query(max_length=20)] = "",
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    picked = dict(zip(FACETS, (tier, licence, subject, country, organisation, year), strict=True))
    filters = {k: tuple(v) for k, v in picked.items() if v}
    chosen_sort = Sort(sort) if sort in Sort.__members__.values() else None
    result = search(
        session,
        SearchQuery(
            text=q, filters=filters, sort=chosen_sort, limit=PAGE_SIZE, offset=decode_cursor(cursor)
        ),
    )
    page = documents.search_page(result)
    params = [("q", q)] if q else []
    params += [(k, v) for k, values in filters.items() for v in values]
    params += [("sort", sort)] if chosen_sort else []
    return render(
        request,
        "catalog/search.html",
        {
            "q": q,
            "page": page,
            "facets": _facet_links(page.facets, params),
            "facet_titles": FACET_TITLES,
            "filters": filters,
            "sort": chosen_sort.value if chosen_sort else "",
            "sorts": [s.value for s in Sort],
            "hidden": [(k, v) for k, v in params if k not in {"q", "sort"}],
            "next_url": _url([*params, ("cursor", page.next_cursor)]) if page.next_cursor else None,
            "drafts": _drafts(session, principal),
        },
    )


def _facet_links(
    facets: dict[str, list[Any]], params: list[tuple[str, str]]
) -> dict[str, list[dict[str, Any]]]:
    """Each facet value with its count and a link that toggles it as a filter."""
    links: dict[str, list[dict[str, Any]]] = {}
    for name, values in facets.items():
        links[name] = []
        for value in values:
            pair = (name, value.value)
            selected = pair in params
            toggled = [p for p in params if p != pair] if selected else [*params, pair]
            links[name].append(
                {"label": value.label, "count": value.count, "selected": selected,
                 "href": _url(toggled)}
            )  # fmt: skip
    return links


def _url(params: list[tuple[str, str]]) -> str:
    return "/datasets" + (f"?{urlencode(params)}" if params else "")


def _drafts(session: Session, principal: Principal | None) -> list[DatasetVersion]:
    if principal is None or not principal.can_anywhere(Permission.DATASET_UPDATE):
        return []
    return service.drafts_of(session, principal, limit=20)


# --- creating a dataset ------------------------------------------------------------------------


@router.get("/datasets/new", response_class=HTMLResponse)
def new_dataset_form(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.DATASET_CREATE))],
) -> HTMLResponse:
    return _new_form(request, session, principal, {"language": "en", "tier": "open"}, {})


@router.post("/datasets/new", response_class=HTMLResponse)
def create_dataset(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.DATASET_CREATE))],
    title: Annotated[str, Form(max_length=500)] = "",
    description: Annotated[str, Form(max_length=20_000)] = "",
    creators: Annotated[str, Form(max_length=20_000)] = "",
    organisation_id: Annotated[str, Form(max_length=40)] = "",
    publisher: Annotated[str, Form(max_length=500)] = "",
    tier: Annotated[str, Form(max_length=20)] = "",
    licence: Annotated[str, Form(max_length=300)] = "",
    subjects: Annotated[str, Form(max_length=5_000)] = "",
    keywords: Annotated[str, Form(max_length=5_000)] = "",
    language: Annotated[str, Form(max_length=100)] = "",
    country_of_origin: Annotated[str, Form(max_length=2)] = "",
    publication_year: Annotated[str, Form(max_length=4)] = "",
    doi: Annotated[str, Form(max_length=300)] = "",
    terms_of_use: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    form = {
        "title": title, "description": description, "creators": creators,
        "organisation_id": organisation_id, "publisher": publisher, "tier": tier,
        "licence": licence, "subjects": subjects, "keywords": keywords, "language": language,
        "country_of_origin": country_of_origin, "publication_year": publication_year,
        "doi": doi, "terms_of_use": terms_of_use,
    }  # fmt: skip
    try:
        owner = _organisation_name(session, organisation_id)
        metadata = parse_metadata(metadata_from_form(form, default_publisher=owner))
        version = service.create_dataset(session, principal, metadata)
        session.commit()
    except AccordError as error:
        session.rollback()
        errors = form_errors(error.errors) or {"form": error.message}
        return _new_form(request, session, principal, form, errors, status_code=error.status)
    return RedirectResponse(f"/datasets/{version.dataset_id}/versions/1", status_code=303)


def _organisation_name(session: Session, organisation_id: str) -> str:
    try:
        return identity.get_organisation(session, organisation_id).name
    except AccordError:
        return ""


def _new_form(
    request: Request,
    session: Session,
    principal: Principal,
    form: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    orgs, _ = identity.list_organisations(session, limit=200)
    allowed = [o for o in orgs if principal.can(Permission.DATASET_CREATE, organisation_id=o.id)]
    return _metadata_form(
        request,
        form,
        errors,
        organisations=allowed,
        action="/datasets/new",
        status_code=status_code,
    )


def _metadata_form(
    request: Request,
    form: dict[str, str],
    errors: dict[str, str],
    *,
    organisations: list[Any],
    action: str,
    back_url: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The metadata form: a new dataset's, or (``back_url``: the draft) a draft's edit page."""
    return render(
        request,
        "catalog/new.html",
        {
            "form": form,
            "errors": errors,
            "organisations": organisations,
            "tiers": [t.value for t in Tier],
            "licences": LICENCE_SUGGESTIONS,
            "action": action,
            "editing": back_url is not None,
            "back_url": back_url,
        },
        status_code=status_code,
    )


# --- editing a draft's metadata ----------------------------------------------------------------


@router.get("/datasets/{dataset_id}/versions/{number}/metadata", response_class=HTMLResponse)
def edit_metadata_form(
    request: Request,
    dataset_id: str,
    number: int,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.DATASET_UPDATE))],
) -> HTMLResponse:
    version = service.editable_draft(session, principal, dataset_id, number)
    return _edit_form(request, session, version, form_from_metadata(version.document), {})


@router.post("/datasets/{dataset_id}/versions/{number}/metadata", response_class=HTMLResponse)
def edit_metadata(
    request: Request,
    dataset_id: str,
    number: int,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.DATASET_UPDATE))],
    title: Annotated[str, Form(max_length=500)] = "",
    description: Annotated[str, Form(max_length=20_000)] = "",
    creators: Annotated[str, Form(max_length=20_000)] = "",
    publisher: Annotated[str, Form(max_length=500)] = "",
    tier: Annotated[str, Form(max_length=20)] = "",
    licence: Annotated[str, Form(max_length=300)] = "",
    subjects: Annotated[str, Form(max_length=5_000)] = "",
    keywords: Annotated[str, Form(max_length=5_000)] = "",
    language: Annotated[str, Form(max_length=100)] = "",
    country_of_origin: Annotated[str, Form(max_length=2)] = "",
    publication_year: Annotated[str, Form(max_length=4)] = "",
    doi: Annotated[str, Form(max_length=300)] = "",
    terms_of_use: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    version = service.editable_draft(session, principal, dataset_id, number)
    form = {
        "title": title, "description": description, "creators": creators,
        "organisation_id": version.dataset.organisation_id, "publisher": publisher, "tier": tier,
        "licence": licence, "subjects": subjects, "keywords": keywords, "language": language,
        "country_of_origin": country_of_origin, "publication_year": publication_year,
        "doi": doi, "terms_of_use": terms_of_use,
    }  # fmt: skip
    try:
        metadata = parse_metadata(edited_metadata(version.document, form))
        service.update_draft(session, principal, dataset_id, number, metadata)
        session.commit()
    except AccordError as error:
        session.rollback()
        if error.status in {401, 403, 404}:
            raise
        errors = form_errors(error.errors) or {"form": error.message}
        version = service.editable_draft(session, principal, dataset_id, number)
        return _edit_form(request, session, version, form, errors, status_code=error.status)
    return RedirectResponse(f"/datasets/{dataset_id}/versions/{number}", status_code=303)


def _edit_form(
    request: Request,
    session: Session,
    version: DatasetVersion,
    form: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    owner = identity.get_organisation(session, version.dataset.organisation_id)
    path = f"/datasets/{version.dataset_id}/versions/{version.number}"
    return _metadata_form(
        request,
        form,
        errors,
        organisations=[owner],
        action=f"{path}/metadata",
        back_url=path,
        status_code=status_code,
    )


# --- a dataset and its versions ----------------------------------------------------------------


@router.get("/datasets/{dataset_id}", response_class=HTMLResponse)
def dataset_page(
    request: Request, dataset_id: str, session: SessionDep, principal: Public
) -> HTMLResponse:
    """The dataset's current version (the newest published one)."""
    version = service.get_version(session, dataset_id, None, principal)
    return _version_page(request, session, principal, version)


@router.get("/datasets/{dataset_id}/versions/{number}", response_class=HTMLResponse)
def version_page(
    request: Request, dataset_id: str, number: int, session: SessionDep, principal: Public
) -> HTMLResponse:
    version = service.get_version(session, dataset_id, number, principal)
    return _version_page(request, session, principal, version)


def _version_page(
    request: Request,
    session: Session,
    principal: Principal | None,
    version: DatasetVersion,
    *,
    error: str | None = None,
    status_code: int | None = None,
) -> HTMLResponse:
    if version.state == VersionState.WITHDRAWN:
        return _tombstone(request, session, version)
    metadata = DatasetMetadata.model_validate(version.document)
    out = documents.version_out(session, version)
    decision = may_download(session, principal, version)
    files = [
        {**f.model_dump(), "size_text": human_size(f.size), "href": f.content_url}
        for f in out.files
    ]
    context = {
        "v": out,
        "metadata": metadata,
        "files": files,
        "total_size": human_size(out.total_size),
        "allowed": decision.allowed,
        "refusal": None if decision.allowed else refusal(decision, version),
        "terms": terms_of(version) if version.tier == Tier.REGISTERED else None,
        "steward": is_steward(principal, version),
        "versions": documents.dataset_out(session, version.dataset, principal).versions,
        "has_draft": any(v.state == VersionState.DRAFT for v in version.dataset.versions),
        "organisation": _organisation_name(session, version.dataset.organisation_id),
        "jsonld": schema_org_script(session, version),
        "use_check": use_check_section(session, principal, version),
        "risk": risk.summary(session, version.id),
        "error": error,
    }
    return render(request, "catalog/dataset.html", context, status_code=status_code or 200)


def _tombstone(request: Request, session: Session, version: DatasetVersion) -> HTMLResponse:
    """A withdrawn version's page: what it was, when and why it was withdrawn (HTTP 410)."""
    out = documents.version_out(session, version)
    return render(
        request,
        "catalog/tombstone.html",
        {
            "v": out,
            "metadata": DatasetMetadata.model_validate(version.document),
            "versions": documents.dataset_out(session, version.dataset, None).versions,
        },
        status_code=410,
    )


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


# --- actions --------------------------------------------------------------------------------


@router.post("/datasets/{dataset_id}/terms")
def accept_terms(
    request: Request,
    dataset_id: str,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.TERMS_ACCEPT))],
    version: Annotated[int, Form(ge=1)] = 1,
) -> Response:
    service.accept_terms(session, principal, dataset_id, version)
    session.commit()
    return RedirectResponse(f"/datasets/{dataset_id}/versions/{version}", status_code=303)


@router.post("/datasets/{dataset_id}/versions/{number}/publication", response_class=HTMLResponse)
def publish(
    request: Request,
    dataset_id: str,
    number: int,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.VERSION_PUBLISH))],
) -> Response:
    return _act(
        request, session, principal, dataset_id, number,
        lambda: service.publish(session, principal, dataset_id, number),
    )  # fmt: skip


@router.post("/datasets/{dataset_id}/versions/{number}/withdrawal", response_class=HTMLResponse)
def withdraw(
    request: Request,
    dataset_id: str,
    number: int,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.VERSION_WITHDRAW))],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    return _act(
        request, session, principal, dataset_id, number,
        lambda: service.withdraw(session, principal, dataset_id, number, reason),
    )  # fmt: skip


@router.post("/datasets/{dataset_id}/versions", response_class=HTMLResponse)
def new_version(
    request: Request,
    dataset_id: str,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.DATASET_UPDATE))],
) -> Response:
    current = service.get_version(session, dataset_id, None, principal)
    return _act(
        request, session, principal, dataset_id, current.number,
        lambda: service.start_version(session, principal, dataset_id),
    )  # fmt: skip


@router.post(
    "/datasets/{dataset_id}/versions/{number}/files/{file_id}/removal",
    response_class=HTMLResponse,
)
def remove_file(
    request: Request,
    dataset_id: str,
    number: int,
    file_id: str,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.FILE_UPLOAD))],
) -> Response:
    def remove() -> DatasetVersion:
        service.remove_file(session, principal, dataset_id, number, file_id)
        return service.get_version(session, dataset_id, number, principal)

    return _act(request, session, principal, dataset_id, number, remove)


def _act(
    request: Request,
    session: Session,
    principal: Principal,
    dataset_id: str,
    number: int,
    action: Any,
) -> Response:
    """Run a state change; on success go to the version it produced, else show the error."""
    try:
        version: DatasetVersion = action()
        session.commit()
    except AccordError as error:
        session.rollback()
        if error.status in {401, 403, 404}:
            raise
        current = service.get_version(session, dataset_id, number, principal)
        message = "; ".join([error.message, *(e.message for e in error.errors)][:3])
        return _version_page(
            request, session, principal, current, error=message, status_code=error.status
        )
    return RedirectResponse(f"/datasets/{dataset_id}/versions/{version.number}", status_code=303)
