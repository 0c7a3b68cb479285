"""Backups of both blob stores: every committed blob is listed (no partial upload is), and a
node whose blobs live in S3 (moto's server over HTTP) restores into another S3 prefix."""

from __future__ import annotations

import hashlib
import shutil
import uuid
from pathlib import Path

from accord.config import Settings
from accord.keys import ensure_keys
from accord.node import NodeIdentity, write_identity
from accord.ops.backup import create_backup, restore_backup, verify_backup
from accord.storage.blobs import BlobStore, open_blob_store
from tests.conftest import START
from tests.storage import conftest as storage

# The storage domain's fixtures: a local store and one on moto's S3 server.
aws_env = storage.aws_env
moto_endpoint = storage.moto_endpoint
s3_bucket = storage.s3_bucket
s3_url = storage.s3_url
store = storage.store

PASSPHRASE = "correct horse battery staple"


def put(blobs: BlobStore, data: bytes) -> str:
    sha256 = hashlib.sha256(data).hexdigest()
    writer = blobs.open_writer()
    writer.write(data)
    writer.commit(sha256)
    return sha256


def test_a_store_lists_its_committed_blobs_only(store: BlobStore) -> None:
    digests = {put(store, f"blob {n}".encode()) for n in range(3)}
    partial = store.open_writer()
    partial.write(b"not committed")
    try:
        assert set(store.iter_blobs()) == digests
    finally:
        partial.abort()


def test_a_node_on_s3_restores_into_a_new_prefix(
    s3_url: str, moto_endpoint: str, s3_bucket: str, sqlite_template: Path, tmp_path: Path
) -> None:
    source = Settings(data_dir=tmp_path / "node", storage_url=s3_url)
    source.data_dir.mkdir()
    ensure_keys(source.keys_dir)
    write_identity(source.data_dir, NodeIdentity("n1", "Node", "CH", "http://testserver"))
    shutil.copyfile(sqlite_template, source.data_dir / "accord.db")
    digests = {put(open_blob_store(source), f"data {n}".encode()) for n in range(4)}

    dest = tmp_path / "backup"
    assert create_backup(source, dest, PASSPHRASE, START).blobs == 4
    verify_backup(dest, PASSPHRASE)
    other = f"s3://{s3_bucket}/{uuid.uuid4().hex[:12]}/blobs?endpoint={moto_endpoint}"
    target = Settings(data_dir=tmp_path / "restored", storage_url=other)
    restore_backup(target, dest, PASSPHRASE)
    restored = open_blob_store(target)
    assert set(restored.iter_blobs()) == digests
    for sha256 in digests:
        assert hashlib.sha256(b"".join(restored.read_range(sha256))).hexdigest() == sha256
