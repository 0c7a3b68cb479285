"""Released outputs as files: the result table (CSV), a manifest, and the node's signature.

The manifest says what was released, from what, under which grant and checks: the job, the
dataset version's persistent id, the SHA-256 of the query, the suppression notes, the epsilon
spent, who released it (the automatic checks or an output checker), and each file with its
size and SHA-256. It is canonical JSON (RFC 8785) signed with the node's Ed25519 key, so that
anyone can check an output against the node's public key.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from accord.catalog.manifest import sign_manifest
from accord.node import NodeContext
from accord.storage.blobs import blob_store_of
from accord.storage.ingest import ingest_chunks

OUTPUT_FORMAT = "accord-output-manifest/1"
RESULT = "result.csv"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"


@dataclass(frozen=True)
class StoredFile:
    name: str
    sha256: str
    size: int
    media_type: str


@dataclass(frozen=True)
class Release:
    files: tuple[StoredFile, ...]
    manifest: bytes
    manifest_sha256: str


def csv_bytes(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """The table as CSV (RFC 4180); a hidden value is an empty field."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue().encode()


def store_release(
    node: NodeContext,
    manifest: dict[str, Any],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> Release:
    """Write the result and its signed manifest to the blob store."""
    result = _store(node, RESULT, "text/csv", csv_bytes(columns, rows))
    document = {**manifest, "format": OUTPUT_FORMAT, "files": [_entry(result)]}
    signed = sign_manifest(node.signing_key, document)
    stored_manifest = _store(node, MANIFEST, "application/json", signed.canonical)
    signature = _store(node, SIGNATURE, "text/plain", signed.signature.encode() + b"\n")
    return Release((result, stored_manifest, signature), signed.canonical, signed.sha256)


def _store(node: NodeContext, name: str, media_type: str, data: bytes) -> StoredFile:
    blob = ingest_chunks(blob_store_of(node), [data])
    return StoredFile(name, blob.sha256, blob.size, media_type)


def _entry(file: StoredFile) -> dict[str, Any]:
    return {
        "name": file.name,
        "size": file.size,
        "media_type": file.media_type,
        "sha256": file.sha256,
    }
