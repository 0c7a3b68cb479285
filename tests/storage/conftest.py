"""Storage fixtures: blob stores on a local dir and on a real S3 API (moto's standalone server),
and real nodes (``accord serve``) with a steward's token, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from accord.storage.blobs import BlobStore, LocalBlobStore
from accord.storage.s3 import S3BlobStore, parse_s3_url
from tests.conftest import BACKENDS, PG_ENV
from tests.live import free_port
from tests.storage.nodes import ServedNode, serve_node

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's S3-compatible server as a subprocess on a free loopback port."""
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **AWS_ENV},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/moto-api/", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError("moto server did not start")
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="session")
def s3_bucket(moto_endpoint: str) -> str:
    """One bucket for the session; each test works under a prefix of its own."""
    bucket = f"accord-{uuid.uuid4().hex[:12]}"
    s3_client(moto_endpoint).create_bucket(Bucket=bucket)
    return bucket


@functools.cache
def s3_client(endpoint: str) -> Any:
    return boto3.session.Session(**_aws_credentials()).client(
        "s3", endpoint_url=endpoint, region_name="us-east-1"
    )


def _aws_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": AWS_ENV["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": AWS_ENV["AWS_SECRET_ACCESS_KEY"],
    }


@pytest.fixture
def s3_url(moto_endpoint: str, s3_bucket: str, aws_env: None) -> str:
    """``s3://<bucket>/<fresh prefix>?endpoint=…`` (the URL form of decision 0201)."""
    return f"s3://{s3_bucket}/{uuid.uuid4().hex[:12]}/blobs?endpoint={moto_endpoint}"


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    """Each blob store implementation, empty (S3 shares one client, as a node does)."""
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    url = request.getfixturevalue("s3_url")
    return S3BlobStore(s3_client(request.getfixturevalue("moto_endpoint")), parse_s3_url(url))


def leftovers(store: BlobStore) -> list[str]:
    """Temporary or partial objects a store holds (there must be none after an ingest)."""
    if isinstance(store, LocalBlobStore):
        tmp = store.root / ".tmp"
        return [p.name for p in tmp.iterdir()] if tmp.exists() else []
    assert isinstance(store, S3BlobStore)
    client = store.client
    bucket, prefix = store.location.bucket, store.location.prefix
    objects = client.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}tmp/")  # type: ignore[attr-defined]
    uploads = client.list_multipart_uploads(Bucket=bucket, Prefix=prefix)  # type: ignore[attr-defined]
    return [o["Key"] for o in objects.get("Contents", [])] + [
        u["Key"] for u in uploads.get("Uploads", [])
    ]


def all_blobs(store: BlobStore) -> list[str]:
    if isinstance(store, LocalBlobStore):
        root = store.root / "sha256"
        return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []
    assert isinstance(store, S3BlobStore)
    answer = store.client.list_objects_v2(  # type: ignore[attr-defined]
        Bucket=store.location.bucket, Prefix=f"{store.location.prefix}sha256/"
    )
    return sorted(o["Key"].rsplit("/", 1)[-1] for o in answer.get("Contents", []))


@pytest.fixture(scope="module", params=BACKENDS)
def live_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database of its own for a module's real node: a SQLite file, or a fresh PostgreSQL one."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('live-db') / 'accord.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set: PostgreSQL tests skipped")
    name = f"accord_storage_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, live_database_url: str
) -> Iterator[ServedNode]:
    """A real node on SQLite or PostgreSQL with the local blob store, shared by a module."""
    node = serve_node(tmp_path_factory.mktemp("node") / "data", live_database_url, {})
    yield node
    node.live.stop()
