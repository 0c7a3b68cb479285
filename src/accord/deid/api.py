"""De-identification API: identifier scans, derivation plans, derivations, provenance, keys.

Scans and plans are POSTs that store nothing (they read the source and answer); a derivation
is created by POST ``/api/v1/derivations``; destroying its key is a POST to the sub-resource
``key-destruction``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from accord.deid import schemas, service
from accord.deid.documents import derivation_out, provenance_of, source_out
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.paging import Page
from accord.web.deps import SessionDep
from accord.web.links import paged
from accord.web.security import require

router = APIRouter(prefix="/api/v1", tags=["deid"])

Public = Annotated[Principal | None, Depends(require(Permission.PUBLIC))]
Planner = Annotated[Principal, Depends(require(Permission.DERIVATION_PLAN))]


def _ref(source: schemas.SourceIn) -> service.SourceRef:
    return service.SourceRef(source.dataset_id, source.version, source.file)


@router.post("/identifier-scans", response_model=schemas.ScanOut)
def scan_source(body: schemas.SourceIn, session: SessionDep, principal: Planner) -> schemas.ScanOut:
    """Flag columns that likely hold direct identifiers, with a starting spec (stores nothing)."""
    result = service.scan_source(session, principal, _ref(body))
    return schemas.ScanOut(
        source=source_out(result.source),
        rows=result.rows,
        columns=result.columns,
        findings=result.findings,
        starter_spec=result.starter_spec,
    )


@router.post("/derivation-plans", response_model=schemas.PlanOut)
def plan_derivation(
    body: schemas.PlanIn, session: SessionDep, principal: Planner
) -> schemas.PlanOut:
    """The report a derivation would have, without storing or publishing anything."""
    result = service.plan(session, principal, _ref(body.source), body.spec)
    return schemas.PlanOut(
        source=source_out(result.source), findings=result.findings, report=result.report
    )


@router.post("/derivations", status_code=201, response_model=schemas.DerivationOut)
def run_derivation(
    body: schemas.RunIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.DERIVATION_CREATE))],
) -> schemas.DerivationOut:
    """Derive a de-identified dataset version from a source file under a spec."""
    row = service.run(session, principal, _ref(body.source), body.spec, publish=body.publish)
    session.commit()
    return derivation_out(session, row)


@router.get("/derivations", response_model=Page[schemas.DerivationOut])
def list_derivations(
    session: SessionDep,
    response: Response,
    principal: Planner,
    dataset_id: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
) -> Page[schemas.DerivationOut]:
    """Derivations of the datasets you steward (from or to ``dataset_id`` when given)."""
    rows, next_cursor = service.list_derivations(
        session, principal, limit=limit, cursor=cursor, dataset_id=dataset_id
    )
    items = [derivation_out(session, r) for r in rows]
    return paged(response, "/api/v1/derivations", items, next_cursor, limit)


@router.get("/derivations/{derivation_id}", response_model=schemas.DerivationOut)
def get_derivation(
    derivation_id: str, session: SessionDep, principal: Public
) -> schemas.DerivationOut:
    """A derivation with its spec and report (public once its version is published)."""
    return derivation_out(session, service.get_derivation(session, principal, derivation_id))


@router.get("/derivations/{derivation_id}/provenance")
def get_provenance(derivation_id: str, session: SessionDep, principal: Public) -> JSONResponse:
    """The derivation as W3C PROV-O (JSON-LD)."""
    row = service.get_derivation(session, principal, derivation_id)
    document: dict[str, Any] = provenance_of(session, row)
    return JSONResponse(document, media_type="application/ld+json")


@router.post("/derivations/{derivation_id}/key-destruction", response_model=schemas.DerivationOut)
def destroy_key(
    derivation_id: str,
    body: schemas.KeyDestruction,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.DERIVATION_KEY_DESTROY))],
) -> schemas.DerivationOut:
    """Destroy the derivation's pseudonym key for good (its pseudonyms become irreversible)."""
    row = service.destroy_key(session, principal, derivation_id, body.reason)
    session.commit()
    return derivation_out(session, row)
