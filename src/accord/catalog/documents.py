"""Rows to response documents: the API, the pages, DRS and the CLI all show the same shapes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from accord.catalog import schemas
from accord.catalog.citation import citation_text, landing_url
from accord.catalog.metadata import DatasetMetadata
from accord.catalog.models import Dataset, DatasetFile, DatasetVersion, SearchEntry
from accord.catalog.search import SearchResult, encode_cursor
from accord.catalog.search_index import SEPARATOR
from accord.catalog.service import current_version_number, pid_of, visible_versions
from accord.identity.principal import Principal
from accord.node import node_of

MAX_SNIPPET = 300


def content_url(file: DatasetFile) -> str:
    v = file.version
    return f"/api/v1/datasets/{v.dataset_id}/versions/{v.number}/files/{file.id}/content"


def file_out(file: DatasetFile) -> schemas.FileOut:
    return schemas.FileOut(
        id=file.id,
        path=file.path,
        size=file.size,
        sha256=file.sha256,
        media_type=file.media_type,
        created_at=file.created_at,
        content_url=content_url(file),
    )


def version_summary(session: Session, version: DatasetVersion) -> schemas.VersionSummary:
    return schemas.VersionSummary(
        number=version.number,
        state=version.state,
        pid=pid_of(session, version),
        title=version.title,
        tier=version.tier,
        published_at=version.published_at,
        withdrawn_at=version.withdrawn_at,
    )


def version_out(session: Session, version: DatasetVersion) -> schemas.VersionOut:
    metadata = DatasetMetadata.model_validate(version.document)
    pid = pid_of(session, version)
    base_url = node_of(session).identity.base_url
    return schemas.VersionOut(
        **version_summary(session, version).model_dump(),
        id=version.id,
        dataset_id=version.dataset_id,
        licence=version.licence,
        doi=metadata.doi,
        metadata=version.document,
        files=[file_out(f) for f in version.files],
        total_size=sum(f.size for f in version.files),
        created_at=version.created_at,
        updated_at=version.updated_at,
        withdrawal_reason=version.withdrawal_reason,
        manifest_sha256=version.manifest_sha256,
        citation=citation_text(
            metadata,
            pid=pid,
            number=version.number,
            landing=landing_url(base_url, version.dataset_id, version.number),
        ),
    )


def dataset_out(session: Session, dataset: Dataset, viewer: Principal | None) -> schemas.DatasetOut:
    return schemas.DatasetOut(
        id=dataset.id,
        organisation_id=dataset.organisation_id,
        created_at=dataset.created_at,
        current_version=current_version_number(dataset),
        versions=[version_summary(session, v) for v in visible_versions(dataset, viewer)],
    )


def search_hit(entry: SearchEntry | Row[Any]) -> schemas.SearchHit:
    description = entry.description.split(SEPARATOR, 1)[0]
    if len(description) > MAX_SNIPPET:
        description = description[: MAX_SNIPPET - 1].rsplit(" ", 1)[0] + "…"
    return schemas.SearchHit(
        dataset_id=entry.dataset_id,
        version=entry.number,
        pid=entry.pid,
        state=entry.state,
        title=entry.title,
        description=description,
        tier=entry.tier,
        licence=entry.licence,
        country=entry.country,
        organisation=schemas.OrganisationRef(
            id=entry.organisation_id, name=entry.organisation_name
        ),
        year=entry.year,
        subjects=_split(entry.subjects),
        keywords=_split(entry.keywords),
        creators=_split(entry.creators),
        published_at=entry.published_at,
        url=f"/datasets/{entry.dataset_id}",
    )


def search_page(result: SearchResult) -> schemas.SearchPage:
    return schemas.SearchPage(
        items=[search_hit(e) for e in result.entries],
        total=result.total,
        facets={
            name: [schemas.FacetValue(value=c.value, label=c.label, count=c.count) for c in counts]
            for name, counts in result.facets.items()
        },
        next_cursor=None if result.next_offset is None else encode_cursor(result.next_offset),
    )


def _split(joined: str) -> list[str]:
    return [part for part in joined.split(SEPARATOR) if part]
