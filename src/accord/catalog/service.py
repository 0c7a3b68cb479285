"""Catalog operations: datasets and their versions from draft to published to withdrawn.

Plain functions over a session and explicit arguments; each state change is logged to the
ledger in the same transaction (DESIGN.md rule 1); callers commit. Lifecycle:

- ``create_dataset`` makes a dataset and its draft version 1;
- a draft's metadata and files change freely (``update_draft``, ``add_file``, ``remove_file``);
- ``publish`` freezes a draft: publication year, persistent id, signed manifest, search index;
  a published version never changes again;
- ``start_version`` opens the next draft from the newest version (metadata and files);
- ``withdraw`` takes a published version out of use with a reason: its bytes are kept, its page
  becomes a tombstone, it leaves the default search, and nobody downloads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import ledger
from accord.catalog.access import has_accepted, is_steward, terms_digest, terms_of
from accord.catalog.manifest import (
    ManifestFile,
    build_manifest,
    metadata_digest,
    sign_manifest,
)
from accord.catalog.media_types import guess_media_type, is_media_type
from accord.catalog.metadata import DatasetMetadata
from accord.catalog.models import (
    Dataset,
    DatasetFile,
    DatasetVersion,
    TermsAcceptance,
    VersionState,
)
from accord.catalog.pids import version_pid
from accord.catalog.search_index import reindex_dataset
from accord.clock import rfc3339
from accord.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from accord.i18n.translate import N_, _l
from accord.identity import service as identity
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.ids import new_id
from accord.labels import label
from accord.node import node_of
from accord.storage import releases
from accord.storage.blobs import BlobInfo, blob_store_of
from accord.storage.paths import safe_file_path


def _now(session: Session) -> datetime:
    return node_of(session).clock.now()


# --- reading -----------------------------------------------------------------------------------


def get_dataset(session: Session, dataset_id: str) -> Dataset:
    dataset = session.get(Dataset, dataset_id) if len(dataset_id) <= 40 else None
    if dataset is None:
        raise NotFound(
            _l("no dataset %(dataset)r", dataset=dataset_id[:60]), code="catalog.dataset-not-found"
        )
    return dataset


def visible_versions(dataset: Dataset, viewer: Principal | None) -> list[DatasetVersion]:
    """Published and withdrawn versions for everyone; drafts only for the dataset's stewards."""
    return [v for v in dataset.versions if v.state != VersionState.DRAFT or is_steward(viewer, v)]


def get_version(
    session: Session, dataset_id: str, number: int | None, viewer: Principal | None
) -> DatasetVersion:
    """Version ``number`` (or the newest public one when None) as ``viewer`` may see it.

    A draft is ``NotFound`` to anyone who may not edit the dataset (no existence leak).
    """
    dataset = get_dataset(session, dataset_id)
    versions = visible_versions(dataset, viewer)
    if number is None:
        public = [v for v in versions if v.state == VersionState.PUBLISHED] or [
            v for v in versions if v.state == VersionState.WITHDRAWN
        ]
        chosen = public[-1] if public else (versions[-1] if versions else None)
    else:
        chosen = next((v for v in versions if v.number == number), None)
    if chosen is None:
        ref = f"{dataset_id}@v{number}" if number is not None else dataset_id
        raise NotFound(
            _l("no visible version %(version)s", version=ref), code="catalog.version-not-found"
        )
    return chosen


def get_file(session: Session, version: DatasetVersion, file_id: str) -> DatasetFile:
    found = next((f for f in version.files if f.id == file_id), None)
    if found is None:
        raise NotFound(
            _l(
                "no file %(file)r in %(version)s",
                file=file_id[:60],
                version=f"{version.dataset_id}@v{version.number}",
            ),
            code="catalog.file-not-found",
        )
    return found


def find_file(session: Session, file_id: str) -> DatasetFile:
    """A file by id alone (GA4GH DRS object ids are file ids)."""
    found = session.get(DatasetFile, file_id) if len(file_id) <= 40 else None
    if found is None:
        raise NotFound(_l("no object %(file)r", file=file_id[:60]), code="catalog.file-not-found")
    return found


def current_version_number(dataset: Dataset) -> int | None:
    published = [v.number for v in dataset.versions if v.state == VersionState.PUBLISHED]
    return max(published) if published else None


def pid_of(session: Session, version: DatasetVersion) -> str:
    return version_pid(node_of(session).identity.node_id, version.dataset_id, version.number)


def drafts_of(session: Session, viewer: Principal, *, limit: int = 50) -> list[DatasetVersion]:
    """The newest drafts ``viewer`` may edit (for the steward's pages and the CLI)."""
    rows = session.scalars(
        select(DatasetVersion)
        .where(DatasetVersion.state == VersionState.DRAFT)
        .order_by(DatasetVersion.updated_at.desc())
        .limit(500)
    ).all()
    return [v for v in rows if is_steward(viewer, v)][:limit]


# --- creating and editing drafts ---------------------------------------------------------------


def create_dataset(session: Session, actor: Principal, metadata: DatasetMetadata) -> DatasetVersion:
    """A new dataset owned by ``metadata.organisation_id``, with draft version 1."""
    if not actor.can(Permission.DATASET_CREATE, organisation_id=metadata.organisation_id):
        raise Forbidden(
            N_("you may not create datasets for this organisation"),
            code="catalog.not-steward",
            hint=N_("ask an admin for the steward role in this organisation"),
        )
    metadata = _checked_against_node(session, metadata)
    now = _now(session)
    dataset = Dataset(
        id=new_id("ds"),
        organisation_id=metadata.organisation_id,
        created_by=actor.user_id,
        created_at=now,
    )
    session.add(dataset)
    version = _new_version(dataset, 1, metadata, actor, now)
    session.add(version)
    session.flush()
    ledger.append(
        session,
        ledger.Event(
            "catalog.dataset.created",
            subjects={"actor": actor.user_id},
            public={
                "dataset": dataset.id,
                "version": 1,
                "organisation": dataset.organisation_id,
                "tier": metadata.tier.value,
            },
            record={"metadata_sha256": metadata_digest(version.document)},
        ),
    )
    return version


def update_draft(
    session: Session, actor: Principal, dataset_id: str, number: int, metadata: DatasetMetadata
) -> DatasetVersion:
    """Replace a draft's metadata; published and withdrawn versions are immutable."""
    version = _editable_draft(session, actor, dataset_id, number, Permission.DATASET_UPDATE)
    metadata = _checked_against_node(session, metadata)
    if metadata.organisation_id != version.dataset.organisation_id:
        raise _invalid(
            [FieldError("organisation_id", "a dataset stays with the organisation that owns it")]
        )
    _set_metadata(version, metadata)
    version.updated_at = _now(session)
    ledger.append(
        session,
        ledger.Event(
            "catalog.version.updated",
            subjects={"actor": actor.user_id},
            public={"dataset": dataset_id, "version": number, "tier": metadata.tier.value},
            record={"metadata_sha256": metadata_digest(version.document)},
        ),
    )
    return version


def start_version(session: Session, actor: Principal, dataset_id: str) -> DatasetVersion:
    """Open the next draft, starting from the newest version's metadata and files."""
    dataset = get_dataset(session, dataset_id)
    _require(actor, Permission.DATASET_UPDATE, dataset)
    if any(v.state == VersionState.DRAFT for v in dataset.versions):
        raise Conflict(
            _l("%(dataset)s has a draft already", dataset=dataset_id),
            code="catalog.draft-exists",
            hint=N_("edit and publish the existing draft first"),
        )
    previous = dataset.versions[-1]
    now = _now(session)
    metadata = DatasetMetadata.model_validate(previous.document)
    version = _new_version(dataset, previous.number + 1, metadata, actor, now)
    version.files = [
        DatasetFile(
            id=new_id("fil"),
            path=f.path,
            size=f.size,
            sha256=f.sha256,
            media_type=f.media_type,
            created_at=now,
        )
        for f in previous.files
    ]
    session.add(version)
    session.flush()
    ledger.append(
        session,
        ledger.Event(
            "catalog.version.created",
            subjects={"actor": actor.user_id},
            public={"dataset": dataset_id, "version": version.number, "from": previous.number},
        ),
    )
    return version


def add_file(
    session: Session,
    actor: Principal,
    dataset_id: str,
    number: int,
    *,
    path: str,
    blob: BlobInfo,
    media_type: str | None = None,
    replace: bool = False,
) -> DatasetFile:
    """Attach a stored blob to a draft under ``path`` (a safe relative path)."""
    version = _editable_draft(session, actor, dataset_id, number, Permission.FILE_UPLOAD)
    clean = safe_file_path(path)
    kind = (media_type or "").strip().lower() or guess_media_type(clean)
    if not is_media_type(kind):
        raise _invalid([FieldError("media_type", "a media type looks like text/csv")])
    try:
        releases.claim(session, blob.sha256)
    except NotFound:
        raise Conflict(f"blob {blob.sha256} is not stored", code="storage.blob-missing") from None
    existing = next((f for f in version.files if f.path == clean), None)
    if existing is not None and not replace:
        raise Conflict(
            _l(
                "%(path)s exists already in %(version)s",
                path=clean,
                version=f"{dataset_id}@v{number}",
            ),
            code="catalog.file-exists",
            hint=N_("remove the file first, or replace it"),
            errors=[FieldError("path", N_("a file with this path exists"))],
        )
    if existing is not None:
        version.files.remove(existing)
        session.flush()
    file = DatasetFile(
        id=new_id("fil"),
        path=clean,
        size=blob.size,
        sha256=blob.sha256,
        media_type=kind,
        created_at=_now(session),
    )
    version.files.append(file)
    version.updated_at = file.created_at
    session.flush()
    ledger.append(
        session,
        ledger.Event(
            "catalog.file.added",
            subjects={"actor": actor.user_id},
            public={"dataset": dataset_id, "version": number, "file": file.id, "size": blob.size},
            record={"path": clean, "sha256": blob.sha256, "media_type": kind},
        ),
    )
    return file


def stored_blob_for_operator(session: Session, actor: Principal, sha256: str) -> BlobInfo:
    """A blob already in the store, by digest: only for the node's local operator (the CLI on
    the data dir), who could read every blob anyway. Anyone else attaching by digest could copy
    the bytes of data they may not download, so they must upload."""
    if actor.via != "local":
        raise Forbidden(
            "only the node's local operator may attach a stored blob by its sha256",
            code="catalog.attach-by-digest",
            hint="upload the file through /api/v1/uploads and attach it with its upload_id",
        )
    store = blob_store_of(node_of(session))
    if not store.exists(sha256):
        raise NotFound(f"no blob {sha256} is stored", code="storage.blob-missing")
    return store.stat(sha256)


def remove_file(
    session: Session, actor: Principal, dataset_id: str, number: int, file_id: str
) -> None:
    """Detach a file from a draft; a blob nothing else references is released, and the storage
    sweep deletes its bytes (``accord.storage.releases``)."""
    version = _editable_draft(session, actor, dataset_id, number, Permission.FILE_UPLOAD)
    file = get_file(session, version, file_id)
    version.files.remove(file)
    version.updated_at = _now(session)
    session.flush()
    releases.release(session, file.sha256, file.size, actor.user_id, version.updated_at)
    ledger.append(
        session,
        ledger.Event(
            "catalog.file.removed",
            subjects={"actor": actor.user_id},
            public={"dataset": dataset_id, "version": number, "file": file_id},
            record={"path": file.path, "sha256": file.sha256},
        ),
    )


# --- publishing and withdrawing ------------------------------------------------------------------


def publish(session: Session, actor: Principal, dataset_id: str, number: int) -> DatasetVersion:
    """Freeze a draft: publication year, persistent id, signed manifest, search index."""
    version = _editable_draft(session, actor, dataset_id, number, Permission.VERSION_PUBLISH)
    _check_publishable(session, version)
    node = node_of(session)
    now = node.clock.now()
    metadata = DatasetMetadata.model_validate(version.document)
    if metadata.publication_year is None:
        metadata = metadata.model_copy(update={"publication_year": now.year})
        _set_metadata(version, metadata)
    pid = version_pid(node.identity.node_id, dataset_id, number)
    manifest = build_manifest(
        node_id=node.identity.node_id,
        pid=pid,
        dataset_id=dataset_id,
        number=number,
        published_at=rfc3339(now),
        metadata_sha256=metadata_digest(version.document),
        files=[ManifestFile(f.path, f.size, f.media_type, f.sha256) for f in version.files],
    )
    signed = sign_manifest(node.signing_key, manifest)
    version.manifest = signed.canonical.decode()
    version.manifest_sha256 = signed.sha256
    version.manifest_signature = signed.signature
    version.state = VersionState.PUBLISHED
    version.published_at = now
    version.updated_at = now
    session.flush()
    _reindex(session, version.dataset)
    ledger.append(
        session,
        ledger.Event(
            "catalog.version.published",
            subjects={"actor": actor.user_id},
            public={
                "dataset": dataset_id,
                "version": number,
                "pid": pid,
                "tier": version.tier,
                "licence": version.licence,
                "manifest_sha256": signed.sha256,
                "files": len(version.files),
            },
        ),
    )
    return version


def withdraw(
    session: Session, actor: Principal, dataset_id: str, number: int, reason: str
) -> DatasetVersion:
    """Withdraw a published version; the reason shows on its tombstone page."""
    dataset = get_dataset(session, dataset_id)
    _require(actor, Permission.VERSION_WITHDRAW, dataset)
    version = next((v for v in dataset.versions if v.number == number), None)
    if version is None:
        raise NotFound(f"no version {dataset_id}@v{number}", code="catalog.version-not-found")
    if version.state != VersionState.PUBLISHED:
        raise Conflict(
            _l(
                "%(version)s is %(state)s: only published versions are withdrawn",
                version=f"{dataset_id}@v{number}",
                state=label("version-state", version.state),
            ),
            code="catalog.version-not-published",
        )
    text = reason.strip()
    if len(text) < 10:
        raise _invalid([FieldError("reason", "say why in at least 10 characters")])
    now = _now(session)
    version.state = VersionState.WITHDRAWN
    version.withdrawn_at = now
    version.withdrawal_reason = text
    version.updated_at = now
    session.flush()
    _reindex(session, dataset)
    ledger.append(
        session,
        ledger.Event(
            "catalog.version.withdrawn",
            subjects={"actor": actor.user_id},
            public={"dataset": dataset_id, "version": number},
            record={"reason": text},
        ),
    )
    return version


# --- terms of use ----------------------------------------------------------------------------


def accept_terms(
    session: Session, actor: Principal, dataset_id: str, number: int | None = None
) -> TermsAcceptance:
    """Record that ``actor`` accepted the terms of use the version carries (idempotent)."""
    version = get_version(session, dataset_id, number, actor)
    if version.state != VersionState.PUBLISHED:
        raise Conflict(
            _l(
                "%(version)s is %(state)s: its terms cannot be accepted",
                version=f"{dataset_id}@v{version.number}",
                state=label("version-state", version.state),
            ),
            code="catalog.version-not-published",
        )
    digest = terms_digest(terms_of(version))
    existing = session.scalar(
        select(TermsAcceptance).where(
            TermsAcceptance.dataset_id == dataset_id,
            TermsAcceptance.user_id == actor.user_id,
            TermsAcceptance.terms_sha256 == digest,
        )
    )
    if existing is not None:
        return existing
    acceptance = TermsAcceptance(
        id=new_id("ta"),
        dataset_id=dataset_id,
        user_id=actor.user_id,
        version_number=version.number,
        terms_sha256=digest,
        accepted_at=_now(session),
    )
    session.add(acceptance)
    session.flush()
    ledger.append(
        session,
        ledger.Event(
            "catalog.terms.accepted",
            subjects={"actor": actor.user_id},
            public={"dataset": dataset_id, "version": version.number, "terms_sha256": digest},
        ),
    )
    return acceptance


def terms_status(
    session: Session, viewer: Principal | None, version: DatasetVersion
) -> bool | None:
    return None if viewer is None else has_accepted(session, viewer.user_id, version)


# --- internals ---------------------------------------------------------------------------------


def _new_version(
    dataset: Dataset, number: int, metadata: DatasetMetadata, actor: Principal, now: datetime
) -> DatasetVersion:
    version = DatasetVersion(
        id=new_id("dv"),
        number=number,
        state=VersionState.DRAFT,
        created_by=actor.user_id,
        created_at=now,
        updated_at=now,
        files=[],
    )
    version.dataset = dataset
    _set_metadata(version, metadata)
    return version


def _set_metadata(version: DatasetVersion, metadata: DatasetMetadata) -> None:
    version.document = metadata.as_json()
    version.title = metadata.title[:500]
    version.tier = metadata.tier.value
    version.licence = metadata.licence[:300]


def editable_draft(
    session: Session, actor: Principal, dataset_id: str, number: int
) -> DatasetVersion:
    """The draft ``actor`` may edit (``Forbidden``, ``NotFound``, or ``Conflict`` when the
    version is published or withdrawn)."""
    return _editable_draft(session, actor, dataset_id, number, Permission.DATASET_UPDATE)


def _editable_draft(
    session: Session, actor: Principal, dataset_id: str, number: int, permission: Permission
) -> DatasetVersion:
    dataset = get_dataset(session, dataset_id)
    _require(actor, permission, dataset)
    version = next((v for v in dataset.versions if v.number == number), None)
    if version is None:
        raise NotFound(f"no version {dataset_id}@v{number}", code="catalog.version-not-found")
    if version.state != VersionState.DRAFT:
        raise Conflict(
            _l(
                "%(version)s is %(state)s: a published version never changes",
                version=f"{dataset_id}@v{number}",
                state=label("version-state", version.state),
            ),
            code="catalog.version-immutable",
            hint=f"start a new version with POST /api/v1/datasets/{dataset_id}/versions",
        )
    return version


def _require(actor: Principal, permission: Permission, dataset: Dataset) -> None:
    if not actor.can(permission, organisation_id=dataset.organisation_id, dataset_id=dataset.id):
        raise Forbidden(
            _l("you may not do this to %(dataset)s", dataset=dataset.id),
            code="catalog.not-steward",
            hint=N_("only stewards of the dataset's organisation may change it"),
            extra={"permission": permission.value},
        )


def _checked_against_node(session: Session, metadata: DatasetMetadata) -> DatasetMetadata:
    """Checks that need the database: the organisation and the stewards exist. Fills the
    country of origin from the organisation when it is not given."""
    errors: list[FieldError] = []
    try:
        org = identity.get_organisation(session, metadata.organisation_id)
    except NotFound:
        raise _invalid([FieldError("organisation_id", "no such organisation")]) from None
    for index, user_id in enumerate(metadata.stewards):
        try:
            identity.get_user(session, user_id)
        except NotFound:
            errors.append(FieldError(f"stewards.{index}", f"no user {user_id}"))
    if errors:
        raise _invalid(errors)
    if metadata.country_of_origin is None:
        metadata = metadata.model_copy(update={"country_of_origin": org.country})
    return metadata


def _check_publishable(session: Session, version: DatasetVersion) -> None:
    if not version.files:
        raise _invalid(
            [FieldError("files", "upload at least one file before publishing")],
            code="catalog.no-files",
        )
    store = blob_store_of(node_of(session))
    missing = [f.path for f in version.files if not store.exists(f.sha256)]
    if missing:
        raise Conflict(
            f"the bytes of {', '.join(missing[:5])} are missing from the blob store",
            code="storage.blob-missing",
            hint="upload these files again",
        )


def _reindex(session: Session, dataset: Dataset) -> None:
    org = identity.get_organisation(session, dataset.organisation_id)
    reindex_dataset(
        session, dataset, node_id=node_of(session).identity.node_id, organisation_name=org.name
    )


def _invalid(errors: Sequence[FieldError], code: str = "catalog.invalid-metadata") -> InvalidInput:
    summary = "; ".join(f"{e.location}: {e.message}" for e in errors)
    return InvalidInput(summary, code=code, errors=errors)
