"""Reading the catalog into ``VersionRecord``s (the only place that knows both sides).

Only published versions are exported: a draft is ``Conflict`` (publish it first), a withdrawn
version is ``Gone`` (its tombstone page stays; its metadata is no longer distributed).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from accord.catalog import service as catalog
from accord.catalog.documents import content_url
from accord.catalog.metadata import DatasetMetadata
from accord.catalog.models import DatasetVersion, VersionState
from accord.errors import Conflict, Gone
from accord.identity import service as identity
from accord.identity.principal import Principal
from accord.node import node_of
from accord.standards.record import (
    FileEntry,
    NodeInfo,
    OrganisationInfo,
    VersionLink,
    VersionRecord,
    version_url,
)


def published_record(
    session: Session, dataset_id: str, number: int | None, viewer: Principal | None
) -> VersionRecord:
    """The record of a published version (the newest one when ``number`` is None)."""
    version = catalog.get_version(session, dataset_id, number, viewer)
    require_published(version)
    return record_of(session, version)


def require_published(version: DatasetVersion) -> None:
    ref = f"{version.dataset_id}@v{version.number}"
    if version.state == VersionState.WITHDRAWN:
        raise Gone(
            f"{ref} was withdrawn: its metadata is no longer exported",
            code="standards.version-withdrawn",
            hint=f"see /datasets/{version.dataset_id} for the current version",
        )
    if version.state != VersionState.PUBLISHED:
        raise Conflict(
            f"{ref} is a draft: only published versions are exported",
            code="standards.version-not-published",
            hint="publish the version first",
        )


def node_info(session: Session) -> NodeInfo:
    identity_ = node_of(session).identity
    return NodeInfo(
        node_id=identity_.node_id,
        name=identity_.name,
        base_url=identity_.base_url.rstrip("/"),
        jurisdiction=identity_.jurisdiction,
    )


def record_of(session: Session, version: DatasetVersion) -> VersionRecord:
    node = node_info(session)
    org = identity.get_organisation(session, version.dataset.organisation_id)
    return VersionRecord(
        node=node,
        organisation=OrganisationInfo(org.id, org.name, org.country, org.ror_id),
        dataset_id=version.dataset_id,
        version_id=version.id,
        number=version.number,
        pid=catalog.pid_of(session, version),
        state=version.state,
        metadata=DatasetMetadata.model_validate(version.document),
        files=tuple(
            FileEntry(f.id, f.path, f.size, f.media_type, f.sha256, node.base_url + content_url(f))
            for f in version.files
        ),
        published_at=version.published_at,
        withdrawn_at=version.withdrawn_at,
        updated_at=version.updated_at,
        manifest_sha256=version.manifest_sha256,
        versions=tuple(
            VersionLink(
                number=v.number,
                pid=catalog.pid_of(session, v),
                state=v.state,
                landing_url=version_url(node.base_url, v.dataset_id, v.number),
                published_at=v.published_at,
                withdrawn_at=v.withdrawn_at,
            )
            for v in catalog.visible_versions(version.dataset, None)
        ),
    )
