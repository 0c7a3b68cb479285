"""Ingest: declared size and sha256 checked; a refused file leaves no blob and no temporary."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from accord.errors import InvalidInput, NotFound, PayloadTooLarge, VerificationFailed
from accord.storage.blobs import BlobInfo, BlobStore, LocalBlobStore
from accord.storage.ingest import ingest_file, ingest_stream, verify_blob
from tests.storage.conftest import all_blobs, leftovers

DATA = os.urandom(9 * 1024 * 1024 + 123)  # more than one S3 part
DIGEST = hashlib.sha256(DATA).hexdigest()
OTHER = hashlib.sha256(b"something else").hexdigest()


async def chunks_of(data: bytes, size: int = 100_000) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def stream(store: BlobStore, data: bytes, **declared: object) -> BlobInfo:
    kwargs: dict[str, object] = {"expected_sha256": None, "expected_size": None}
    kwargs["max_size"] = 1 << 30
    kwargs.update(declared)
    return asyncio.run(ingest_stream(store, chunks_of(data), **kwargs))  # type: ignore[arg-type]


def test_a_stream_is_stored_with_its_declared_digest_and_size(store: BlobStore) -> None:
    info = stream(store, DATA, expected_sha256=DIGEST, expected_size=len(DATA))
    assert info == BlobInfo(DIGEST, len(DATA))
    assert b"".join(store.read_range(DIGEST)) == DATA
    assert leftovers(store) == []


def test_a_file_or_path_is_stored(store: BlobStore, tmp_path: Path) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(DATA)
    assert ingest_file(store, source, expected_sha256=DIGEST).sha256 == DIGEST
    assert ingest_file(store, io.BytesIO(b"abc")).size == 3
    assert len(all_blobs(store)) == 2


@pytest.mark.parametrize(
    ("declared", "code"),
    [
        ({"expected_sha256": OTHER}, "storage.sha256-mismatch"),
        ({"expected_size": len(DATA) - 1}, "storage.size-mismatch"),
        ({"expected_size": len(DATA) + 1}, "storage.size-mismatch"),
        ({"expected_sha256": OTHER, "expected_size": len(DATA)}, "storage.sha256-mismatch"),
        ({"expected_sha256": "XYZ"}, "storage.bad-sha256"),
        ({"expected_sha256": DIGEST.upper()}, "storage.bad-sha256"),
        ({"expected_size": -1}, "storage.bad-size"),
    ],
)
def test_a_wrong_declaration_leaves_nothing_behind(
    store: BlobStore, declared: dict[str, object], code: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        stream(store, DATA, **declared)
    assert caught.value.code == code
    assert caught.value.status == 422
    assert all_blobs(store) == []
    assert leftovers(store) == []


@pytest.mark.parametrize("declared_size", [None, 10 * 1024 * 1024])
def test_over_the_limit_is_413_and_leaves_nothing(
    store: BlobStore, declared_size: int | None
) -> None:
    with pytest.raises(PayloadTooLarge) as caught:
        stream(store, DATA, max_size=len(DATA) - 1, expected_size=declared_size)
    assert (caught.value.code, caught.value.status) == ("storage.too-large", 413)
    assert all_blobs(store) == []
    assert leftovers(store) == []


def test_a_source_that_fails_midway_leaves_nothing(store: BlobStore) -> None:
    def broken() -> Iterator[bytes]:
        yield DATA[: 9 * 1024 * 1024]
        raise OSError("disk went away")

    class Broken(io.RawIOBase):
        def __init__(self) -> None:
            self.parts = broken()

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            return next(self.parts)

    with pytest.raises(OSError, match="disk went away"):
        ingest_file(store, Broken())  # type: ignore[arg-type]
    assert all_blobs(store) == []
    assert leftovers(store) == []


def test_verify_blob_passes_intact_bytes(store: BlobStore) -> None:
    stream(store, DATA)
    verify_blob(store, DIGEST)


def test_verify_blob_catches_a_changed_file(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    stream(store, DATA)
    path = store.path_of(DIGEST)
    path.chmod(0o644)
    with path.open("r+b") as handle:
        handle.seek(1000)
        handle.write(b"X")
    with pytest.raises(VerificationFailed) as caught:
        verify_blob(store, DIGEST)
    assert caught.value.code == "storage.blob-corrupt"
    assert caught.value.exit_code == 3


def test_verify_blob_of_a_missing_blob_is_not_found(store: BlobStore) -> None:
    with pytest.raises(NotFound):
        verify_blob(store, OTHER)


def test_a_deleted_blob_is_gone_and_deleting_it_again_says_so(store: BlobStore) -> None:
    info = ingest_file(store, io.BytesIO(b"to be deleted\n"))
    kept = ingest_file(store, io.BytesIO(b"to be kept\n"))
    assert store.delete(info.sha256) is True
    assert not store.exists(info.sha256)
    assert store.delete(info.sha256) is False
    assert store.exists(kept.sha256)
    with pytest.raises(NotFound):
        store.stat(info.sha256)
