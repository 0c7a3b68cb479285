"""Creating dataset drafts from other systems' records: DataCite XML or JSON, or an RO-Crate.

The imported metadata goes through the catalog's own model and ``create_dataset`` (so the same
checks and permissions apply, and the catalog logs the creation); this module adds the
``standards.dataset.imported`` log entry naming the source format and the SHA-256 of the source
document. DataCite XML is checked against the DataCite 4.7 XSD first, so a bad record gets the
schema's own account of what is wrong.

An RO-Crate arrives as a finished resumable upload (a ZIP archive). Its files are stored in the
blob store and attached to the draft; when the crate carries an Accord manifest (an export of
another node), every file's SHA-256 must match it.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from rocrate.rocrate import ROCrate
from sqlalchemy.orm import Session

from accord import ledger
from accord.catalog import service as catalog
from accord.catalog.media_types import is_media_type
from accord.catalog.metadata import DatasetMetadata, Tier, parse_metadata
from accord.catalog.models import DatasetVersion
from accord.errors import FieldError, InvalidInput, VerificationFailed
from accord.identity.principal import Principal
from accord.node import node_of
from accord.standards import datacite_xml
from accord.standards.datacite_json import ImportedMetadata, metadata_from_datacite_json
from accord.standards.ro_crate import (
    MANIFEST_NAME,
    METADATA_NAME,
    crate_files,
    metadata_from_crate,
)
from accord.standards.xsd import validate_datacite
from accord.storage.blobs import BlobInfo, BlobStore, blob_store_of
from accord.storage.ingest import ingest_chunks
from accord.storage.paths import safe_file_path

MAX_CRATE_ENTRIES = 10_000
MAX_CRATE_METADATA = 16 * 1024 * 1024


def import_datacite_xml(
    session: Session, actor: Principal, data: bytes, organisation_id: str, tier: Tier | None
) -> DatasetVersion:
    root = datacite_xml.parse_document(data)
    validate_datacite(root)
    imported = metadata_from_datacite_json(datacite_xml.parse(data))
    return _create(session, actor, imported, organisation_id, tier, "datacite-xml", data)


def import_datacite_json(
    session: Session, actor: Principal, data: bytes, organisation_id: str, tier: Tier | None
) -> DatasetVersion:
    try:
        document = json.loads(data)
    except ValueError as error:
        raise InvalidInput(f"the body is not JSON: {error}", code="standards.bad-json") from None
    attributes = _datacite_attributes(document)
    imported = metadata_from_datacite_json(attributes)
    return _create(session, actor, imported, organisation_id, tier, "datacite-json", data)


def import_ro_crate(
    session: Session, actor: Principal, upload: BlobInfo, organisation_id: str, tier: Tier | None
) -> DatasetVersion:
    """A draft with the crate's metadata and files, from a finished upload of its ZIP."""
    node = node_of(session)
    store = blob_store_of(node)
    with tempfile.TemporaryFile() as archive_file:
        for chunk in store.read_range(upload.sha256):
            archive_file.write(chunk)
        archive_file.seek(0)
        with zipfile.ZipFile(archive_file) as archive:
            _check_archive(archive, node.settings.max_upload_bytes)
            crate = _read_crate(archive)
            files = crate_files(crate)
            expected = _manifest_digests(archive)
            source = _read_member(archive, METADATA_NAME)
            version = _create(
                session,
                actor,
                metadata_from_crate(crate),
                organisation_id,
                tier,
                "ro-crate",
                source,
            )
            for file in files:
                blob = _store_member(archive, file.path, store)
                _check_digest(file.path, blob, expected)
                catalog.add_file(
                    session,
                    actor,
                    version.dataset_id,
                    version.number,
                    path=file.path,
                    blob=blob,
                    media_type=file.media_type
                    if file.media_type and is_media_type(file.media_type)
                    else None,
                )
    return version


# --- the draft ------------------------------------------------------------------------------


def _create(
    session: Session,
    actor: Principal,
    imported: ImportedMetadata,
    organisation_id: str,
    tier: Tier | None,
    source_format: str,
    source: bytes,
) -> DatasetVersion:
    chosen = tier or imported.suggested_tier
    if chosen is None:
        raise InvalidInput(
            "the record does not say who may access the data: choose a tier",
            code="standards.tier-needed",
            hint="pass tier=open|registered|controlled|restricted",
            errors=[FieldError("tier", "choose the dataset's access tier")],
        )
    metadata: DatasetMetadata = parse_metadata(
        {**imported.document, "tier": chosen.value, "organisation_id": organisation_id}
    )
    version = catalog.create_dataset(session, actor, metadata)
    ledger.append(
        session,
        ledger.Event(
            "standards.dataset.imported",
            subjects={"actor": actor.user_id},
            public={
                "dataset": version.dataset_id,
                "version": version.number,
                "format": source_format,
            },
            record={"source_sha256": hashlib.sha256(source).hexdigest()},
        ),
    )
    return version


def _datacite_attributes(document: Any) -> Mapping[str, Any]:
    """DataCite JSON as DataCite's REST API sends it (``data.attributes``) or bare."""
    if isinstance(document, Mapping) and isinstance(document.get("data"), Mapping):
        attributes = document["data"].get("attributes")
        if isinstance(attributes, Mapping):
            return attributes
    if not isinstance(document, Mapping):
        raise InvalidInput("DataCite JSON is an object", code="standards.not-datacite")
    return document


# --- the crate ------------------------------------------------------------------------------


def _check_archive(archive: zipfile.ZipFile, max_bytes: int) -> None:
    entries = archive.infolist()
    if len(entries) > MAX_CRATE_ENTRIES:
        raise InvalidInput(
            f"the crate has {len(entries)} entries (at most {MAX_CRATE_ENTRIES})",
            code="standards.crate-too-large",
        )
    if sum(e.file_size for e in entries) > max_bytes:
        raise InvalidInput(
            "the crate unpacks to more than this node accepts",
            code="standards.crate-too-large",
        )
    for entry in entries:
        if not entry.is_dir():
            safe_file_path(entry.filename)


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise InvalidInput(
            f"the archive has no {name}: it is not an RO-Crate",
            code="standards.not-ro-crate",
            hint=f"an RO-Crate keeps {METADATA_NAME} at the top of the archive",
        ) from None
    if info.file_size > MAX_CRATE_METADATA:
        raise InvalidInput(f"{name} is too large", code="standards.crate-too-large")
    return archive.read(info)


def _read_crate(archive: zipfile.ZipFile) -> ROCrate:
    data = _read_member(archive, METADATA_NAME)
    try:
        json.loads(data)
    except ValueError as error:
        raise InvalidInput(
            f"{METADATA_NAME} is not JSON: {error}", code="standards.not-ro-crate"
        ) from None
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / METADATA_NAME).write_bytes(data)
        try:
            return ROCrate(folder)
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidInput(
                f"{METADATA_NAME} is not RO-Crate metadata: {error}",
                code="standards.not-ro-crate",
            ) from None


def _manifest_digests(archive: zipfile.ZipFile) -> dict[str, str] | None:
    if MANIFEST_NAME not in archive.namelist():
        return None
    try:
        document = json.loads(_read_member(archive, MANIFEST_NAME))
        files = document["manifest"]["files"]
        return {str(f["path"]): str(f["sha256"]) for f in files}
    except (ValueError, KeyError, TypeError):
        raise InvalidInput(
            f"{MANIFEST_NAME} is not an Accord manifest", code="standards.bad-manifest"
        ) from None


def _store_member(archive: zipfile.ZipFile, path: str, store: BlobStore) -> BlobInfo:
    try:
        info = archive.getinfo(path)
    except KeyError:
        raise InvalidInput(
            f"the crate lists {path} but the archive has no such file",
            code="standards.crate-file-missing",
            errors=[FieldError(path, "listed in the crate's metadata, missing from the archive")],
        ) from None
    with archive.open(info) as member:
        return ingest_chunks(store, _chunks(member), expected_size=info.file_size)


def _chunks(member: IO[bytes]) -> Iterator[bytes]:
    while chunk := member.read(1 << 20):
        yield chunk


def _check_digest(path: str, blob: BlobInfo, expected: dict[str, str] | None) -> None:
    if expected is None or path not in expected:
        return
    if expected[path] != blob.sha256:
        raise VerificationFailed(
            f"{path} does not match the SHA-256 in the crate's signed manifest",
            code="standards.crate-digest-mismatch",
        )
