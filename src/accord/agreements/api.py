"""Agreements API: author and publish versions, read them in plain language, attach, check."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Response

from accord.agreements import schemas, service
from accord.agreements.decision import Decision
from accord.agreements.explain import explain_agreement
from accord.agreements.models import Agreement, AgreementVersion
from accord.agreements.ontology import default_vocabulary
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.paging import Page
from accord.web.deps import SessionDep
from accord.web.links import paged
from accord.web.security import require

router = APIRouter(prefix="/api/v1", tags=["agreements"])

Limit = Annotated[int, Query(ge=1, le=200)]
Document = Annotated[
    dict[str, Any], Body(description="An agreement document (JSON Schema: agreement.schema.json)")
]


def version_out(version: AgreementVersion) -> schemas.VersionOut:
    return schemas.VersionOut(
        id=version.id,
        agreement_id=version.agreement_id,
        document=version.document,
        **_summary(version).model_dump(),
    )


def _summary(version: AgreementVersion) -> schemas.VersionSummary:
    return schemas.VersionSummary(
        number=version.number,
        ref=service.ref_of(version),
        state=version.state,
        title=version.title,
        tier=version.tier,
        sha256=version.sha256,
        created_at=version.created_at,
        published_at=version.published_at,
    )


def _agreement_out(agreement: Agreement, viewer: Principal | None) -> schemas.AgreementOut:
    versions = service.visible_versions(agreement, viewer)
    return schemas.AgreementOut(
        id=agreement.id, created_at=agreement.created_at, versions=[_summary(v) for v in versions]
    )


def decision_out(ref: str, dataset_version_id: str, decision: Decision) -> schemas.DecisionOut:
    return schemas.DecisionOut(
        agreement=ref, dataset_version_id=dataset_version_id, **decision.as_json()
    )


@router.get("/agreements", response_model=Page[schemas.AgreementOut])
def list_agreements(
    session: SessionDep,
    response: Response,
    viewer: Annotated[Principal | None, Depends(require(Permission.PUBLIC))],
    limit: Limit = 50,
    cursor: str | None = None,
) -> Page[schemas.AgreementOut]:
    rows, next_cursor = service.list_agreements(session, limit=limit, cursor=cursor)
    items = [_agreement_out(a, viewer) for a in rows if service.visible_versions(a, viewer)]
    return paged(response, "/api/v1/agreements", items, next_cursor, limit)


@router.post("/agreements", status_code=201, response_model=schemas.VersionOut)
def create_agreement(
    body: Document,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.AGREEMENT_AUTHOR))],
) -> schemas.VersionOut:
    version = service.create_agreement(session, principal, body)
    session.commit()
    return version_out(version)


@router.get("/agreements/{agreement_id}", response_model=schemas.AgreementOut)
def get_agreement(
    agreement_id: str,
    session: SessionDep,
    viewer: Annotated[Principal | None, Depends(require(Permission.PUBLIC))],
) -> schemas.AgreementOut:
    return _agreement_out(service.visible_agreement(session, agreement_id, viewer), viewer)


@router.post(
    "/agreements/{agreement_id}/versions", status_code=201, response_model=schemas.VersionOut
)
def add_version(
    agreement_id: str,
    body: Document,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.AGREEMENT_AUTHOR))],
) -> schemas.VersionOut:
    version = service.add_version(session, principal, agreement_id, body)
    session.commit()
    return version_out(version)


@router.get("/agreements/{agreement_id}/versions/{number}", response_model=schemas.VersionOut)
def get_version(
    agreement_id: str,
    number: int,
    session: SessionDep,
    viewer: Annotated[Principal | None, Depends(require(Permission.PUBLIC))],
) -> schemas.VersionOut:
    return version_out(service.get_version(session, agreement_id, number, viewer))


@router.put("/agreements/{agreement_id}/versions/{number}", response_model=schemas.VersionOut)
def update_draft(
    agreement_id: str,
    number: int,
    body: Document,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.AGREEMENT_AUTHOR))],
) -> schemas.VersionOut:
    version = service.update_draft(session, principal, agreement_id, number, body)
    session.commit()
    return version_out(version)


@router.get(
    "/agreements/{agreement_id}/versions/{number}/explanation",
    response_model=schemas.ExplanationOut,
)
def explain_version(
    agreement_id: str,
    number: int,
    session: SessionDep,
    viewer: Annotated[Principal | None, Depends(require(Permission.PUBLIC))],
) -> schemas.ExplanationOut:
    version = service.get_version(session, agreement_id, number, viewer)
    document = service.document_of(version)
    sections = explain_agreement(document, default_vocabulary())
    return schemas.ExplanationOut(
        ref=service.ref_of(version),
        title=document.title,
        summary=document.summary,
        sections=[schemas.Section(heading=s.heading, lines=list(s.lines)) for s in sections],
        document=version.document,
    )


@router.post(
    "/agreements/{agreement_id}/versions/{number}/publication", response_model=schemas.VersionOut
)
def publish_version(
    agreement_id: str,
    number: int,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.AGREEMENT_PUBLISH))],
) -> schemas.VersionOut:
    version = service.publish(session, principal, agreement_id, number)
    session.commit()
    return version_out(version)


@router.post(
    "/agreements/{agreement_id}/attachments", status_code=201, response_model=schemas.AttachmentOut
)
def attach(
    agreement_id: str,
    body: schemas.AttachmentIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.AGREEMENT_PUBLISH))],
) -> schemas.AttachmentOut:
    attachment = service.attach(
        session, principal, agreement_id, body.version, body.dataset_version_id
    )
    session.commit()
    return schemas.AttachmentOut(
        dataset_version_id=attachment.dataset_version_id,
        agreement_id=agreement_id,
        number=body.version,
        ref=service.ref_of(attachment.version),
        attached_at=attachment.attached_at,
    )


@router.post("/agreement-checks", response_model=schemas.DecisionOut)
def check(
    body: schemas.CheckIn,
    session: SessionDep,
    viewer: Annotated[Principal, Depends(require(Permission.AGREEMENT_CHECK))],
) -> schemas.DecisionOut:
    """What the engine would decide for a requester like the one described (changes nothing)."""
    dataset_version_id, version, decision = service.check(session, viewer, body)
    return decision_out(service.ref_of(version), dataset_version_id, decision)
