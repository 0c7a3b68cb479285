"""The review body's pages (appeals to decide, breach reports to investigate, sanctions), and the
pages the appellant, the reporter and the sanctioned see of the same objects."""

from __future__ import annotations

import mimetypes
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from accord.access import appeals, breaches, documents, sanctions, schemas
from accord.access.pages.forms import act
from accord.errors import FieldError, InvalidInput
from accord.i18n.translate import N_
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.node import node_of
from accord.storage.blobs import blob_store_of
from accord.storage.ingest import ingest_file
from accord.web.deps import SessionDep
from accord.web.pages import render
from accord.web.security import require

router = APIRouter(include_in_schema=False)

Judge = Annotated[Principal, Depends(require(Permission.ACCESS_APPEAL_DECIDE))]
Appellant = Annotated[Principal, Depends(require(Permission.ACCESS_APPEAL_FILE))]
Reporter = Annotated[Principal, Depends(require(Permission.ACCESS_BREACH_REPORT))]
Investigator = Annotated[Principal, Depends(require(Permission.ACCESS_BREACH_INVESTIGATE))]
SanctionReader = Annotated[Principal, Depends(require(Permission.ACCESS_SANCTION_READ))]
Imposer = Annotated[Principal, Depends(require(Permission.ACCESS_SANCTION_IMPOSE))]
Text = Annotated[str, Form(max_length=5000)]
Word = Annotated[str, Form(max_length=40)]


@router.get("/access/review-body", response_class=HTMLResponse)
def review_body(request: Request, session: SessionDep, principal: Judge) -> HTMLResponse:
    """Open appeals, breach reports under investigation, and sanctions."""
    now = node_of(session).clock.now()
    open_appeals, _ = appeals.list_appeals(session, principal, mine=False, limit=200)
    reports, _ = breaches.list_breaches(session, principal, reported_by_me=False, limit=200)
    imposed, _ = sanctions.list_sanctions(session, principal, limit=200)
    return render(
        request,
        "access/review_body.html",
        {
            "appeals": [a for a in open_appeals if a.state == "open"],
            "decided": [a for a in open_appeals if a.state != "open"],
            "breaches": reports,
            "sanctions": [documents.sanction_out(s, now) for s in imposed],
        },
    )


# --- appeals -------------------------------------------------------------------------------------


@router.get("/access/appeals/{appeal_id}", response_class=HTMLResponse)
def appeal_page(
    appeal_id: str, request: Request, session: SessionDep, principal: Appellant
) -> HTMLResponse:
    return _show_appeal(request, session, principal, appeal_id)


def _show_appeal(
    request: Request,
    session: Session,
    principal: Principal,
    appeal_id: str,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    appeal = appeals.get_appeal(session, principal, appeal_id)
    return render(
        request,
        "access/appeal.html",
        {
            "a": appeal,
            "judge": appeals.may_judge(session, principal, appeal),
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.post("/access/appeals/{appeal_id}/decision", response_model=None)
def decide_appeal(
    appeal_id: str,
    request: Request,
    session: SessionDep,
    principal: Judge,
    outcome: Word = "",
    reasons: Text = "",
) -> Response:
    def action() -> str:
        data = schemas.AppealDecisionIn.model_validate({"outcome": outcome, "reasons": reasons})
        appeals.decide(session, principal, appeal_id, data)
        return f"/access/appeals/{appeal_id}"

    return act(
        session,
        action,
        lambda errors, status: _show_appeal(request, session, principal, appeal_id, errors, status),
    )


# --- breach reports ------------------------------------------------------------------------------


@router.get("/access/breaches/{breach_id}", response_class=HTMLResponse)
def breach_page(
    breach_id: str, request: Request, session: SessionDep, principal: Reporter
) -> HTMLResponse:
    return _show_breach(request, session, principal, breach_id)


def _show_breach(
    request: Request,
    session: Session,
    principal: Principal,
    breach_id: str,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    breach = breaches.get_breach(session, principal, breach_id)
    investigator = breaches.investigates(principal, breach)
    return render(
        request,
        "access/breach.html",
        {
            "b": documents.breach_out(breach, investigator=investigator),
            "investigator": investigator,
            "errors": errors or {},
        },
        status_code=status_code,
    )


def _back_to_breach(
    request: Request, session: Session, principal: Principal, breach_id: str
) -> Any:
    return lambda errors, status: _show_breach(
        request, session, principal, breach_id, errors, status
    )


@router.post("/access/breaches/{breach_id}/notes", response_model=None)
def add_note(
    breach_id: str, request: Request, session: SessionDep, principal: Investigator, body: Text = ""
) -> Response:
    def action() -> str:
        note = schemas.NoteIn(body=body)
        breaches.add_note(session, principal, breach_id, note.body, investigating=True)
        return f"/access/breaches/{breach_id}"

    return act(session, action, _back_to_breach(request, session, principal, breach_id))


@router.post("/access/breaches/{breach_id}/evidence", response_model=None)
def add_evidence(
    breach_id: str,
    request: Request,
    session: SessionDep,
    principal: Reporter,
    file: Annotated[UploadFile, File()],
) -> Response:
    def action() -> str:
        name = (file.filename or "").rsplit("/", 1)[-1].strip()[:300]
        if not name:
            raise InvalidInput(
                N_("choose a file"),
                code="access.evidence-empty",
                errors=[FieldError("file", N_("empty"))],
            )
        blob = ingest_file(blob_store_of(node_of(session)), file.file)
        media_type = file.content_type or mimetypes.guess_type(name)[0]
        breaches.add_evidence(
            session,
            principal,
            breach_id,
            filename=name,
            media_type=(media_type or "application/octet-stream")[:200],
            blob=blob,
        )
        return f"/access/breaches/{breach_id}"

    return act(session, action, _back_to_breach(request, session, principal, breach_id))


@router.post("/access/breaches/{breach_id}/resolution", response_model=None)
def resolve(
    breach_id: str,
    request: Request,
    session: SessionDep,
    principal: Investigator,
    outcome: Word = "",
    resolution: Text = "",
) -> Response:
    def action() -> str:
        data = schemas.ResolutionIn.model_validate({"outcome": outcome, "resolution": resolution})
        breaches.resolve(session, principal, breach_id, data)
        return f"/access/breaches/{breach_id}"

    return act(session, action, _back_to_breach(request, session, principal, breach_id))


@router.post("/access/breaches/{breach_id}/sanctions", response_model=None)
def impose(
    breach_id: str,
    request: Request,
    session: SessionDep,
    principal: Imposer,
    kind: Word = "",
    subject_kind: Word = "user",
    subject_id: Word = "",
    duration: Word = "",
    reason: Text = "",
) -> Response:
    def action() -> str:
        data = schemas.SanctionIn.model_validate(
            {
                "kind": kind,
                "subject_kind": subject_kind,
                "subject_id": subject_id,
                "duration": duration or None,
                "reason": reason,
                "breach_id": breach_id,
            }
        )
        return f"/access/sanctions/{sanctions.impose(session, principal, data).id}"

    return act(session, action, _back_to_breach(request, session, principal, breach_id))


# --- sanctions -----------------------------------------------------------------------------------


@router.get("/access/sanctions/{sanction_id}", response_class=HTMLResponse)
def sanction_page(
    sanction_id: str, request: Request, session: SessionDep, principal: SanctionReader
) -> HTMLResponse:
    return _show_sanction(request, session, principal, sanction_id)


def _show_sanction(
    request: Request,
    session: Session,
    principal: Principal,
    sanction_id: str,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    sanction = sanctions.get_sanction(session, principal, sanction_id)
    return render(
        request,
        "access/sanction.html",
        {
            "s": documents.sanction_out(sanction, node_of(session).clock.now()),
            "concerned": sanctions.concerns(principal, sanction),
            "judge": sanctions.may_judge(principal, session, sanction),
            "errors": errors or {},
        },
        status_code=status_code,
    )


def _back_to_sanction(
    request: Request, session: Session, principal: Principal, sanction_id: str
) -> Any:
    return lambda errors, status: _show_sanction(
        request, session, principal, sanction_id, errors, status
    )


@router.post("/access/sanctions/{sanction_id}/lifting", response_model=None)
def lift(
    sanction_id: str, request: Request, session: SessionDep, principal: Imposer, reason: Text = ""
) -> Response:
    def action() -> str:
        sanctions.lift(session, principal, sanction_id, schemas.LiftIn(reason=reason).reason)
        return f"/access/sanctions/{sanction_id}"

    return act(session, action, _back_to_sanction(request, session, principal, sanction_id))


@router.post("/access/sanctions/{sanction_id}/appeal", response_model=None)
def appeal_sanction(
    sanction_id: str,
    request: Request,
    session: SessionDep,
    principal: Appellant,
    grounds: Text = "",
) -> Response:
    def action() -> str:
        data = schemas.AppealIn(sanction_id=sanction_id, grounds=grounds)
        return f"/access/appeals/{appeals.file_appeal(session, principal, data).id}"

    return act(session, action, _back_to_sanction(request, session, principal, sanction_id))
