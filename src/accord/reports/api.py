"""``/api/v1/reports``: public figures (small counts suppressed), full figures for those who may
read them, signed transparency reports and their verification, and the alert thresholds."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import Response

from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.reports import exports, schemas, service
from accord.reports.report import Kind
from accord.web.deps import SessionDep
from accord.web.security import require

PREFIX = "/api/v1/reports"
router = APIRouter(prefix=PREFIX, tags=["reports"])

Public = Annotated[Principal | None, Depends(require(Permission.PUBLIC))]
Reader = Annotated[Principal, Depends(require(Permission.REPORT_FIGURES_READ))]
Publisher = Annotated[Principal, Depends(require(Permission.REPORT_PUBLISH))]
Configurer = Annotated[Principal, Depends(require(Permission.REPORT_THRESHOLDS_SET))]
From = Annotated[date | None, Query(alias="from", description="First day (UTC), inclusive")]
To = Annotated[date | None, Query(alias="to", description="Last day (UTC), exclusive")]
FormatQuery = Annotated[exports.Format, Query(alias="format")]


@router.get("/transparency/signed", response_model=list[schemas.PublishedOut])
def list_signed(session: SessionDep, _: Public) -> list[schemas.PublishedOut]:
    """Signed transparency reports this node published, newest first."""
    return [schemas.PublishedOut.of(row) for row in service.list_published(session)]


@router.post("/transparency/signed", status_code=201, response_model=schemas.SignedEnvelope)
def publish_signed(
    session: SessionDep, principal: Publisher, body: schemas.PublishIn
) -> dict[str, Any]:
    """Sign the period's public transparency report with the node key and log its digest."""
    row, _ = service.publish_transparency(session, principal, body.from_, body.to)
    session.commit()
    return service.envelope_of(session, row)


@router.get("/transparency/signed/{report_id}", response_model=schemas.SignedEnvelope)
def get_signed(report_id: str, session: SessionDep, _: Public) -> dict[str, Any]:
    """A signed report: its canonical bytes, digest, signature, the key that signed it and its
    log entry."""
    return service.envelope_of(session, service.get_published(session, report_id))


@router.post("/verifications", response_model=schemas.VerificationOut)
def verify(
    session: SessionDep, _: Public, envelope: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Check a signed report against this node's log and the node key that was signing when
    the report was published, even if rotated out since (422 when anything differs)."""
    return service.verify(session, envelope)


@router.get("/alert-thresholds", response_model=schemas.ThresholdsIO)
def get_thresholds(session: SessionDep, _: Reader) -> schemas.ThresholdsIO:
    return schemas.ThresholdsIO.model_validate(service.thresholds(session).as_json())


@router.put("/alert-thresholds", response_model=schemas.ThresholdsIO)
def set_thresholds(
    body: schemas.ThresholdsIO, session: SessionDep, principal: Configurer
) -> schemas.ThresholdsIO:
    """Set when the equity alerts fire (node policy; logged)."""
    service.set_thresholds(session, principal, body.thresholds())
    session.commit()
    return body


@router.get("/{kind}/full", response_model=None)
def full_report(
    kind: Kind,
    session: SessionDep,
    _: Reader,
    start: From = None,
    end: To = None,
    fmt: FormatQuery = "json",
) -> Response:
    """The figures without suppression: for the committee, review body and auditors only."""
    return _answer(service.report(session, kind, start, end, public=False), fmt)


@router.get("/{kind}", response_model=None)
def public_report(
    kind: Kind,
    session: SessionDep,
    _: Public,
    start: From = None,
    end: To = None,
    fmt: FormatQuery = "json",
) -> Response:
    """A public report (``equity``, ``transparency`` or ``reciprocity``): small counts hidden."""
    return _answer(service.report(session, kind, start, end, public=True), fmt)


def _answer(document: dict[str, Any], fmt: exports.Format) -> Response:
    disposition = "inline" if fmt in ("json", "html") else "attachment"
    return Response(
        exports.render(document, fmt),
        media_type=exports.MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'{disposition}; filename="{exports.filename(document, fmt)}"'
        },
    )
