"""Catalog fixtures: an organisation with a steward, metadata documents, and helpers that upload
bytes through the real tus endpoint and drive a dataset through its lifecycle over the API."""

from __future__ import annotations

import base64
import copy
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord.identity.permissions import Role
from tests.browser.conftest import browser, page  # noqa: F401  (fixtures for test_browser)
from tests.conftest import Account, MakeAccount

PROBLEM = "application/problem+json"
ORCID = "0000-0002-1825-0097"
ROR = "05gq02987"


def metadata_document(organisation: str, **changes: Any) -> dict[str, Any]:
    """A complete, valid metadata document; ``changes`` replace top-level properties."""
    document: dict[str, Any] = {
        "titles": [{"title": "Household malaria survey, Kisumu 2021", "lang": "en"}],
        "creators": [
            {
                "name": "Kamau, Wanjiru",
                "given_name": "Wanjiru",
                "family_name": "Kamau",
                "name_identifiers": [{"name_identifier_scheme": "ORCID", "name_identifier": ORCID}],
                "affiliation": [{"name": "Brown University", "affiliation_identifier": ROR}],
            }
        ],
        "publisher": {"name": "Nairobi Centre for Genomic Medicine"},
        "descriptions": [
            {
                "description": "Cross-sectional survey of 1,200 households on bed net use "
                "and malaria prevalence in Kisumu county."
            }
        ],
        "rights_list": [{"rights_identifier": "CC-BY-4.0"}],
        "subjects": [
            {"subject": "Malaria", "subject_scheme": "MeSH"},
            {"subject": "Public health", "subject_scheme": "FOS"},
        ],
        "keywords": ["bed nets", "household survey"],
        "languages": ["en"],
        "dates": [{"date": "2021-03/2021-09", "date_type": "Collected"}],
        "tier": "open",
        "organisation_id": organisation,
    }
    document.update(copy.deepcopy(changes))
    return document


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["type"] == f"/problems/{code}", body
    assert body["status"] == status
    return body


def tus_upload(client: TestClient, headers: dict[str, str], data: bytes, name: str) -> str:
    """Upload ``data`` in one tus creation-with-upload request; returns the upload id."""
    meta = ",".join(
        f"{k} {base64.b64encode(v.encode()).decode()}"
        for k, v in {"filename": name, "sha256": hashlib.sha256(data).hexdigest()}.items()
    )
    response = client.post(
        "/api/v1/uploads",
        headers={
            **headers,
            "Tus-Resumable": "1.0.0",
            "Upload-Length": str(len(data)),
            "Upload-Metadata": meta,
            "Content-Type": "application/offset+octet-stream",
        },
        content=data,
    )
    assert response.status_code == 201, response.text
    assert response.headers["Upload-Offset"] == str(len(data))
    return response.headers["Location"].rsplit("/", 1)[-1]


@dataclass
class Catalog:
    """Drives the catalog API as one steward."""

    client: TestClient
    steward: Account
    organisation_id: str

    def create(self, **changes: Any) -> dict[str, Any]:
        response = self.client.post(
            "/api/v1/datasets",
            headers=self.steward.headers,
            json=metadata_document(self.organisation_id, **changes),
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def attach(self, dataset_id: str, number: int, path: str, data: bytes) -> dict[str, Any]:
        upload_id = tus_upload(self.client, self.steward.headers, data, path)
        response = self.client.post(
            f"/api/v1/datasets/{dataset_id}/versions/{number}/files",
            headers=self.steward.headers,
            json={"path": path, "upload_id": upload_id},
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def publish(self, dataset_id: str, number: int = 1) -> dict[str, Any]:
        response = self.client.post(
            f"/api/v1/datasets/{dataset_id}/versions/{number}/publication",
            headers=self.steward.headers,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def published(self, files: dict[str, bytes] | None = None, **changes: Any) -> dict[str, Any]:
        """Create, upload ``files`` and publish; returns the published version document."""
        created = self.create(**changes)
        dataset_id = created["dataset"]["id"]
        for path, data in (files or {"data/table.csv": b"id,value\n1,2\n"}).items():
            self.attach(dataset_id, 1, path, data)
        return self.publish(dataset_id)


@pytest.fixture
def organisation(make_org: Callable[..., str]) -> str:
    return make_org("Nairobi Centre for Genomic Medicine", "KE", ROR)


@pytest.fixture
def steward(make_account: MakeAccount, organisation: str) -> Account:
    return make_account(Role.STEWARD, country="KE", organisation_id=organisation)


@pytest.fixture
def researcher(make_account: MakeAccount) -> Account:
    return make_account(Role.RESEARCHER, country="BR")


@pytest.fixture
def catalog(client: TestClient, steward: Account, organisation: str) -> Catalog:
    return Catalog(client, steward, organisation)
