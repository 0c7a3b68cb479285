"""``/api/v1/breaches`` and ``/api/v1/sanctions``: reports of suspected breaches, their
investigation by the review body, and the sanctions it imposes or lifts."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from accord.access import breaches, documents, sanctions, schemas
from accord.access.api.common import (
    PREFIX,
    Cursor,
    Investigator,
    Limit,
    Reporter,
    SanctionImposer,
    SanctionReader,
)
from accord.access.models import Evidence
from accord.errors import FieldError, InvalidInput
from accord.i18n.translate import N_
from accord.paging import Page
from accord.storage.blobs import BlobInfo, blob_store_of
from accord.storage.ingest import ingest_chunks
from accord.storage.responses import blob_response
from accord.web.deps import NodeDep, SessionDep
from accord.web.links import paged

router = APIRouter(prefix=PREFIX, tags=["access"])


@router.post("/breaches", status_code=201, response_model=schemas.BreachOut)
def report_breach(
    body: schemas.BreachIn, session: SessionDep, principal: Reporter
) -> schemas.BreachOut:
    """Report a suspected breach of a grant or of a dataset's terms."""
    breach = breaches.report(session, principal, body)
    session.commit()
    return documents.breach_out(breach, investigator=breaches.investigates(principal, breach))


@router.get("/breaches", response_model=Page[schemas.BreachOut])
def list_breaches(
    session: SessionDep,
    response: Response,
    principal: Reporter,
    scope: Annotated[Literal["mine", "review"], Query()] = "mine",
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.BreachOut]:
    """Reports you made, or (``scope=review``) those the review body you sit on investigates."""
    rows, next_cursor = breaches.list_breaches(
        session, principal, reported_by_me=scope == "mine", limit=limit, cursor=cursor
    )
    items = [
        documents.breach_out(b, investigator=breaches.investigates(principal, b)) for b in rows
    ]
    return paged(response, f"{PREFIX}/breaches", items, next_cursor, limit)


@router.get("/breaches/{breach_id}", response_model=schemas.BreachOut)
def get_breach(breach_id: str, session: SessionDep, principal: Reporter) -> schemas.BreachOut:
    breach = breaches.get_breach(session, principal, breach_id)
    return documents.breach_out(breach, investigator=breaches.investigates(principal, breach))


@router.post("/breaches/{breach_id}/notes", status_code=201, response_model=schemas.NoteOut)
def add_note(
    breach_id: str, body: schemas.NoteIn, session: SessionDep, principal: Investigator
) -> schemas.NoteOut:
    """An investigation note (the report moves to ``investigating``)."""
    note = breaches.add_note(
        session, principal, breach_id, body.body, investigating=body.investigating
    )
    session.commit()
    return schemas.NoteOut.model_validate(note)


@router.post("/breaches/{breach_id}/evidence", status_code=201, response_model=schemas.EvidenceOut)
async def add_evidence(
    breach_id: str,
    request: Request,
    session: SessionDep,
    node: NodeDep,
    principal: Reporter,
    filename: Annotated[str, Query(min_length=1, max_length=300)],
) -> schemas.EvidenceOut:
    """Attach a file as evidence: the request body is the file, its Content-Type the media type
    (at most the node's request body limit, ``ACCORD_MAX_BODY_BYTES``)."""
    media_type = request.headers.get("content-type", "application/octet-stream")[:200]
    data = await request.body()
    if not data:
        raise InvalidInput(
            N_("send the evidence file as the request body"),
            code="access.evidence-empty",
            errors=[FieldError("body", N_("empty"))],
        )
    blob = await run_in_threadpool(ingest_chunks, blob_store_of(node), [data])
    evidence = await run_in_threadpool(
        _attach, session, principal, breach_id, filename, media_type, blob
    )
    return schemas.EvidenceOut.model_validate(evidence)


def _attach(
    session: SessionDep,
    principal: Reporter,
    breach_id: str,
    filename: str,
    media_type: str,
    blob: BlobInfo,
) -> Evidence:
    evidence = breaches.add_evidence(
        session, principal, breach_id, filename=filename, media_type=media_type, blob=blob
    )
    session.commit()
    return evidence


@router.get(
    "/breaches/{breach_id}/evidence/{evidence_id}/content",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def evidence_content(
    breach_id: str,
    evidence_id: str,
    request: Request,
    session: SessionDep,
    node: NodeDep,
    principal: Reporter,
) -> Response:
    evidence = breaches.get_evidence(session, principal, breach_id, evidence_id)
    return blob_response(
        request,
        blob_store_of(node),
        BlobInfo(evidence.sha256, evidence.size),
        media_type=evidence.media_type,
        filename=evidence.filename,
    )


@router.post("/breaches/{breach_id}/resolution", response_model=schemas.BreachOut)
def resolve_breach(
    breach_id: str, body: schemas.ResolutionIn, session: SessionDep, principal: Investigator
) -> schemas.BreachOut:
    breach = breaches.resolve(session, principal, breach_id, body)
    session.commit()
    return documents.breach_out(breach, investigator=True)


@router.post("/sanctions", status_code=201, response_model=schemas.SanctionOut)
def impose_sanction(
    body: schemas.SanctionIn, session: SessionDep, node: NodeDep, principal: SanctionImposer
) -> schemas.SanctionOut:
    """Warn, suspend (a user or an organisation, for a period) or revoke grants."""
    sanction = sanctions.impose(session, principal, body)
    session.commit()
    return documents.sanction_out(sanction, node.clock.now())


@router.get("/sanctions", response_model=Page[schemas.SanctionOut])
def list_sanctions(
    session: SessionDep,
    response: Response,
    node: NodeDep,
    principal: SanctionReader,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.SanctionOut]:
    rows, next_cursor = sanctions.list_sanctions(session, principal, limit=limit, cursor=cursor)
    now = node.clock.now()
    items = [documents.sanction_out(s, now) for s in rows]
    return paged(response, f"{PREFIX}/sanctions", items, next_cursor, limit)


@router.get("/sanctions/{sanction_id}", response_model=schemas.SanctionOut)
def get_sanction(
    sanction_id: str, session: SessionDep, node: NodeDep, principal: SanctionReader
) -> schemas.SanctionOut:
    sanction = sanctions.get_sanction(session, principal, sanction_id)
    return documents.sanction_out(sanction, node.clock.now())


@router.post("/sanctions/{sanction_id}/lifting", response_model=schemas.SanctionOut)
def lift_sanction(
    sanction_id: str,
    body: schemas.LiftIn,
    session: SessionDep,
    node: NodeDep,
    principal: SanctionImposer,
) -> schemas.SanctionOut:
    sanction = sanctions.lift(session, principal, sanction_id, body.reason)
    session.commit()
    return documents.sanction_out(sanction, node.clock.now())
