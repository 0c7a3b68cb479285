"""Released outputs as files: the result table (CSV), a manifest, and the node's signature.

The manifest says what was released, from what, under which grant and checks: the job, the
dataset version's persistent id, the SHA-256 of the query, the suppression notes, the epsilon
spent, who released it (the automatic checks or an output checker), and each file with its
size and SHA-256. It is canonical JSON (RFC 8785) signed with the node's Ed25519 key, so that
anyone can check an output against the node's public key.

The three files are known before any is stored (the manifest names the result by its digest),
so they are stored at once, each in a thread of its own: every blob is still fsynced before it
is renamed (DESIGN.md rule 3), but the three waits for the disk overlap instead of adding up.
The threads end before ``store_release`` returns.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from accord.catalog.manifest import sign_manifest
from accord.node import NodeContext
from accord.storage.blobs import BlobStore, blob_store_of
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
    table = csv_bytes(columns, rows)
    result = _described(RESULT, "text/csv", table)
    document = {**manifest, "format": OUTPUT_FORMAT, "files": [_entry(result)]}
    signed = sign_manifest(node.signing_key, document)
    signature = signed.signature.encode() + b"\n"
    contents = (
        (result, table),
        (_described(MANIFEST, "application/json", signed.canonical), signed.canonical),
        (_described(SIGNATURE, "text/plain", signature), signature),
    )
    files = _store_all(blob_store_of(node), contents)
    return Release(files, signed.canonical, signed.sha256)


def _described(name: str, media_type: str, data: bytes) -> StoredFile:
    return StoredFile(name, hashlib.sha256(data).hexdigest(), len(data), media_type)


def _store_all(
    store: BlobStore, contents: Sequence[tuple[StoredFile, bytes]]
) -> tuple[StoredFile, ...]:
    """Store the files at once; each is checked against the digest it was described with."""
    with ThreadPoolExecutor(len(contents), thread_name_prefix="accord-output") as pool:
        stored = pool.map(lambda item: _store(store, *item), contents)
        return tuple(stored)


def _store(store: BlobStore, file: StoredFile, data: bytes) -> StoredFile:
    ingest_chunks(store, [data], expected_sha256=file.sha256, expected_size=file.size)
    return file


def _entry(file: StoredFile) -> dict[str, Any]:
    return {
        "name": file.name,
        "size": file.size,
        "media_type": file.media_type,
        "sha256": file.sha256,
    }
