"""``/api/v1/grants``: read, revoke, renew; duties (publications, deletion attestation); GA4GH
Passport visas and their keys; the access sweep."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from accord.access import documents, duties, grants, passport, renewals, schemas
from accord.access.api.common import (
    PREFIX,
    Admin,
    Anyone,
    Cursor,
    DutyHolder,
    GrantReader,
    Limit,
    Revoker,
    Submitter,
    send_pending_mail,
)
from accord.access.models import Grant
from accord.access.sweep import sweep
from accord.errors import Conflict
from accord.i18n.translate import _l
from accord.ledger import rotation
from accord.paging import Page
from accord.web.deps import NodeDep, SessionDep
from accord.web.links import paged

router = APIRouter(prefix=PREFIX, tags=["access"])


@router.get("/grants", response_model=Page[schemas.GrantOut])
def list_grants(
    session: SessionDep,
    response: Response,
    principal: GrantReader,
    scope: Annotated[Literal["mine", "overseen"], Query()] = "mine",
    dataset_id: Annotated[str | None, Query(max_length=40)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.GrantOut]:
    """Your grants, or (``scope=overseen``) those of the datasets whose committee you sit on."""
    rows, next_cursor = grants.list_grants(
        session, principal, mine=scope == "mine", dataset_id=dataset_id, limit=limit, cursor=cursor
    )
    items = [documents.grant_out(session, g) for g in rows]
    return paged(response, f"{PREFIX}/grants", items, next_cursor, limit)


@router.get("/grants/{grant_id}", response_model=schemas.GrantOut)
def get_grant(grant_id: str, session: SessionDep, principal: GrantReader) -> schemas.GrantOut:
    return documents.grant_out(session, grants.get_grant(session, principal, grant_id))


@router.post("/grants/{grant_id}/revocation", response_model=schemas.GrantOut)
def revoke_grant(
    grant_id: str, body: schemas.RevocationIn, session: SessionDep, principal: Revoker
) -> schemas.GrantOut:
    grant = grants.revoke(session, principal, grant_id, body.reason)
    session.commit()
    return documents.grant_out(session, grant)


@router.post("/grants/{grant_id}/renewal", status_code=201, response_model=schemas.RequestOut)
def renew_grant(
    grant_id: str, body: schemas.RenewalIn, session: SessionDep, principal: Submitter
) -> schemas.RequestOut:
    """Ask for more time: a renewal request, evaluated by the engine like a new request."""
    request = renewals.request_renewal(session, principal, grant_id, body)
    session.commit()
    return documents.request_out(session, request, principal)


@router.post(
    "/grants/{grant_id}/publications", status_code=201, response_model=schemas.PublicationOut
)
def report_publication(
    grant_id: str, body: schemas.PublicationIn, session: SessionDep, principal: DutyHolder
) -> schemas.PublicationOut:
    """Report a publication (DOI and citation) made with the data."""
    grant = grants.own_grant(session, principal, grant_id)
    publication = duties.report_publication(session, principal, grant, body.doi, body.citation)
    session.commit()
    return schemas.PublicationOut.model_validate(publication)


@router.post("/grants/{grant_id}/deletion-attestation", response_model=schemas.GrantOut)
def attest_deletion(
    grant_id: str, body: schemas.AttestationIn, session: SessionDep, principal: DutyHolder
) -> schemas.GrantOut:
    """Attest, once the grant has ended, that every copy of the data was deleted."""
    grant = grants.own_grant(session, principal, grant_id)
    duties.attest_deletion(session, principal, grant, body.statement)
    session.commit()
    return documents.grant_out(session, grant)


@router.get("/grants/{grant_id}/visa")
def grant_visa(
    grant_id: str, session: SessionDep, node: NodeDep, principal: GrantReader
) -> dict[str, str]:
    """The grant's GA4GH ``ControlledAccessGrants`` visa (holder only, active grants only)."""
    grant = grants.own_grant(session, principal, grant_id)
    if grants.current_state(session, grant) != "active":
        raise Conflict(
            _l("grant %(grant_id)s is not active: it carries no visa", grant_id=grant_id),
            code="access.grant-not-active",
        )
    return {"visa": passport.issue_visa(node, grant, node.clock.now())}


@router.get("/visas", response_model=schemas.VisasOut)
def my_visas(session: SessionDep, node: NodeDep, principal: GrantReader) -> schemas.VisasOut:
    """Visas for every active grant you hold (a GA4GH Passport's ``ga4gh_passport_v1``)."""
    rows, _ = grants.list_grants(session, principal, mine=True, limit=200)
    active = [g for g in rows if grants.current_state(session, g) == "active"]
    return schemas.VisasOut(visas=passport.issue_visas(node, active, node.clock.now()))


@router.get("/visa-keys")
def visa_keys(session: SessionDep, node: NodeDep, _: Anyone) -> dict[str, Any]:
    """The JSON Web Key Set that verifies this node's visas (the visas' ``jku``): the current
    key and the keys retired while visas they signed may still be valid, with their windows."""
    return passport.jwks(passport.visa_keys_of(rotation.keyring(session), node.clock.now()))


@router.get("/duties", response_model=list[schemas.DutyOut])
def overdue_duties(
    session: SessionDep, principal: GrantReader, node: NodeDep
) -> list[schemas.DutyOut]:
    """Overdue duties of the grants you hold or oversee."""
    now = node.clock.now()
    rows = duties.overdue_duties(session, now)
    visible = [d for d in rows if _visible_duty(session, principal, d.grant_id)]
    return [documents.duty_out(d, now) for d in visible]


def _visible_duty(session: SessionDep, principal: GrantReader, grant_id: str) -> bool:
    grant = session.get(Grant, grant_id)
    return grant is not None and grants.may_see(principal, grant)


@router.post("/access-sweeps", response_model=schemas.SweepOut)
def run_sweep(session: SessionDep, node: NodeDep, _: Admin) -> schemas.SweepOut:
    """Record expiries, send duty reminders, flag what is overdue, retry pending email."""
    result = sweep(session, node.clock.now())
    session.commit()
    return schemas.SweepOut(
        expired=result.expired,
        reminded=result.reminded,
        overdue=result.overdue,
        emails_retried=send_pending_mail(node),
    )
