"""``accord verify``: are the catalog's bytes and manifests still what was published?

Every blob a file refers to is re-hashed (``storage.ingest.verify_blob``); every published or
withdrawn version's manifest must carry a valid node signature, match the version's file rows,
and match the digest of the version's metadata. Each mismatch is named by dataset, version and
file, so that an operator knows exactly what to restore.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.catalog.manifest import (
    ManifestFile,
    SignedManifest,
    manifest_files,
    metadata_digest,
    verify_manifest,
)
from accord.catalog.models import DatasetFile, DatasetVersion, VersionState
from accord.catalog.schemas import VerificationOut, VerificationProblem
from accord.errors import AccordError, VerificationFailed
from accord.ledger.keyring import Keyring
from accord.storage.blobs import BlobStore
from accord.storage.ingest import verify_blob

Progress = Callable[[int, int], None]


def manifest_key(
    version: DatasetVersion, signed: SignedManifest, keys: Ed25519PublicKey | Keyring
) -> Ed25519PublicKey:
    """The key, valid when ``version`` was published, that signed its manifest; raises
    ``VerificationFailed`` when none did."""
    if not isinstance(keys, Keyring):
        verify_manifest(keys, signed.canonical, signed.signature)
        return keys
    when = version.published_at
    candidates = keys.keys if when is None else keys.around(when)
    failure = VerificationFailed(
        "the manifest signature does not verify with the node's key of its publication time",
        code="catalog.manifest-signature",
    )
    for candidate in candidates:
        try:
            verify_manifest(candidate.public_key, signed.canonical, signed.signature)
        except VerificationFailed as error:
            failure = error
            continue
        return candidate.public_key
    raise failure


def verify_catalog(
    session: Session,
    store: BlobStore,
    public_key: Ed25519PublicKey | Keyring,
    progress: Progress | None = None,
) -> VerificationOut:
    """Check every manifest and every blob; never raises for a mismatch, reports it.

    With the node's key history, each manifest is checked with the key valid when its version
    was published."""
    problems: list[VerificationProblem] = []
    versions = session.scalars(
        select(DatasetVersion).where(
            DatasetVersion.state.in_([VersionState.PUBLISHED, VersionState.WITHDRAWN])
        )
    ).all()
    for version in versions:
        problems += check_manifest(version, public_key)
    files = session.scalars(select(DatasetFile)).all()
    by_blob: dict[str, list[DatasetFile]] = defaultdict(list)
    for file in files:
        by_blob[file.sha256].append(file)
    for done, (sha256, users) in enumerate(sorted(by_blob.items()), start=1):
        problems += _check_blob(store, sha256, users)
        if progress is not None:
            progress(done, len(by_blob))
    return VerificationOut(
        ok=not problems,
        versions_checked=len(versions),
        files_checked=len(files),
        blobs_checked=len(by_blob),
        problems=problems,
    )


def check_manifest(
    version: DatasetVersion, public_key: Ed25519PublicKey | Keyring
) -> list[VerificationProblem]:
    """Signature, file list and metadata digest of one published version's manifest."""

    def problem(code: str, message: str, path: str | None = None) -> VerificationProblem:
        return VerificationProblem(
            dataset_id=version.dataset_id,
            version=version.number,
            path=path,
            code=code,
            message=message,
        )

    if version.manifest is None or version.manifest_signature is None:
        return [problem("catalog.manifest-missing", "the published version has no manifest")]
    signed = SignedManifest(version.manifest.encode(), version.manifest_signature)
    try:
        manifest_key(version, signed, public_key)
    except AccordError as error:
        return [problem(error.code, error.message)]
    found: list[VerificationProblem] = []
    if signed.document.get("metadata_sha256") != metadata_digest(version.document):
        found.append(
            problem("catalog.metadata-changed", "the metadata differs from what was published")
        )
    listed = {f.path: f for f in manifest_files(signed.document)}
    stored = {f.path: ManifestFile(f.path, f.size, f.media_type, f.sha256) for f in version.files}
    for path in sorted(listed.keys() | stored.keys()):
        if listed.get(path) != stored.get(path):
            found.append(
                problem(
                    "catalog.manifest-mismatch",
                    f"{path} differs between the signed manifest and the file records",
                    path,
                )
            )
    return found


def _check_blob(
    store: BlobStore, sha256: str, users: list[DatasetFile]
) -> list[VerificationProblem]:
    try:
        verify_blob(store, sha256)
    except AccordError as error:
        return [
            VerificationProblem(
                dataset_id=f.version.dataset_id,
                version=f.version.number,
                path=f.path,
                code=error.code,
                message=error.message,
            )
            for f in users
        ]
    return []
