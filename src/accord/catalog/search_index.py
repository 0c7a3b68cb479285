"""Keeping ``catalog_search`` in step with the datasets: one row per dataset that has a
published or withdrawn version, describing its current version.

The current version is the newest published one; a dataset whose every public version was
withdrawn is indexed as withdrawn (shown only when a search asks for withdrawn versions).
The full-text index follows the row by itself (FTS5 triggers; a generated tsvector column).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from accord.catalog.metadata import DatasetMetadata
from accord.catalog.models import (
    Dataset,
    DatasetVersion,
    SearchEntry,
    SearchSubject,
    VersionState,
)
from accord.catalog.pids import version_pid

SEPARATOR = "\n"
MAX_SUBJECT = 200


def search_values(
    *,
    dataset_id: str,
    version_id: str,
    number: int,
    pid: str,
    state: str,
    metadata: DatasetMetadata,
    organisation_name: str,
    published_at: datetime,
) -> dict[str, Any]:
    """The ``catalog_search`` column values for one version (used by the service and by bulk
    loaders, so that both fill the index the same way)."""
    return {
        "dataset_id": dataset_id,
        "version_id": version_id,
        "number": number,
        "pid": pid,
        "state": state,
        "title": metadata.title,
        "description": SEPARATOR.join(d.description for d in metadata.descriptions),
        "subjects": SEPARATOR.join(subject_values(metadata)),
        "keywords": SEPARATOR.join(metadata.keywords),
        "creators": SEPARATOR.join(c.name for c in metadata.creators),
        "tier": metadata.tier.value,
        "licence": metadata.licence,
        "country": metadata.country_of_origin,
        "organisation_id": metadata.organisation_id,
        "organisation_name": organisation_name,
        "year": metadata.publication_year or published_at.year,
        "published_at": published_at,
    }


def subject_values(metadata: DatasetMetadata) -> list[str]:
    """Distinct subject terms, in order, as facet values."""
    seen: dict[str, None] = {}
    for subject in metadata.subjects:
        seen.setdefault(subject.subject[:MAX_SUBJECT], None)
    return list(seen)


def reindex_dataset(
    session: Session, dataset: Dataset, *, node_id: str, organisation_name: str
) -> None:
    """Point the dataset's search row at its current public version (or remove it)."""
    current = current_public_version(dataset)
    existing = session.scalar(select(SearchEntry).where(SearchEntry.dataset_id == dataset.id))
    if current is None:
        if existing is not None:
            session.delete(existing)
        return
    metadata = DatasetMetadata.model_validate(current.document)
    assert current.published_at is not None
    values = search_values(
        dataset_id=dataset.id,
        version_id=current.id,
        number=current.number,
        pid=version_pid(node_id, dataset.id, current.number),
        state=current.state,
        metadata=metadata,
        organisation_name=organisation_name,
        published_at=current.published_at,
    )
    if existing is None:
        existing = SearchEntry(**values)
        session.add(existing)
    else:
        for name, value in values.items():
            setattr(existing, name, value)
    session.flush()
    session.execute(delete(SearchSubject).where(SearchSubject.search_id == existing.id))
    subjects = subject_values(metadata)
    if subjects:
        session.execute(
            insert(SearchSubject), [{"search_id": existing.id, "subject": s} for s in subjects]
        )


def current_public_version(dataset: Dataset) -> DatasetVersion | None:
    """The newest published version, else the newest withdrawn one, else None."""
    for state in (VersionState.PUBLISHED, VersionState.WITHDRAWN):
        versions = [v for v in dataset.versions if v.state == state]
        if versions:
            return max(versions, key=lambda v: v.number)
    return None
