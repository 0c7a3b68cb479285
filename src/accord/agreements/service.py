"""Agreement operations: author, publish, attach and check; each change logged to the ledger.

Documents are validated in full (``validation.parse_agreement``) before anything is stored, so
an invalid agreement leaves no row and no log entry. Published versions are immutable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import rfc8785
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import ledger
from accord.agreements import schemas
from accord.agreements.compiled import compile_agreement
from accord.agreements.context import (
    Accreditation,
    Context,
    Requester,
    UnknownPurposeTerm,
    purpose_from_codes,
)
from accord.agreements.decision import Decision, Mode
from accord.agreements.document import AgreementDocument
from accord.agreements.engine import evaluate
from accord.agreements.models import Agreement, AgreementVersion, Attachment
from accord.agreements.ontology import default_vocabulary
from accord.agreements.validation import parse_agreement
from accord.catalog import service as catalog
from accord.errors import Conflict, FieldError, InvalidInput, NotFound
from accord.i18n.translate import N_, _l
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.ids import new_id
from accord.node import node_of
from accord.paging import fetch_page

DRAFT, PUBLISHED = "draft", "published"


def ref_of(version: AgreementVersion) -> str:
    """``agr_…@v<n>``: how a version is named to people, in requests and in grants."""
    return f"{version.agreement_id}@v{version.number}"


def document_of(version: AgreementVersion) -> AgreementDocument:
    return AgreementDocument.model_validate(version.document)


# --- authoring -------------------------------------------------------------------------------


def create_agreement(
    session: Session, actor: Principal, data: Mapping[str, Any]
) -> AgreementVersion:
    """A new agreement whose version 1 is a draft of ``data``."""
    document = parse_agreement(data)
    agreement = Agreement(id=new_id("agr"), created_by=actor.user_id, created_at=_now(session))
    session.add(agreement)
    ledger.append(
        session,
        ledger.Event(
            "agreements.agreement.created",
            subjects={"actor": actor.user_id},
            public={"agreement": agreement.id},
        ),
    )
    return _new_version(session, actor, agreement, 1, document)


def add_version(
    session: Session, actor: Principal, agreement_id: str, data: Mapping[str, Any]
) -> AgreementVersion:
    """A new draft version of an agreement whose versions are all published."""
    agreement = get_agreement(session, agreement_id)
    document = parse_agreement(data)
    latest = agreement.versions[-1]
    if latest.state == DRAFT:
        raise Conflict(
            _l("%(agreement)s is still a draft", agreement=ref_of(latest)),
            code="agreements.draft-open",
            hint=N_("edit or publish the open draft first"),
        )
    return _new_version(session, actor, agreement, latest.number + 1, document)


def update_draft(
    session: Session, actor: Principal, agreement_id: str, number: int, data: Mapping[str, Any]
) -> AgreementVersion:
    version = get_version(session, agreement_id, number, actor)
    _require_draft(version)
    document = parse_agreement(data)
    _fill(version, document)
    ledger.append(
        session,
        ledger.Event(
            "agreements.version.updated",
            subjects={"actor": actor.user_id},
            public={"agreement": agreement_id, "version": number, "sha256": version.sha256},
        ),
    )
    return version


def publish(session: Session, actor: Principal, agreement_id: str, number: int) -> AgreementVersion:
    """Publish a draft: from now on its document never changes."""
    version = get_version(session, agreement_id, number, actor)
    _require_draft(version)
    parse_agreement(version.document)
    version.state = PUBLISHED
    version.published_at = _now(session)
    ledger.append(
        session,
        ledger.Event(
            "agreements.version.published",
            subjects={"actor": actor.user_id},
            public={
                "agreement": agreement_id,
                "version": number,
                "tier": version.tier,
                "sha256": version.sha256,
            },
            record={"document": version.document},
        ),
    )
    return version


def attach(
    session: Session, actor: Principal, agreement_id: str, number: int, dataset_version_id: str
) -> Attachment:
    """Let a published agreement version govern a dataset version (one agreement per version)."""
    version = get_version(session, agreement_id, number, actor)
    if version.state != PUBLISHED:
        raise Conflict(
            _l(
                "%(agreement)s is a draft; only published agreements govern data",
                agreement=ref_of(version),
            ),
            code="agreements.not-published",
            hint=_l(
                "run `accord agreement publish %(agreement_id)s %(number)s` first",
                agreement_id=agreement_id,
                number=number,
            ),
        )
    existing = session.get(Attachment, dataset_version_id)
    if existing is not None:
        raise Conflict(
            _l(
                "%(dataset_version_id)s is governed by %(agreement)s already",
                dataset_version_id=dataset_version_id,
                agreement=ref_of(existing.version),
            ),
            code="agreements.already-attached",
            hint=N_(
                "a published dataset version keeps its agreement; publish a new dataset version"
            ),
        )
    attachment = Attachment(
        dataset_version_id=dataset_version_id,
        version_id=version.id,
        attached_by=actor.user_id,
        attached_at=_now(session),
    )
    session.add(attachment)
    attachment.version = version
    ledger.append(
        session,
        ledger.Event(
            "agreements.version.attached",
            subjects={"actor": actor.user_id},
            public={
                "agreement": agreement_id,
                "version": number,
                "dataset_version": dataset_version_id,
            },
        ),
    )
    return attachment


# --- reading ---------------------------------------------------------------------------------


def get_agreement(session: Session, agreement_id: str) -> Agreement:
    agreement = session.get(Agreement, agreement_id) if len(agreement_id) <= 40 else None
    if agreement is None:
        raise NotFound(
            _l("no agreement %(agreement_id)r", agreement_id=agreement_id[:60]),
            code="agreements.not-found",
        )
    return agreement


def visible_agreement(session: Session, agreement_id: str, viewer: Principal | None) -> Agreement:
    """An agreement with at least one version ``viewer`` may see (else ``NotFound``)."""
    agreement = get_agreement(session, agreement_id)
    if not visible_versions(agreement, viewer):
        raise NotFound(
            _l("no agreement %(agreement_id)r", agreement_id=agreement_id[:60]),
            code="agreements.not-found",
        )
    return agreement


def get_version(
    session: Session, agreement_id: str, number: int, viewer: Principal | None
) -> AgreementVersion:
    """Version ``number``; drafts are ``NotFound`` to anyone who may not author agreements."""
    agreement = get_agreement(session, agreement_id)
    version = next((v for v in visible_versions(agreement, viewer) if v.number == number), None)
    if version is None:
        raise NotFound(
            _l("no version %(agreement_id)s@v%(number)s", agreement_id=agreement_id, number=number),
            code="agreements.version-not-found",
        )
    return version


def visible_versions(agreement: Agreement, viewer: Principal | None) -> list[AgreementVersion]:
    authors = viewer is not None and viewer.can_anywhere(Permission.AGREEMENT_AUTHOR)
    return [v for v in agreement.versions if v.state == PUBLISHED or authors]


def list_agreements(
    session: Session, *, limit: int = 50, cursor: str | None = None
) -> tuple[Sequence[Agreement], str | None]:
    return fetch_page(session, select(Agreement), Agreement.id, limit=limit, cursor=cursor)


def governing(session: Session, dataset_version_id: str) -> AgreementVersion | None:
    """The published agreement version attached to a dataset version, if any."""
    attachment = session.get(Attachment, dataset_version_id)
    return attachment.version if attachment is not None else None


# --- checking --------------------------------------------------------------------------------


def check(
    session: Session, viewer: Principal | None, question: schemas.CheckIn
) -> tuple[str, AgreementVersion, Decision]:
    """The engine's answer to a what-if question about a dataset (its current version)."""
    dataset_version_id = _dataset_version(session, viewer, question.dataset)
    version = governing(session, dataset_version_id)
    if version is None:
        raise NotFound(
            _l(
                "no agreement governs %(dataset_version_id)s", dataset_version_id=dataset_version_id
            ),
            code="agreements.none-attached",
            hint=N_("attach one with `accord agreement attach`"),
        )
    context = _context(session, question)
    return dataset_version_id, version, evaluate(compile_agreement(document_of(version)), context)


def _context(session: Session, question: schemas.CheckIn) -> Context:
    try:
        purpose = purpose_from_codes(
            question.purpose,
            default_vocabulary(),
            diseases=question.diseases,
            commercial=question.commercial,
            ethics_approval=question.ethics_approval,
            project=question.project,
        )
    except UnknownPurposeTerm as unknown:
        raise InvalidInput(
            str(unknown),
            code="agreements.unknown-purpose-term",
            errors=[FieldError("purpose", str(unknown))],
            hint=N_("name DUO purposes such as GRU, HMB, DS or POA, and MONDO ids for diseases"),
        ) from None
    node = node_of(session)
    requester = Requester(
        country=question.country,
        user="what-if" if question.signed_in else None,
        organisation=question.organisation,
        organisation_kind=question.organisation_kind,
        accreditations=tuple(
            Accreditation(a.kind, a.expires.astimezone(UTC) if a.expires else None)
            for a in question.accreditations
        ),
    )
    return Context(
        requester=requester,
        purpose=purpose,
        mode=Mode(question.mode),
        duration=question.duration,
        now=node.clock.now(),
        node_country=node.identity.jurisdiction,
        prior_uses=question.prior_uses,
    )


def _dataset_version(session: Session, viewer: Principal | None, ref: str) -> str:
    if ref.startswith("dv_"):
        return ref
    return catalog.get_version(session, ref, None, viewer).id


# --- helpers ---------------------------------------------------------------------------------


def _new_version(
    session: Session,
    actor: Principal,
    agreement: Agreement,
    number: int,
    document: AgreementDocument,
) -> AgreementVersion:
    version = AgreementVersion(
        id=new_id("agv"),
        agreement_id=agreement.id,
        number=number,
        state=DRAFT,
        created_by=actor.user_id,
        created_at=_now(session),
        published_at=None,
    )
    _fill(version, document)
    agreement.versions.append(version)
    session.add(version)
    ledger.append(
        session,
        ledger.Event(
            "agreements.version.created",
            subjects={"actor": actor.user_id},
            public={"agreement": agreement.id, "version": number, "sha256": version.sha256},
        ),
    )
    return version


def _fill(version: AgreementVersion, document: AgreementDocument) -> None:
    data = document.as_data()
    version.document = data
    version.title = document.title
    version.tier = document.tier.value
    version.sha256 = hashlib.sha256(rfc8785.dumps(data)).hexdigest()


def _require_draft(version: AgreementVersion) -> None:
    if version.state != DRAFT:
        raise Conflict(
            _l("%(agreement)s is published and cannot change", agreement=ref_of(version)),
            code="agreements.version-published",
            hint=N_("add a new version instead"),
        )


def _now(session: Session) -> datetime:
    return node_of(session).clock.now()
