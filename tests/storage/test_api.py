"""tus 1.0.0 at /api/v1/uploads: creation, offsets, completion checks, termination, expiry."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from accord.clock import SettableClock
from accord.config import Settings
from accord.errors import Conflict, NotFound
from accord.identity.permissions import Role
from accord.ledger.models import LedgerEntry
from accord.node import NodeContext
from accord.storage.blobs import BlobInfo, blob_store_of
from accord.storage.uploads import completed_upload, expire_uploads, staging_of
from tests.conftest import Account, MakeAccount

MAX_UPLOAD = 64 * 1024
DATA = bytes(range(256)) * 100  # 25600 bytes
DIGEST = hashlib.sha256(DATA).hexdigest()
TUS = {"Tus-Resumable": "1.0.0"}
BYTES = {**TUS, "Content-Type": "application/offset+octet-stream"}


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, max_upload_bytes=MAX_UPLOAD
    )


@pytest.fixture
def steward(make_account: MakeAccount) -> Account:
    return make_account(Role.STEWARD)


Create = Callable[..., Response]


def metadata(**pairs: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in pairs.items())


@pytest.fixture
def create(client: TestClient, steward: Account) -> Create:
    def make(length: int = len(DATA), body: bytes | None = None, **meta: str) -> Response:
        headers = {**steward.headers, **TUS, "Upload-Length": str(length)}
        if meta:
            headers["Upload-Metadata"] = metadata(**meta)
        if body is not None:
            headers["Content-Type"] = "application/offset+octet-stream"
        answer: Response = client.post("/api/v1/uploads", headers=headers, content=body)
        return answer

    return make


def patch(client: TestClient, who: Account, url: str, offset: int, body: bytes) -> Response:
    headers = {**who.headers, **BYTES, "Upload-Offset": str(offset)}
    answer: Response = client.patch(url, headers=headers, content=body)
    return answer


def finished(node: NodeContext, upload_id: str, user_id: str) -> BlobInfo:
    """``completed_upload`` as the catalog calls it, in a read-only session of its own."""
    with node.session(readonly=True) as s:
        return completed_upload(s, upload_id, user_id)


def events(node: NodeContext) -> list[str]:
    with node.session() as s:
        return list(s.scalars(select(LedgerEntry.event_type).order_by(LedgerEntry.seq)))


def test_options_tells_the_version_extensions_and_limit(client: TestClient) -> None:
    answer = client.options("/api/v1/uploads")
    assert answer.status_code == 204
    assert answer.headers["tus-version"] == "1.0.0"
    assert set(answer.headers["tus-extension"].split(",")) == {
        "creation",
        "creation-with-upload",
        "expiration",
        "termination",
    }
    assert answer.headers["tus-max-size"] == str(MAX_UPLOAD)


def test_an_upload_in_two_patches_becomes_a_verified_blob(
    client: TestClient, create: Create, steward: Account, node: NodeContext
) -> None:
    created = create(filename="data/table.csv", filetype="text/csv", sha256=DIGEST)
    assert created.status_code == 201
    assert created.headers["tus-resumable"] == "1.0.0"
    assert created.headers["upload-offset"] == "0"
    assert "upload-expires" in created.headers
    url = created.headers["location"]
    assert url.startswith("/api/v1/uploads/up_")

    head = client.head(url, headers={**steward.headers, **TUS})
    assert head.status_code == 200
    assert (head.headers["upload-offset"], head.headers["upload-length"]) == ("0", str(len(DATA)))
    assert head.headers["cache-control"] == "no-store"
    assert metadata(filename="data/table.csv") in head.headers["upload-metadata"]

    first = patch(client, steward, url, 0, DATA[:10000])
    assert (first.status_code, first.headers["upload-offset"]) == (204, "10000")
    upload_id = url.rsplit("/", 1)[1]
    with pytest.raises(Conflict) as caught:
        finished(node, upload_id, steward.id)
    assert caught.value.code == "storage.upload-incomplete"

    last = patch(client, steward, url, 10000, DATA[10000:])
    assert (last.status_code, last.headers["upload-offset"]) == (204, str(len(DATA)))

    blob = finished(node, upload_id, steward.id)
    assert (blob.sha256, blob.size) == (DIGEST, len(DATA))
    assert b"".join(blob_store_of(node).read_range(DIGEST)) == DATA
    assert not staging_of(node).path_of(upload_id).exists()
    state = client.get(url, headers=steward.headers).json()
    assert (state["state"], state["sha256"], state["offset"]) == ("complete", DIGEST, len(DATA))
    content = client.get(f"{url}/content", headers={**steward.headers, "Range": "bytes=-100"})
    assert (content.status_code, content.content) == (206, DATA[-100:])
    assert content.headers["content-type"].startswith("text/csv")
    assert content.headers["etag"] == f'"{DIGEST}"'
    assert events(node)[-2:] == ["storage.upload.created", "storage.upload.completed"]


def test_creation_with_upload_takes_the_first_bytes(create: Create, client: TestClient) -> None:
    created = create(body=DATA[:5000])
    assert (created.status_code, created.headers["upload-offset"]) == (201, "5000")


def test_an_empty_file_is_complete_on_creation(
    create: Create, steward: Account, node: NodeContext
) -> None:
    created = create(length=0)
    upload_id = created.headers["location"].rsplit("/", 1)[1]
    blob = finished(node, upload_id, steward.id)
    assert blob.sha256 == hashlib.sha256(b"").hexdigest()


def test_a_patch_at_the_wrong_offset_is_409_and_changes_nothing(
    client: TestClient, create: Create, steward: Account
) -> None:
    url = create().headers["location"]
    patch(client, steward, url, 0, DATA[:100])
    for offset in (0, 50, 101):
        answer = patch(client, steward, url, offset, DATA[offset : offset + 10])
        assert answer.status_code == 409
        assert answer.json()["code"] == "storage.upload-offset"
        assert answer.json()["offset"] == 100
        assert answer.headers["tus-resumable"] == "1.0.0"
    assert client.head(url, headers={**steward.headers, **TUS}).headers["upload-offset"] == "100"


MALFORMED_PATCHES = [
    ({"Tus-Resumable": "0.2.2"}, 412, "storage.tus-version"),
    ({"Content-Type": "application/octet-stream"}, 415, "storage.tus-media-type"),
    ({"Upload-Offset": "-1"}, 400, "storage.tus-bad-header"),
    ({"Upload-Offset": "ten"}, 400, "storage.tus-bad-header"),
]


def test_malformed_patches_are_refused(
    client: TestClient, create: Create, steward: Account
) -> None:
    url = create().headers["location"]
    for headers, status, code in MALFORMED_PATCHES:
        sent = {**steward.headers, **BYTES, "Upload-Offset": "0", **headers}
        answer = client.patch(url, headers=sent, content=b"abc")
        assert (answer.status_code, answer.json()["code"]) == (status, code), headers
    answer = client.patch(url, headers={**steward.headers, **BYTES, "Tus-Resumable": "9"})
    assert answer.headers["tus-version"] == "1.0.0"
    assert client.head(url, headers={**steward.headers, **TUS}).headers["upload-offset"] == "0"


def test_a_wrong_sha256_fails_the_upload_and_leaves_nothing(
    client: TestClient, create: Create, steward: Account, node: NodeContext
) -> None:
    wrong = hashlib.sha256(b"not the data").hexdigest()
    url = create(sha256=wrong).headers["location"]
    upload_id = url.rsplit("/", 1)[1]
    answer = patch(client, steward, url, 0, DATA)
    assert answer.status_code == 422
    assert answer.json()["code"] == "storage.sha256-mismatch"
    assert not blob_store_of(node).exists(DIGEST)
    assert not staging_of(node).path_of(upload_id).exists()
    blobs = node.settings.data_dir / "blobs"
    assert [p for p in blobs.rglob("*") if p.is_file()] == []
    assert client.head(url, headers={**steward.headers, **TUS}).status_code == 410
    with pytest.raises(Conflict):
        finished(node, upload_id, steward.id)
    assert events(node)[-1] == "storage.upload.failed"


def test_bytes_beyond_the_declared_length_are_refused(
    client: TestClient, create: Create, steward: Account, node: NodeContext
) -> None:
    url = create(length=100).headers["location"]
    answer = patch(client, steward, url, 0, DATA[:101])
    assert answer.status_code == 422
    assert answer.json()["code"] == "storage.size-mismatch"
    assert client.head(url, headers={**steward.headers, **TUS}).headers["upload-offset"] == "0"
    assert patch(client, steward, url, 0, DATA[:100]).status_code == 204


BAD_CREATIONS = [
    *[
        ({"filename": name}, "storage.unsafe-path")
        for name in ["../../etc/passwd", "/etc/passwd", "a\\b", "nul\x00name", "x" * 300, "a//b"]
    ],
    ({"sha256": "abc"}, "storage.bad-sha256"),
    ({"filetype": "text/html\r\nX-Evil: 1"}, "storage.bad-media-type"),
]


def test_unsafe_names_and_bad_declarations_are_refused_at_creation(
    create: Create, node: NodeContext
) -> None:
    for meta, code in BAD_CREATIONS:
        answer = create(**meta)
        assert (answer.status_code, answer.json()["code"]) == (422, code), meta
        if code == "storage.unsafe-path":
            assert answer.json()["errors"][0]["location"] == "path"
    assert "storage.upload.created" not in events(node)


def test_over_the_size_limit_is_413(create: Create, client: TestClient, steward: Account) -> None:
    answer = create(length=MAX_UPLOAD + 1)
    assert answer.status_code == 413
    assert answer.json()["code"] == "storage.too-large"
    url = create(length=MAX_UPLOAD).headers["location"]
    assert patch(client, steward, url, 0, b"x" * (MAX_UPLOAD + 1)).status_code == 413


MALFORMED_CREATIONS = [
    ({"Upload-Length": "12", "Tus-Resumable": "2.0.0"}, 412, "storage.tus-version"),
    ({}, 400, "storage.tus-bad-header"),
    ({"Upload-Defer-Length": "1"}, 400, "storage.tus-defer"),
    ({"Upload-Length": "12", "Upload-Metadata": "filename !!no"}, 422, "storage.tus-bad-metadata"),
    ({"Upload-Length": "12", "Upload-Metadata": "a YQ==,a YQ=="}, 422, "storage.tus-bad-metadata"),
    ({"Upload-Length": "1", "Content-Type": "text/plain"}, 415, "storage.tus-media-type"),
]


def test_malformed_creations_are_refused(client: TestClient, steward: Account) -> None:
    for headers, status, code in MALFORMED_CREATIONS:
        body = b"x" if "Content-Type" in headers else None
        sent = {**steward.headers, **TUS, **headers}
        answer = client.post("/api/v1/uploads", headers=sent, content=body)
        assert (answer.status_code, answer.json()["code"]) == (status, code), headers


def test_uploading_needs_the_upload_permission(
    client: TestClient, make_account: MakeAccount
) -> None:
    anonymous = client.post("/api/v1/uploads", headers={**TUS, "Upload-Length": "5"})
    assert anonymous.status_code == 401
    assert anonymous.headers["tus-resumable"] == "1.0.0"
    researcher = make_account(Role.RESEARCHER)
    headers = {**researcher.headers, **TUS, "Upload-Length": "5"}
    assert client.post("/api/v1/uploads", headers=headers).status_code == 403


def test_someone_elses_upload_cannot_be_seen_or_touched(
    client: TestClient,
    create: Create,
    steward: Account,
    make_account: MakeAccount,
    node: NodeContext,
) -> None:
    url = create(body=DATA).headers["location"]
    other = make_account(Role.STEWARD)
    assert client.head(url, headers={**other.headers, **TUS}).status_code == 404
    assert client.get(url, headers=other.headers).status_code == 404
    assert client.get(f"{url}/content", headers=other.headers).status_code == 404
    assert patch(client, other, url, len(DATA), b"").status_code == 404
    assert client.delete(url, headers={**other.headers, **TUS}).status_code == 404
    with pytest.raises(NotFound):
        finished(node, url.rsplit("/", 1)[1], other.id)
    assert finished(node, url.rsplit("/", 1)[1], steward.id).sha256 == DIGEST


def test_termination_forgets_the_upload_and_its_bytes(
    client: TestClient, create: Create, steward: Account, node: NodeContext
) -> None:
    url = create(body=DATA[:1000]).headers["location"]
    staged = staging_of(node).path_of(url.rsplit("/", 1)[1])
    assert staged.stat().st_size == 1000
    assert client.delete(url, headers={**steward.headers, **TUS}).status_code == 204
    assert not staged.exists()
    assert client.head(url, headers={**steward.headers, **TUS}).status_code == 404
    assert events(node)[-1] == "storage.upload.terminated"


def test_unfinished_uploads_expire(
    client: TestClient,
    create: Create,
    steward: Account,
    node: NodeContext,
    clock: SettableClock,
) -> None:
    url = create(body=DATA[:1000]).headers["location"]
    done = create(body=DATA).headers["location"]
    clock.advance(timedelta(days=7, seconds=1))
    answer = patch(client, steward, url, 1000, DATA[1000:2000])
    assert (answer.status_code, answer.json()["code"]) == (410, "storage.upload-expired")
    with node.session() as s:
        assert expire_uploads(s, clock.now()) == 1
        s.commit()
    assert not staging_of(node).path_of(url.rsplit("/", 1)[1]).exists()
    assert client.head(url, headers={**steward.headers, **TUS}).status_code == 404
    assert client.get(done, headers=steward.headers).json()["state"] == "complete"
    assert events(node)[-1] == "storage.upload.expired"
