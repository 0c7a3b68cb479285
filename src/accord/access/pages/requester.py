"""The researcher's pages: my requests and grants, the request form with the engine's live
answer, a request's page (thread, withdrawal, appeal) and a grant's page (duties, renewal)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.access import (
    appeals,
    breaches,
    documents,
    duties,
    grants,
    notifications,
    renewals,
    requests,
    schemas,
    thread,
)
from accord.access.governing import governing_agreement
from accord.access.models import AccessRequest, Appeal, Publication
from accord.access.pages.forms import (
    DURATIONS,
    PURPOSES,
    act,
    codes,
    collaborators,
    errors_of,
)
from accord.agreements.explain import explain_agreement
from accord.agreements.ontology import default_vocabulary
from accord.catalog import service as catalog
from accord.errors import AccordError
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.node import node_of
from accord.web.deps import SessionDep
from accord.web.pages import render
from accord.web.security import require

router = APIRouter(include_in_schema=False)

Reader = Annotated[Principal, Depends(require(Permission.ACCESS_REQUEST_READ))]
Submitter = Annotated[Principal, Depends(require(Permission.ACCESS_REQUEST_SUBMIT))]
Messenger = Annotated[Principal, Depends(require(Permission.ACCESS_REQUEST_MESSAGE))]
Appellant = Annotated[Principal, Depends(require(Permission.ACCESS_APPEAL_FILE))]
GrantReader = Annotated[Principal, Depends(require(Permission.ACCESS_GRANT_READ))]
DutyHolder = Annotated[Principal, Depends(require(Permission.ACCESS_DUTY_FULFIL))]
Revoker = Annotated[Principal, Depends(require(Permission.ACCESS_GRANT_REVOKE))]
Reporter = Annotated[Principal, Depends(require(Permission.ACCESS_BREACH_REPORT))]
Text = Annotated[str, Form(max_length=5000)]
Line = Annotated[str, Form(max_length=300)]


@router.get("/access", response_class=HTMLResponse)
def my_access(request: Request, session: SessionDep, principal: Reader) -> HTMLResponse:
    """My requests and grants, appeals and breach reports."""
    now = node_of(session).clock.now()
    mine, _ = requests.list_mine(session, principal, limit=200)
    held, _ = grants.list_grants(session, principal, mine=True, limit=200)
    my_appeals, _ = appeals.list_appeals(session, principal, mine=True, limit=200)
    reports, _ = breaches.list_breaches(session, principal, reported_by_me=True, limit=200)
    return render(
        request,
        "access/index.html",
        {
            "requests": [documents.request_summary(r, now) for r in reversed(mine)],
            "grants": [documents.grant_out(session, g) for g in reversed(held)],
            "appeals": my_appeals,
            "breaches": reports,
            "unread": notifications.unread_count(session, principal.user_id),
        },
    )


# --- the request form ------------------------------------------------------------------------


@router.get("/access/requests/new", response_class=HTMLResponse)
def new_request(
    request: Request,
    session: SessionDep,
    principal: Submitter,
    dataset: Annotated[str, Query(max_length=40)] = "",
    version: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    form = {"dataset_id": dataset, "version": str(version or ""), "duration": "P1Y"}
    return _request_form(request, session, principal, form, {})


def _request_form(
    request: Request,
    session: Session,
    principal: Principal,
    form: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "form": form,
        "errors": errors,
        "purposes": PURPOSES,
        "durations": DURATIONS,
        "dataset": None,
        "agreement": None,
        "sections": (),
    }
    if form.get("dataset_id"):
        try:
            number = int(form["version"]) if form.get("version") else None
            version = requests.requestable_version(session, principal, form["dataset_id"], number)
            governing = governing_agreement(session, version)
            context["dataset"] = version
            context["agreement"] = governing
            context["sections"] = explain_agreement(governing.document, default_vocabulary())
        except AccordError as error:
            errors.setdefault("dataset_id", error.message)
    return render(request, "access/new.html", context, status_code=status_code)


def _request_body(fields: dict[str, str]) -> dict[str, Any]:
    return {
        "dataset_id": fields["dataset_id"],
        "version": int(fields["version"]) if fields.get("version") else None,
        "purpose": fields["purpose"],
        "diseases": codes(fields.get("diseases", "")),
        "commercial": fields.get("commercial") == "on",
        "ethics_approval": bool(fields.get("ethics_reference", "").strip()),
        "ethics_reference": fields.get("ethics_reference", "").strip() or None,
        "mode": fields.get("mode") or "download",
        "duration": fields.get("duration") or "P1Y",
    }


async def _fields(request: Request) -> dict[str, Any]:
    """The request form's fields; ``purpose`` gathers the ticked boxes and the typed codes."""
    form = await request.form()
    fields: dict[str, Any] = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    ticked = [str(v) for v in form.getlist("purpose") if isinstance(v, str)]
    fields["purpose"] = ticked + codes(fields.get("other_purpose", ""))
    fields["ticked"] = ticked
    return fields


@router.post("/access/requests/preview", response_class=HTMLResponse)
async def preview(request: Request, session: SessionDep, principal: Submitter) -> HTMLResponse:
    """The engine's answer to the form as it stands (htmx swaps it in beside the form)."""
    fields = await _fields(request)
    if not fields["purpose"]:
        return render(request, "access/_preview.html", {"answer": None, "problem": None})
    try:
        data = schemas.PreviewIn.model_validate(_request_body(fields))
        governing, decision = requests.preview(session, principal, data)
        answer = documents.decision_out(governing, decision)
        context: dict[str, Any] = {"answer": answer, "problem": None}
    except (ValidationError, AccordError) as failure:
        problems = errors_of(failure)
        context = {"answer": None, "problem": "; ".join(f"{k}: {v}" for k, v in problems.items())}
    session.rollback()
    return render(request, "access/_preview.html", context)


@router.post("/access/requests", response_model=None)
async def submit(request: Request, session: SessionDep, principal: Submitter) -> Response:
    fields = await _fields(request)

    def action() -> str:
        body = {
            **_request_body(fields),
            "project_title": fields.get("project_title", ""),
            "lay_summary": fields.get("lay_summary", ""),
            "institution": fields.get("institution", ""),
            "collaborators": collaborators(fields.get("collaborators", "")),
            "accept_duties": fields.get("accept_duties") == "on",
        }
        created = requests.submit(session, principal, schemas.RequestCreate.model_validate(body))
        return f"/access/requests/{created.id}"

    return act(
        session,
        action,
        lambda errors, status: _request_form(
            request, session, principal, fields, errors, status_code=status
        ),
    )


# --- a request's page ----------------------------------------------------------------------------


@router.get("/access/requests/{request_id}", response_class=HTMLResponse)
def request_page(
    request_id: str, request: Request, session: SessionDep, principal: Reader
) -> HTMLResponse:
    return show_request(request, session, principal, request_id)


def show_request(
    request: Request,
    session: Session,
    principal: Principal,
    request_id: str,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    found = requests.get_request(session, principal, request_id)
    return render(
        request,
        "access/request.html",
        {
            "r": documents.request_out(session, found, principal),
            "is_requester": found.requester_id == principal.user_id,
            "oversees": requests.oversees(principal, found),
            "may_decide": principal.can(
                Permission.ACCESS_REQUEST_DECIDE,
                organisation_id=found.dataset_organisation_id,
                dataset_id=found.dataset_id,
            ),
            "errors": errors or {},
            "appealed": _appeal_of(session, found),
        },
        status_code=status_code,
    )


def _appeal_of(session: Session, found: AccessRequest) -> str | None:
    return session.scalar(select(Appeal.id).where(Appeal.request_id == found.id))


def _back_to_request(
    request: Request, session: Session, principal: Principal, request_id: str
) -> Any:
    return lambda errors, status: show_request(
        request, session, principal, request_id, errors, status_code=status
    )


@router.post("/access/requests/{request_id}/messages", response_model=None)
def post_message(
    request_id: str,
    request: Request,
    session: SessionDep,
    principal: Messenger,
    body: Text = "",
    back: Annotated[str, Form(max_length=20)] = "requests",
) -> Response:
    def action() -> str:
        thread.post_message(session, principal, request_id, schemas.MessageIn(body=body).body)
        return f"/access/{'reviews' if back == 'reviews' else 'requests'}/{request_id}"

    return act(session, action, _back_to_request(request, session, principal, request_id))


@router.post("/access/requests/{request_id}/withdrawal", response_model=None)
def withdraw(
    request_id: str, request: Request, session: SessionDep, principal: Submitter
) -> Response:
    def action() -> str:
        requests.withdraw(session, principal, request_id, None)
        return f"/access/requests/{request_id}"

    return act(session, action, _back_to_request(request, session, principal, request_id))


@router.post("/access/requests/{request_id}/appeal", response_model=None)
def appeal(
    request_id: str, request: Request, session: SessionDep, principal: Appellant, grounds: Text = ""
) -> Response:
    def action() -> str:
        data = schemas.AppealIn(request_id=request_id, grounds=grounds)
        filed = appeals.file_appeal(session, principal, data)
        return f"/access/appeals/{filed.id}"

    return act(session, action, _back_to_request(request, session, principal, request_id))


# --- a grant's page ------------------------------------------------------------------------------


@router.get("/access/grants/{grant_id}", response_class=HTMLResponse)
def grant_page(
    grant_id: str, request: Request, session: SessionDep, principal: GrantReader
) -> HTMLResponse:
    return show_grant(request, session, principal, grant_id)


def show_grant(
    request: Request,
    session: Session,
    principal: Principal,
    grant_id: str,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    grant = grants.get_grant(session, principal, grant_id)
    version = catalog.get_version(session, grant.dataset_id, grant.version_number, principal)
    publications = session.scalars(
        select(Publication).where(Publication.grant_id == grant.id)
    ).all()
    return render(
        request,
        "access/grant.html",
        {
            "g": documents.grant_out(session, grant),
            "title": version.title,
            "files": version.files,
            "holder": grant.user_id == principal.user_id,
            "may_revoke": principal.can(
                Permission.ACCESS_GRANT_REVOKE,
                organisation_id=grant.dataset_organisation_id,
                dataset_id=grant.dataset_id,
            ),
            "publications": publications,
            "errors": errors or {},
        },
        status_code=status_code,
    )


def _back_to_grant(request: Request, session: Session, principal: Principal, grant_id: str) -> Any:
    return lambda errors, status: show_grant(
        request, session, principal, grant_id, errors, status_code=status
    )


@router.post("/access/grants/{grant_id}/publications", response_model=None)
def report_publication(
    grant_id: str,
    request: Request,
    session: SessionDep,
    principal: DutyHolder,
    doi: Line = "",
    citation: Text = "",
) -> Response:
    def action() -> str:
        data = schemas.PublicationIn(doi=doi.strip() or None, citation=citation)
        grant = grants.own_grant(session, principal, grant_id)
        duties.report_publication(session, principal, grant, data.doi, data.citation)
        return f"/access/grants/{grant_id}"

    return act(session, action, _back_to_grant(request, session, principal, grant_id))


@router.post("/access/grants/{grant_id}/deletion-attestation", response_model=None)
def attest_deletion(
    grant_id: str,
    request: Request,
    session: SessionDep,
    principal: DutyHolder,
    statement: Text = "",
) -> Response:
    def action() -> str:
        data = schemas.AttestationIn(statement=statement)
        duties.attest_deletion(
            session, principal, grants.own_grant(session, principal, grant_id), data.statement
        )
        return f"/access/grants/{grant_id}"

    return act(session, action, _back_to_grant(request, session, principal, grant_id))


@router.post("/access/grants/{grant_id}/renewal", response_model=None)
def renew(
    grant_id: str,
    request: Request,
    session: SessionDep,
    principal: Submitter,
    duration: Annotated[str, Form(max_length=40)] = "P1Y",
    justification: Text = "",
) -> Response:
    def action() -> str:
        data = schemas.RenewalIn(duration=duration, justification=justification)
        renewal = renewals.request_renewal(session, principal, grant_id, data)
        return f"/access/requests/{renewal.id}"

    return act(session, action, _back_to_grant(request, session, principal, grant_id))


@router.post("/access/grants/{grant_id}/revocation", response_model=None)
def revoke(
    grant_id: str, request: Request, session: SessionDep, principal: Revoker, reason: Text = ""
) -> Response:
    def action() -> str:
        grants.revoke(session, principal, grant_id, schemas.RevocationIn(reason=reason).reason)
        return f"/access/grants/{grant_id}"

    return act(session, action, _back_to_grant(request, session, principal, grant_id))


# --- reporting a breach --------------------------------------------------------------------------


@router.get("/access/breaches/new", response_class=HTMLResponse)
def new_breach(
    request: Request,
    principal: Reporter,
    grant: Annotated[str, Query(max_length=40)] = "",
    dataset: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    form = {"grant_id": grant, "dataset_id": dataset}
    return render(request, "access/breach_new.html", {"form": form, "errors": {}})


@router.post("/access/breaches", response_model=None)
def report_breach(
    request: Request,
    session: SessionDep,
    principal: Reporter,
    grant_id: Annotated[str, Form(max_length=40)] = "",
    dataset_id: Annotated[str, Form(max_length=40)] = "",
    description: Text = "",
) -> Response:
    form = {"grant_id": grant_id, "dataset_id": dataset_id, "description": description}

    def action() -> str:
        data = schemas.BreachIn(
            grant_id=grant_id or None, dataset_id=dataset_id or None, description=description
        )
        return f"/access/breaches/{breaches.report(session, principal, data).id}"

    return act(
        session,
        action,
        lambda errors, status: render(
            request, "access/breach_new.html", {"form": form, "errors": errors}, status
        ),
    )
