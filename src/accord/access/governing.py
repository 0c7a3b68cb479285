"""The agreement that governs a dataset version, as the access workflow needs it.

Agreements are documents of the agreements domain, attached to dataset versions there; this
module asks that domain which one governs a version and keeps what a request and a grant copy
from it (the reference ``agr_…@v<n>`` and the document's terms). A version with no agreement
attached falls back to committee review of every request (``default_agreement``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from accord.agreements import service as agreements
from accord.agreements.document import AgreementDocument, Committee, DuoTerms, Review, Tier
from accord.agreements.durations import Duration
from accord.catalog.models import DatasetVersion

DEFAULT_DEADLINE = Duration(days=30)


@dataclass(frozen=True)
class Governing:
    """A dataset version and the agreement document that governs it."""

    dataset_id: str
    version_id: str
    ref: str | None
    document: AgreementDocument

    @property
    def terms(self) -> dict[str, Any]:
        """The agreement as JSON-ready data (copied into requests and grants)."""
        return self.document.as_data()

    @property
    def committee_name(self) -> str:
        committee = self.document.committee
        return committee.name if committee is not None else "Data access committee"

    @property
    def deadline(self) -> Duration:
        committee = self.document.committee
        return committee.decision_deadline if committee is not None else DEFAULT_DEADLINE

    @property
    def reviews_every_request(self) -> bool:
        committee = self.document.committee
        return committee is not None and committee.review is Review.EVERY_REQUEST


def governing_agreement(session: Session, version: DatasetVersion) -> Governing:
    """The agreement that governs ``version``: the published agreement version attached to it.

    A version without an agreement is governed by the node's default for its tier: every
    purpose is admissible and the data access committee reviews every request, so nothing is
    granted without a person deciding.
    """
    attached = agreements.governing(session, version.id)
    if attached is None:
        return Governing(version.dataset_id, version.id, None, default_agreement(version))
    ref = agreements.ref_of(attached)
    document = _published_documents.get(ref)
    if document is None:
        if len(_published_documents) >= _MAX_DOCUMENTS:
            _published_documents.clear()
        document = _published_documents[ref] = agreements.document_of(attached)
    return Governing(version.dataset_id, version.id, ref, document)


# Published agreement versions never change (decision 0102), so each process parses a version's
# document once; the engine compiles each document once too (``compile_agreement``).
_published_documents: dict[str, AgreementDocument] = {}
_MAX_DOCUMENTS = 4096


def default_agreement(version: DatasetVersion) -> AgreementDocument:
    """Committee review of every request, under the version's own tier and licence."""
    return AgreementDocument(
        title=f"Default terms for {version.tier} data",
        summary="No agreement is attached to this version: the committee reviews every request.",
        tier=Tier(version.tier),
        licence=version.licence,
        duo=DuoTerms(permission="NRES"),
        committee=Committee(
            name="Data access committee",
            decision_deadline=DEFAULT_DEADLINE,
            review=Review.EVERY_REQUEST,
        ),
    )
