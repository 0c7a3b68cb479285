"""Both blob stores behave alike: content addressing, ranges, missing blobs, configuration."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.config import Settings
from accord.errors import InvalidInput, NotFound
from accord.storage.blobs import BlobInfo, BlobStore, LocalBlobStore, open_blob_store
from accord.storage.ingest import ingest_chunks
from accord.storage.s3 import S3BlobStore, parse_s3_url
from tests.storage.conftest import all_blobs, leftovers

DATA = bytes(range(256)) * 5000  # 1.28 MB: spans several read chunks
DIGEST = hashlib.sha256(DATA).hexdigest()
ABSENT = "0" * 64


def put(store: BlobStore, data: bytes) -> BlobInfo:
    return ingest_chunks(store, [data[i : i + 65536] for i in range(0, len(data), 65536)])


def test_a_blob_is_named_by_its_sha256(store: BlobStore) -> None:
    info = put(store, DATA)
    assert info == BlobInfo(DIGEST, len(DATA))
    assert store.exists(DIGEST)
    assert store.stat(DIGEST) == info
    assert b"".join(store.read_range(DIGEST)) == DATA
    assert leftovers(store) == []


def test_identical_content_is_stored_once(store: BlobStore) -> None:
    assert put(store, DATA) == put(store, DATA)
    assert all_blobs(store) == [DIGEST]
    assert leftovers(store) == []


def test_an_empty_blob_is_a_blob(store: BlobStore) -> None:
    info = put(store, b"")
    assert info == BlobInfo(hashlib.sha256(b"").hexdigest(), 0)
    assert b"".join(store.read_range(info.sha256)) == b""


@pytest.mark.parametrize("digest", [ABSENT, "../../etc/passwd", "A" * 64, "", "0" * 63])
def test_missing_or_malformed_digests_are_not_found(store: BlobStore, digest: str) -> None:
    assert not store.exists(digest)
    for call in (lambda: store.stat(digest), lambda: list(store.read_range(digest))):
        with pytest.raises(NotFound) as caught:
            call()
        assert caught.value.code == "storage.blob-missing"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (0, 0, DATA[:1]),
        (0, 99, DATA[:100]),
        (100, None, DATA[100:]),
        (len(DATA) - 10, None, DATA[-10:]),
        (5, len(DATA) + 100, DATA[5:]),
        (1_048_570, 1_048_590, DATA[1_048_570:1_048_591]),
    ],
)
def test_read_range_is_inclusive(
    store: BlobStore, start: int, end: int | None, expected: bytes
) -> None:
    put(store, DATA)
    assert b"".join(store.read_range(DIGEST, start, end, chunk_size=4096)) == expected


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.integers(0, 3000), length=st.integers(1, 3000), chunk=st.integers(1, 700))
def test_any_range_equals_the_slice(tmp_path: Path, start: int, length: int, chunk: int) -> None:
    store = LocalBlobStore(tmp_path / "prop")
    data = DATA[:2500]
    sha = put(store, data).sha256
    got = list(store.read_range(sha, start, start + length - 1, chunk_size=chunk))
    assert b"".join(got) == data[start : start + length]
    assert all(0 < len(c) <= chunk for c in got)


def test_local_blobs_are_read_only_files_fanned_out_by_digest(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    put(store, DATA)
    path = tmp_path / "blobs" / "sha256" / DIGEST[:2] / DIGEST[2:4] / DIGEST
    assert path.read_bytes() == DATA
    assert path.stat().st_mode & 0o222 == 0


def test_the_default_store_is_the_data_dirs_blobs_folder(tmp_path: Path) -> None:
    store = open_blob_store(Settings(data_dir=tmp_path))
    assert isinstance(store, LocalBlobStore)
    assert store.root == tmp_path / "blobs"


def test_an_s3_url_selects_the_s3_store(s3_url: str, tmp_path: Path) -> None:
    store = open_blob_store(Settings(data_dir=tmp_path, storage_url=s3_url))
    assert isinstance(store, S3BlobStore)
    assert store.location.prefix.endswith("/blobs/")


@pytest.mark.parametrize(
    ("url", "bucket", "prefix", "endpoint", "region"),
    [
        ("s3://data", "data", "", None, None),
        ("s3://data/node-a/blobs/", "data", "node-a/blobs/", None, None),
        (
            "s3://data/x?endpoint=http://127.0.0.1:9000&region=eu-central-2",
            "data",
            "x/",
            "http://127.0.0.1:9000",
            "eu-central-2",
        ),
    ],
)
def test_s3_urls(
    url: str, bucket: str, prefix: str, endpoint: str | None, region: str | None
) -> None:
    location = parse_s3_url(url)
    assert (location.bucket, location.prefix, location.endpoint, location.region) == (
        bucket,
        prefix,
        endpoint,
        region,
    )


@pytest.mark.parametrize(
    "url",
    ["s3://", "s3:///path", "s3://b?key=secret", "s3://b#frag", "gs://bucket", "ftp://x/y"],
)
def test_unsupported_storage_urls_are_refused(url: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        open_blob_store(Settings(data_dir=tmp_path, storage_url=url))
    assert caught.value.code == "storage.bad-url"
