"""Datasets through their lifecycle over the API: draft → published → withdrawn, on SQLite and
PostgreSQL, with the ledger recording each change."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.identity.permissions import Role, ScopeKind
from accord.ledger.models import LedgerEntry
from accord.node import NodeContext
from accord.storage.blobs import blob_store_of
from tests.catalog.conftest import Catalog, assert_problem, metadata_document
from tests.conftest import Account, MakeAccount

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
"""Rules that do not depend on the database run once; the end-to-end paths run on both."""


def event_types(node: NodeContext) -> list[str]:
    """Every ledger entry's event type, in order."""
    with node.session() as s:
        return list(s.scalars(select(LedgerEntry.event_type).order_by(LedgerEntry.seq)))


def test_publish_search_download(catalog: Catalog, client: TestClient, node: NodeContext) -> None:
    data = b"household,nets\n1,2\n2,0\n"
    version = catalog.published({"data/households.csv": data}, keywords=["mosquito nets"])
    dataset_id = version["dataset_id"]
    assert version["state"] == "published"
    assert version["pid"] == f"test-node/{dataset_id}@v1"
    assert version["metadata"]["publication_year"] == 2026
    assert version["manifest_sha256"]

    found = client.get("/api/v1/datasets", params={"q": "mosquito households"}).json()
    assert [hit["dataset_id"] for hit in found["items"]] == [dataset_id]

    file = version["files"][0]
    assert file["sha256"] == hashlib.sha256(data).hexdigest()
    assert file["media_type"] == "text/csv"
    response = client.get(file["content_url"])
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["etag"] == f'"{file["sha256"]}"'
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="households.csv"' in response.headers["content-disposition"]
    assert [t for t in event_types(node) if t.startswith("catalog.")] == [
        "catalog.dataset.created",
        "catalog.file.added",
        "catalog.version.published",
    ]


def test_range_request_on_a_dataset_file(catalog: Catalog, client: TestClient) -> None:
    data = bytes(range(256)) * 4
    version = catalog.published({"blob.bin": data})
    url = version["files"][0]["content_url"]
    partial = client.get(url, headers={"Range": "bytes=100-199"})
    assert partial.status_code == 206
    assert partial.content == data[100:200]
    assert partial.headers["content-range"] == f"bytes 100-199/{len(data)}"
    suffix = client.get(url, headers={"Range": "bytes=-10"})
    assert suffix.content == data[-10:]
    beyond = client.get(url, headers={"Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416
    etag = partial.headers["etag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


@SQLITE_ONLY
def test_a_published_version_is_immutable(catalog: Catalog, client: TestClient) -> None:
    version = catalog.published()
    dataset_id = version["dataset_id"]
    response = client.put(
        f"/api/v1/datasets/{dataset_id}/versions/1/metadata",
        headers=catalog.steward.headers,
        json=metadata_document(catalog.organisation_id, keywords=["changed"]),
    )
    assert_problem(response, 409, "catalog.version-immutable")
    upload = client.post(
        f"/api/v1/datasets/{dataset_id}/versions/1/publication", headers=catalog.steward.headers
    )
    assert_problem(upload, 409, "catalog.version-immutable")


@SQLITE_ONLY
def test_a_new_version_starts_from_the_previous_one(catalog: Catalog, client: TestClient) -> None:
    first = catalog.published({"a.csv": b"a\n1\n", "b.csv": b"b\n2\n"})
    dataset_id = first["dataset_id"]
    response = client.post(
        f"/api/v1/datasets/{dataset_id}/versions", headers=catalog.steward.headers
    )
    assert response.status_code == 201, response.text
    draft = response.json()
    assert draft["number"] == 2
    assert draft["state"] == "draft"
    assert draft["metadata"] == first["metadata"]
    assert [(f["path"], f["sha256"]) for f in draft["files"]] == [
        (f["path"], f["sha256"]) for f in first["files"]
    ]
    again = client.post(f"/api/v1/datasets/{dataset_id}/versions", headers=catalog.steward.headers)
    assert_problem(again, 409, "catalog.draft-exists")
    catalog.attach(dataset_id, 2, "c.csv", b"c\n3\n")
    second = catalog.publish(dataset_id, 2)
    assert [f["path"] for f in second["files"]] == ["a.csv", "b.csv", "c.csv"]
    hit = client.get("/api/v1/datasets", params={"q": "malaria"}).json()["items"][0]
    assert hit["version"] == 2


@SQLITE_ONLY
def test_drafts_are_invisible_to_others(
    catalog: Catalog, client: TestClient, researcher: Account
) -> None:
    created = catalog.create()
    dataset_id = created["dataset"]["id"]
    assert (
        client.get(
            f"/api/v1/datasets/{dataset_id}/versions/1", headers=catalog.steward.headers
        ).status_code
        == 200
    )
    assert_problem(
        client.get(f"/api/v1/datasets/{dataset_id}/versions/1"), 404, "catalog.version-not-found"
    )
    assert_problem(
        client.get(f"/api/v1/datasets/{dataset_id}", headers=researcher.headers),
        404,
        "catalog.dataset-not-found",
    )
    assert client.get("/api/v1/datasets", params={"q": "malaria"}).json()["total"] == 0


def test_withdrawn_version_keeps_bytes_refuses_download_and_leaves_search(
    catalog: Catalog, client: TestClient, node: NodeContext
) -> None:
    version = catalog.published({"data.csv": b"x,y\n1,2\n"})
    dataset_id = version["dataset_id"]
    short = client.post(
        f"/api/v1/datasets/{dataset_id}/versions/1/withdrawal",
        headers=catalog.steward.headers,
        json={"reason": "oops"},
    )
    assert_problem(short, 422, "validation")
    response = client.post(
        f"/api/v1/datasets/{dataset_id}/versions/1/withdrawal",
        headers=catalog.steward.headers,
        json={"reason": "Consent for two households was withdrawn; data under review."},
    )
    assert response.status_code == 200, response.text
    withdrawn = response.json()
    assert withdrawn["state"] == "withdrawn"
    assert withdrawn["withdrawal_reason"].startswith("Consent")

    tombstone = client.get(f"/api/v1/datasets/{dataset_id}/versions/1").json()
    assert tombstone["state"] == "withdrawn"
    assert tombstone["metadata"]["titles"][0]["title"]

    refused = client.get(version["files"][0]["content_url"], headers=catalog.steward.headers)
    assert_problem(refused, 410, "catalog.version-withdrawn")
    assert blob_store_of(node).exists(version["files"][0]["sha256"])

    assert client.get("/api/v1/datasets", params={"q": "malaria"}).json()["total"] == 0
    found = client.get(
        "/api/v1/datasets", params={"q": "malaria", "include_withdrawn": "true"}
    ).json()
    assert [(h["dataset_id"], h["state"]) for h in found["items"]] == [(dataset_id, "withdrawn")]
    assert event_types(node)[-1] == "catalog.version.withdrawn"
    again = client.post(
        f"/api/v1/datasets/{dataset_id}/versions/1/withdrawal",
        headers=catalog.steward.headers,
        json={"reason": "Consent for two households was withdrawn."},
    )
    assert_problem(again, 409, "catalog.version-not-published")


@SQLITE_ONLY
def test_publishing_needs_files(catalog: Catalog, client: TestClient) -> None:
    dataset_id = catalog.create()["dataset"]["id"]
    response = client.post(
        f"/api/v1/datasets/{dataset_id}/versions/1/publication", headers=catalog.steward.headers
    )
    body = assert_problem(response, 422, "catalog.no-files")
    assert body["errors"][0]["location"] == "files"


@SQLITE_ONLY
def test_only_stewards_of_the_organisation_change_a_dataset(
    catalog: Catalog,
    client: TestClient,
    make_account: MakeAccount,
    make_org,
    researcher: Account,
    admin: Account,
) -> None:
    dataset_id = catalog.create()["dataset"]["id"]
    assert_problem(
        client.post(
            f"/api/v1/datasets/{dataset_id}/versions/1/publication", headers=researcher.headers
        ),
        403,
        "forbidden",
    )
    other_org = make_org("Geneva Institute", "CH")
    outsider = make_account(Role.RESEARCHER, organisation_id=other_org)
    client.post(
        f"/api/v1/users/{outsider.id}/roles",
        headers=admin.headers,
        json={"role": "steward", "scope_kind": ScopeKind.ORGANISATION, "scope_id": other_org},
    ).raise_for_status()
    token = client.post(
        "/api/v1/tokens",
        params={"user_id": outsider.id},
        headers=admin.headers,
        json={"name": "scoped steward"},
    ).json()["token"]
    outsider_headers = {"Authorization": f"Bearer {token}"}
    assert_problem(
        client.post(
            f"/api/v1/datasets/{dataset_id}/versions/1/publication", headers=outsider_headers
        ),
        403,
        "catalog.not-steward",
    )
    assert_problem(
        client.post(
            "/api/v1/datasets",
            headers=outsider_headers,
            json=metadata_document(catalog.organisation_id),
        ),
        403,
        "catalog.not-steward",
    )
    own = client.post(
        "/api/v1/datasets", headers=outsider_headers, json=metadata_document(other_org)
    )
    assert own.status_code == 201, own.text


@SQLITE_ONLY
def test_a_file_path_must_be_safe(catalog: Catalog, client: TestClient) -> None:
    from tests.catalog.conftest import tus_upload

    dataset_id = catalog.create()["dataset"]["id"]
    upload_id = tus_upload(client, catalog.steward.headers, b"x", "x.csv")
    response = client.post(
        f"/api/v1/datasets/{dataset_id}/versions/1/files",
        headers=catalog.steward.headers,
        json={"path": "../etc/passwd", "upload_id": upload_id},
    )
    body = assert_problem(response, 422, "storage.unsafe-path")
    assert body["errors"][0]["location"] == "path"


@SQLITE_ONLY
def test_someone_elses_upload_cannot_be_attached(
    catalog: Catalog, client: TestClient, make_account: MakeAccount, organisation: str
) -> None:
    from tests.catalog.conftest import tus_upload

    other = make_account(Role.STEWARD, organisation_id=organisation)
    upload_id = tus_upload(client, other.headers, b"secret", "s.csv")
    dataset_id = catalog.create()["dataset"]["id"]
    response = client.post(
        f"/api/v1/datasets/{dataset_id}/versions/1/files",
        headers=catalog.steward.headers,
        json={"path": "s.csv", "upload_id": upload_id},
    )
    assert_problem(response, 404, "storage.upload-missing")


@SQLITE_ONLY
def test_files_can_be_replaced_and_removed_in_a_draft(catalog: Catalog, client: TestClient) -> None:
    dataset_id = catalog.create()["dataset"]["id"]
    first = catalog.attach(dataset_id, 1, "t.csv", b"a\n")
    from tests.catalog.conftest import tus_upload

    upload_id = tus_upload(client, catalog.steward.headers, b"b\n", "t.csv")
    clash = client.post(
        f"/api/v1/datasets/{dataset_id}/versions/1/files",
        headers=catalog.steward.headers,
        json={"path": "t.csv", "upload_id": upload_id},
    )
    assert_problem(clash, 409, "catalog.file-exists")
    replaced = client.post(
        f"/api/v1/datasets/{dataset_id}/versions/1/files?replace=true",
        headers=catalog.steward.headers,
        json={"path": "t.csv", "upload_id": upload_id},
    )
    assert replaced.status_code == 201
    assert replaced.json()["sha256"] != first["sha256"]
    removed = client.delete(
        f"/api/v1/datasets/{dataset_id}/versions/1/files/{replaced.json()['id']}",
        headers=catalog.steward.headers,
    )
    assert removed.status_code == 204
    files = client.get(
        f"/api/v1/datasets/{dataset_id}/versions/1/files", headers=catalog.steward.headers
    ).json()
    assert files == []


@SQLITE_ONLY
def test_bad_metadata_gets_422_naming_the_fields(catalog: Catalog, client: TestClient) -> None:
    document = metadata_document(catalog.organisation_id, doi="doi:11.1/x")
    del document["titles"]
    document["creators"][0]["name_identifiers"][0]["name_identifier"] = "0000-0002-1825-0098"
    response = client.post("/api/v1/datasets", headers=catalog.steward.headers, json=document)
    body = assert_problem(response, 422, "validation")
    locations = {e["location"] for e in body["errors"]}
    assert locations == {"titles", "doi", "creators.0.name_identifiers.0.name_identifier"}
    unknown = metadata_document("org_01JD0000000000000000000000")
    response = client.post("/api/v1/datasets", headers=catalog.steward.headers, json=unknown)
    body = assert_problem(response, 422, "catalog.invalid-metadata")
    assert body["errors"] == [{"location": "organisation_id", "message": "no such organisation"}]
    unknown_steward = client.post(
        "/api/v1/datasets",
        headers=catalog.steward.headers,
        json=metadata_document(
            catalog.organisation_id, stewards=["usr_01JD0000000000000000000000"]
        ),
    )
    body = assert_problem(unknown_steward, 422, "catalog.invalid-metadata")
    assert body["errors"] == [
        {"location": "stewards.0", "message": "no user usr_01JD0000000000000000000000"}
    ]
