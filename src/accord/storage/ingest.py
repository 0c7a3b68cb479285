"""Streaming ingest: bytes in, a verified blob out, never holding a file whole in memory.

DESIGN.md rule 3: bytes go to a temporary name, are fsynced, checked against the declared size
and SHA-256, and only then renamed under their digest. On any failure the temporary bytes are
removed, so a failed ingest leaves nothing behind. Identical content is stored once.
"""

from __future__ import annotations

import hashlib
import pathlib
from collections.abc import AsyncIterator, Iterable
from typing import BinaryIO

from accord.errors import InvalidInput, PayloadTooLarge, VerificationFailed
from accord.storage.blobs import DEFAULT_CHUNK, BlobInfo, BlobStore, BlobWriter, is_sha256


async def ingest_stream(
    store: BlobStore,
    chunks: AsyncIterator[bytes],
    *,
    expected_sha256: str | None,
    expected_size: int | None,
    max_size: int,
) -> BlobInfo:
    """Store the bytes of ``chunks`` (e.g. ``request.stream()``) as one verified blob."""
    check_declared(expected_sha256, expected_size, max_size)
    intake = Intake(store.open_writer(), expected_size=expected_size, max_size=max_size)
    try:
        async for chunk in chunks:
            intake.write(chunk)
        return intake.finish(expected_sha256)
    except BaseException:
        intake.abort()
        raise


def ingest_file(
    store: BlobStore,
    source: BinaryIO | pathlib.Path,
    *,
    expected_sha256: str | None = None,
    expected_size: int | None = None,
    max_size: int | None = None,
) -> BlobInfo:
    """Store the bytes of an open binary file or a path as one verified blob."""
    if isinstance(source, pathlib.Path):
        with source.open("rb") as handle:
            return ingest_file(
                store,
                handle,
                expected_sha256=expected_sha256,
                expected_size=expected_size,
                max_size=max_size,
            )
    check_declared(expected_sha256, expected_size, max_size)
    return ingest_chunks(
        store,
        iter(lambda: source.read(DEFAULT_CHUNK), b""),
        expected_sha256=expected_sha256,
        expected_size=expected_size,
        max_size=max_size,
    )


def ingest_chunks(
    store: BlobStore,
    chunks: Iterable[bytes],
    *,
    expected_sha256: str | None = None,
    expected_size: int | None = None,
    max_size: int | None = None,
) -> BlobInfo:
    """Store the bytes of a synchronous iterable of chunks as one verified blob."""
    intake = Intake(store.open_writer(), expected_size=expected_size, max_size=max_size)
    try:
        for chunk in chunks:
            intake.write(chunk)
        return intake.finish(expected_sha256)
    except BaseException:
        intake.abort()
        raise


def verify_blob(store: BlobStore, sha256: str) -> None:
    """Re-hash a stored blob; ``VerificationFailed(storage.blob-corrupt)`` if its bytes changed."""
    info = store.stat(sha256)
    digest = hashlib.sha256()
    size = 0
    for chunk in store.read_range(sha256):
        digest.update(chunk)
        size += len(chunk)
    if digest.hexdigest() != sha256 or size != info.size:
        raise VerificationFailed(
            f"the stored bytes of blob {sha256} no longer match their digest",
            code="storage.blob-corrupt",
            hint="restore this blob from a backup or a mirror",
        )


def check_declared(
    expected_sha256: str | None, expected_size: int | None, max_size: int | None
) -> None:
    """Refuse a malformed declared digest, a negative size, or a size over the limit, up front."""
    if expected_sha256 is not None and not _is_hex_digest(expected_sha256):
        raise InvalidInput(
            "the declared sha256 must be 64 lowercase hexadecimal characters",
            code="storage.bad-sha256",
        )
    if expected_size is not None and expected_size < 0:
        raise InvalidInput("the declared size must not be negative", code="storage.bad-size")
    if expected_size is not None and max_size is not None and expected_size > max_size:
        raise too_large(max_size)


def too_large(max_size: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the file is larger than this node accepts ({max_size} bytes)",
        code="storage.too-large",
        hint="ask the node admin to raise ACCORD_MAX_UPLOAD_BYTES, or split the file",
    )


def _is_hex_digest(value: str) -> bool:
    return is_sha256(value)


class Intake:
    """Counts, hashes and writes chunks, enforcing the size limits as bytes arrive."""

    def __init__(
        self, writer: BlobWriter, *, expected_size: int | None, max_size: int | None
    ) -> None:
        self.writer = writer
        self.digest = hashlib.sha256()
        self.size = 0
        limits = [n for n in (expected_size, max_size) if n is not None]
        self.expected_size = expected_size
        self.max_size = max_size
        self.limit = min(limits) if limits else None

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.limit is not None and self.size > self.limit:
            self._refuse_oversize()
        self.digest.update(chunk)
        self.writer.write(chunk)

    def finish(self, expected_sha256: str | None) -> BlobInfo:
        """Verify size and digest, then commit the blob under its digest."""
        if self.expected_size is not None and self.size != self.expected_size:
            raise size_mismatch(self.expected_size, self.size)
        sha256 = self.digest.hexdigest()
        if expected_sha256 is not None and sha256 != expected_sha256:
            raise sha256_mismatch(expected_sha256, sha256)
        self.writer.commit(sha256)
        return BlobInfo(sha256, self.size)

    def abort(self) -> None:
        self.writer.abort()

    def _refuse_oversize(self) -> None:
        if self.max_size is not None and self.size > self.max_size:
            raise too_large(self.max_size)
        assert self.expected_size is not None
        raise size_mismatch(self.expected_size, self.size)


def size_mismatch(expected: int, actual: int) -> InvalidInput:
    more = "more" if actual > expected else "fewer"
    return InvalidInput(
        f"the file was declared as {expected} bytes but {more} bytes arrived",
        code="storage.size-mismatch",
        hint="send the whole file and declare its exact size",
    )


def sha256_mismatch(expected: str, actual: str) -> InvalidInput:
    return InvalidInput(
        f"the file's sha256 is {actual}, not the declared {expected}",
        code="storage.sha256-mismatch",
        hint="the file changed or was damaged in transit; compute its sha256 again and resend",
    )
