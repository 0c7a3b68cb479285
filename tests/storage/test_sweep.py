"""The storage sweep: expired unfinished uploads, stray staged files, and the bytes of blobs
that lost their last reference (a file removed from a draft, a finished upload terminated)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

import accord.web.app  # noqa: F401  (every domain's tables)
from accord.clock import SettableClock
from accord.config import Settings
from accord.db import Base
from accord.identity.permissions import Role
from accord.ledger.models import LedgerEntry
from accord.node import NodeContext
from accord.storage import releases
from accord.storage.blobs import blob_store_of
from accord.storage.models import Upload
from accord.storage.uploads import staging_of
from tests.catalog.conftest import Catalog, assert_problem, tus_upload
from tests.conftest import Account, MakeAccount

TUS = {"Tus-Resumable": "1.0.0"}
EXPIRY_HOURS = 2


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, upload_expiry_hours=EXPIRY_HOURS
    )


@pytest.fixture
def steward(make_account: MakeAccount, make_org: Callable[..., str]) -> Account:
    return make_account(Role.STEWARD, organisation_id=make_org("Data Centre", "KE"))


@pytest.fixture
def catalog(client: TestClient, steward: Account) -> Catalog:
    assert steward.organisation_id is not None
    return Catalog(client, steward, steward.organisation_id)


def sweep(client: TestClient, admin: Account) -> dict[str, int]:
    answer = client.post("/api/v1/uploads/sweeps", headers=admin.headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, int] = answer.json()
    return body


def events(node: NodeContext) -> list[str]:
    with node.session() as s:
        return list(s.scalars(select(LedgerEntry.event_type).order_by(LedgerEntry.seq)))


def test_unfinished_uploads_live_the_configured_hours_then_the_sweep_drops_them(
    client: TestClient, steward: Account, admin: Account, node: NodeContext, clock: SettableClock
) -> None:
    headers = {**steward.headers, **TUS, "Upload-Length": "100"}
    location = client.post("/api/v1/uploads", headers=headers).headers["location"]
    upload_id = location.rsplit("/", 1)[1]
    with node.session() as s:
        upload = s.get(Upload, upload_id)
        assert upload is not None
        assert upload.expires_at - upload.created_at == timedelta(hours=EXPIRY_HOURS)
    assert sweep(client, admin)["expired"] == 0
    clock.advance(timedelta(hours=EXPIRY_HOURS, seconds=1))
    assert sweep(client, admin)["expired"] == 1
    assert not staging_of(node).path_of(upload_id).exists()
    assert client.head(location, headers={**steward.headers, **TUS}).status_code == 404
    assert "storage.upload.expired" in events(node)
    assert sweep(client, admin)["expired"] == 0


def test_staged_files_no_upload_owns_go_once_old(
    client: TestClient, admin: Account, node: NodeContext, clock: SettableClock
) -> None:
    staging = staging_of(node)
    staging.create("up_STRAY")
    assert sweep(client, admin)["strays"] == 0
    old = (clock.now() - timedelta(hours=EXPIRY_HOURS + 1)).timestamp()
    os.utime(staging.path_of("up_STRAY"), (old, old))
    assert sweep(client, admin)["strays"] == 1
    assert not staging.path_of("up_STRAY").exists()


def test_only_admins_sweep(client: TestClient, steward: Account) -> None:
    assert_problem(client.post("/api/v1/uploads/sweeps", headers=steward.headers), 403, "forbidden")


def test_a_removed_file_loses_its_bytes_once_nothing_references_them(
    client: TestClient, catalog: Catalog, steward: Account, admin: Account, node: NodeContext
) -> None:
    store = blob_store_of(node)
    dataset = catalog.create()["dataset"]["id"]
    upload_id = tus_upload(client, steward.headers, b"only here\n", "a.csv")
    attached = client.post(
        f"/api/v1/datasets/{dataset}/versions/1/files",
        headers=steward.headers,
        json={"path": "a.csv", "upload_id": upload_id},
    ).json()
    sha256 = attached["sha256"]
    files = f"/api/v1/datasets/{dataset}/versions/1/files"
    assert client.delete(f"{files}/{attached['id']}", headers=steward.headers).status_code == 204
    assert sweep(client, admin)["blobs_deleted"] == 0  # the finished upload still holds it
    assert store.exists(sha256)
    answer = client.delete(f"/api/v1/uploads/{upload_id}", headers={**steward.headers, **TUS})
    assert answer.status_code == 204
    assert "storage.blob.released" in events(node)
    assert sweep(client, admin)["blobs_deleted"] == 1
    assert not store.exists(sha256)
    assert events(node)[-1] == "storage.blob.deleted"


def test_bytes_another_version_shares_are_kept(
    client: TestClient, catalog: Catalog, steward: Account, admin: Account, node: NodeContext
) -> None:
    published = catalog.published(files={"shared.csv": b"shared\n"})
    dataset = published["dataset_id"]
    sha256 = published["files"][0]["sha256"]
    draft = client.post(f"/api/v1/datasets/{dataset}/versions", headers=steward.headers).json()
    files = f"/api/v1/datasets/{dataset}/versions/{draft['number']}/files"
    file_id = client.get(files, headers=steward.headers).json()[0]["id"]
    assert client.delete(f"{files}/{file_id}", headers=steward.headers).status_code == 204
    with node.session() as s:
        assert releases.is_referenced(s, sha256)
    sweep(client, admin)
    assert blob_store_of(node).exists(sha256)


def test_a_claim_withdraws_a_release_and_a_claim_after_deletion_fails(
    node: NodeContext, steward: Account
) -> None:
    store = blob_store_of(node)
    writer = store.open_writer()
    writer.write(b"released\n")
    sha256 = hashlib.sha256(b"released\n").hexdigest()
    writer.commit(sha256)
    with node.session() as s:
        assert releases.release(s, sha256, 9, steward.id, node.clock.now())
        s.commit()
    with node.session() as s:
        releases.claim(s, sha256)
        s.commit()
    with node.session() as s:
        assert releases.collect(s).deleted == 0
    assert store.exists(sha256)
    with node.session() as s:
        releases.release(s, sha256, 9, steward.id, node.clock.now())
        s.commit()
        assert releases.collect(s).deleted == 1
    with node.session() as s, pytest.raises(Exception, match="no blob"):
        releases.claim(s, sha256)


def test_every_sha256_column_is_a_known_blob_reference_or_known_not_to_be_one() -> None:
    """A new table holding blob digests must be added to ``releases.REFERENCES``, or the sweep
    could delete bytes it still needs."""
    not_blobs = {
        ("agreement_versions", "sha256"),  # the digest of an agreement document
        ("storage_blob_releases", "sha256"),  # blobs waiting to be deleted
        ("reports_transparency", "sha256"),  # the digest of a signed report
    }
    found = {
        (t.name, c.name)
        for t in Base.metadata.sorted_tables
        for c in t.columns
        if c.name == "sha256"
    }
    assert found - not_blobs == set(releases.REFERENCES)
