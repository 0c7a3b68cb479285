"""Breach reports: anyone signed in reports a suspected breach of a grant or of a dataset's
terms; the review body investigates (status, notes, evidence files) and resolves with an outcome.

The reporter sees their report and its outcome; notes and evidence are the review body's.
Sanctions that follow are imposed separately and name the report (``sanctions.impose``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import ledger
from accord.access import authority, notifications, schemas
from accord.access.models import BreachNote, BreachReport, BreachState, Evidence, Grant
from accord.catalog import service as catalog
from accord.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from accord.i18n.translate import N_, _l
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.ids import new_id
from accord.labels import label
from accord.node import node_of
from accord.paging import fetch_page
from accord.storage.blobs import BlobInfo


def report(session: Session, actor: Principal, data: schemas.BreachIn) -> BreachReport:
    """File a report about a grant (its holder is the suspect) or about a dataset's terms."""
    grant = _reported_grant(session, data)
    dataset = catalog.get_dataset(session, grant.dataset_id if grant else str(data.dataset_id))
    if not catalog.visible_versions(dataset, actor):
        raise NotFound(
            _l("no dataset %(dataset)r", dataset=dataset.id), code="catalog.dataset-not-found"
        )
    now = node_of(session).clock.now()
    breach = BreachReport(
        id=new_id("brc"),
        reporter_id=actor.user_id,
        grant_id=grant.id if grant else None,
        dataset_id=dataset.id,
        dataset_organisation_id=dataset.organisation_id,
        suspect_user_id=grant.user_id if grant else None,
        description=data.description,
        state=BreachState.OPEN,
        outcome=None,
        resolution=None,
        resolved_by=None,
        resolved_at=None,
        created_at=now,
        updated_at=now,
    )
    session.add(breach)
    ledger.append(
        session,
        ledger.Event(
            "access.breach.reported",
            subjects={"actor": actor.user_id},
            public={"breach": breach.id, "dataset": dataset.id},
            record={
                "description": data.description,
                "grant": breach.grant_id,
                "suspect": breach.suspect_user_id,
            },
        ),
    )
    return breach


def _reported_grant(session: Session, data: schemas.BreachIn) -> Grant | None:
    if (data.grant_id is None) == (data.dataset_id is None):
        raise InvalidInput(
            N_("name either the grant or the dataset the suspected breach concerns"),
            code="access.breach-subject",
            errors=[FieldError("grant_id", N_("give grant_id or dataset_id, not both"))],
        )
    if data.grant_id is None:
        return None
    grant = session.get(Grant, data.grant_id)
    if grant is None:
        raise InvalidInput(
            _l("no grant %(grant)r", grant=data.grant_id),
            code="access.unknown-grant",
            errors=[FieldError("grant_id", N_("no such grant"))],
        )
    return grant


def get_breach(session: Session, viewer: Principal, breach_id: str) -> BreachReport:
    breach = session.get(BreachReport, breach_id) if len(breach_id) <= 40 else None
    if breach is None or not (breach.reporter_id == viewer.user_id or investigates(viewer, breach)):
        raise NotFound(
            _l("no breach report %(breach_id)r", breach_id=breach_id[:60]),
            code="access.breach-not-found",
        )
    return breach


def investigates(viewer: Principal, breach: BreachReport) -> bool:
    return authority.may(
        viewer,
        Permission.ACCESS_BREACH_INVESTIGATE,
        breach.dataset_organisation_id,
        breach.dataset_id,
    )


def list_breaches(
    session: Session,
    viewer: Principal,
    *,
    reported_by_me: bool,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[Sequence[BreachReport], str | None]:
    query = select(BreachReport)
    if reported_by_me:
        query = query.where(BreachReport.reporter_id == viewer.user_id)
    else:
        scope = authority.scope_filter(
            viewer,
            Permission.ACCESS_BREACH_INVESTIGATE,
            BreachReport.dataset_organisation_id,
            BreachReport.dataset_id,
        )
        query = query.where(scope)
    return fetch_page(session, query, BreachReport.id, limit=limit, cursor=cursor)


def add_note(
    session: Session, actor: Principal, breach_id: str, body: str, *, investigating: bool
) -> BreachNote:
    breach = _investigated(session, actor, breach_id)
    now = node_of(session).clock.now()
    note = BreachNote(
        id=new_id("bnt"), breach_id=breach.id, author_id=actor.user_id, body=body, created_at=now
    )
    breach.notes.append(note)
    previous = breach.state
    if investigating and breach.state == BreachState.OPEN:
        breach.state = BreachState.INVESTIGATING
    breach.updated_at = now
    ledger.append(
        session,
        ledger.Event(
            "access.breach.noted",
            subjects={"actor": actor.user_id},
            public={"breach": breach.id, "note": note.id, "state": breach.state},
            record={"body": body, "previous_state": previous},
        ),
    )
    return note


def add_evidence(
    session: Session,
    actor: Principal,
    breach_id: str,
    *,
    filename: str,
    media_type: str,
    blob: BlobInfo,
) -> Evidence:
    """Attach a stored blob as evidence (the reporter or the review body)."""
    breach = get_breach(session, actor, breach_id)
    _open(breach)
    now = node_of(session).clock.now()
    evidence = Evidence(
        id=new_id("evd"),
        breach_id=breach.id,
        added_by=actor.user_id,
        filename=filename,
        media_type=media_type,
        sha256=blob.sha256,
        size=blob.size,
        created_at=now,
    )
    breach.evidence.append(evidence)
    breach.updated_at = now
    ledger.append(
        session,
        ledger.Event(
            "access.breach.evidence-added",
            subjects={"actor": actor.user_id},
            public={
                "breach": breach.id,
                "evidence": evidence.id,
                "sha256": blob.sha256,
                "size": blob.size,
            },
            record={"filename": filename, "media_type": media_type},
        ),
    )
    return evidence


def get_evidence(session: Session, viewer: Principal, breach_id: str, evidence_id: str) -> Evidence:
    breach = get_breach(session, viewer, breach_id)
    found = next((e for e in breach.evidence if e.id == evidence_id), None)
    if found is None or not (investigates(viewer, breach) or found.added_by == viewer.user_id):
        raise NotFound(
            _l("no evidence %(evidence_id)r", evidence_id=evidence_id[:60]),
            code="access.evidence-not-found",
        )
    return found


def resolve(
    session: Session, actor: Principal, breach_id: str, data: schemas.ResolutionIn
) -> BreachReport:
    breach = _investigated(session, actor, breach_id)
    now = node_of(session).clock.now()
    breach.state = BreachState.RESOLVED
    breach.outcome = data.outcome
    breach.resolution = data.resolution
    breach.resolved_by = actor.user_id
    breach.resolved_at = now
    breach.updated_at = now
    ledger.append(
        session,
        ledger.Event(
            "access.breach.resolved",
            subjects={"actor": actor.user_id},
            public={"breach": breach.id, "outcome": data.outcome},
            record={"resolution": data.resolution},
        ),
    )
    notifications.notify(
        session,
        breach.reporter_id,
        "breach.resolved",
        _l("Your breach report %(breach)s was resolved", breach=breach.id),
        _l(
            "The review body found the report %(outcome)s: %(resolution)s",
            outcome=label("breach-outcome", data.outcome),
            resolution=data.resolution,
        ),
        f"/access/breaches/{breach.id}",
    )
    return breach


def _investigated(session: Session, actor: Principal, breach_id: str) -> BreachReport:
    breach = get_breach(session, actor, breach_id)
    if not investigates(actor, breach):
        raise Forbidden(
            N_("only the review body investigates breach reports"), code="access.not-review-body"
        )
    _open(breach)
    return breach


def _open(breach: BreachReport) -> None:
    if breach.state == BreachState.RESOLVED:
        raise Conflict(
            _l("breach report %(breach_id)s is resolved", breach_id=breach.id),
            code="access.breach-resolved",
        )
