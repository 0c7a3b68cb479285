"""Who downloads what: tiers, terms of use, stewards, withdrawn versions, and GA4GH DRS."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.catalog import service
from accord.catalog.access import Outcome, may_download
from accord.ledger.models import LedgerEntry
from accord.node import NodeContext
from tests.catalog.conftest import Catalog, assert_problem
from tests.conftest import Account

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def content(client: TestClient, version: dict[str, Any], headers: dict[str, str] | None = None):
    return client.get(version["files"][0]["content_url"], headers=headers or {})


def test_open_data_downloads_for_anyone(catalog: Catalog, client: TestClient) -> None:
    version = catalog.published({"a.csv": b"a\n"})
    assert content(client, version).content == b"a\n"


def test_registered_data_need_sign_in_and_accepted_terms(
    catalog: Catalog, client: TestClient, researcher: Account, node: NodeContext
) -> None:
    version = catalog.published(
        {"r.csv": b"r\n"}, tier="registered", terms_of_use="Use for research on malaria only."
    )
    dataset_id = version["dataset_id"]
    assert_problem(content(client, version), 401, "catalog.sign-in-required")
    refused = assert_problem(
        content(client, version, researcher.headers), 403, "catalog.terms-not-accepted"
    )
    assert refused["terms"] == f"/api/v1/datasets/{dataset_id}/terms"

    terms = client.get(f"/api/v1/datasets/{dataset_id}/terms", headers=researcher.headers).json()
    assert terms["terms"] == "Use for research on malaria only."
    assert terms["accepted"] is False
    accepted = client.post(
        f"/api/v1/datasets/{dataset_id}/terms/acceptance", headers=researcher.headers
    )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["terms_sha256"] == terms["terms_sha256"]
    again = client.post(
        f"/api/v1/datasets/{dataset_id}/terms/acceptance", headers=researcher.headers
    )
    assert again.json()["accepted_at"] == accepted.json()["accepted_at"]
    assert content(client, version, researcher.headers).content == b"r\n"
    with node.session() as s:
        logged = s.scalars(
            select(LedgerEntry.event_type).where(LedgerEntry.event_type == "catalog.terms.accepted")
        ).all()
    assert len(logged) == 1


def test_new_terms_need_a_new_acceptance(
    catalog: Catalog, client: TestClient, researcher: Account
) -> None:
    first = catalog.published({"r.csv": b"r\n"}, tier="registered")
    dataset_id = first["dataset_id"]
    client.post(f"/api/v1/datasets/{dataset_id}/terms/acceptance", headers=researcher.headers)
    assert content(client, first, researcher.headers).status_code == 200
    client.post(f"/api/v1/datasets/{dataset_id}/versions", headers=catalog.steward.headers)
    draft = client.get(
        f"/api/v1/datasets/{dataset_id}/versions/2", headers=catalog.steward.headers
    ).json()
    changed = {**draft["metadata"], "terms_of_use": "New terms: no commercial use at all."}
    client.put(
        f"/api/v1/datasets/{dataset_id}/versions/2/metadata",
        headers=catalog.steward.headers,
        json=changed,
    ).raise_for_status()
    second = catalog.publish(dataset_id, 2)
    assert_problem(content(client, second, researcher.headers), 403, "catalog.terms-not-accepted")
    assert content(client, first, researcher.headers).status_code == 200


@pytest.mark.parametrize(
    ("tier", "code", "mode"),
    [
        ("controlled", "catalog.grant-required", "download"),
        ("restricted", "catalog.sandbox-only", "sandbox"),
    ],
)
def test_controlled_and_restricted_bytes_are_refused_with_directions(
    catalog: Catalog, client: TestClient, researcher: Account, tier: str, code: str, mode: str
) -> None:
    version = catalog.published({"c.csv": b"c\n"}, tier=tier)
    body = assert_problem(content(client, version, researcher.headers), 403, code)
    assert "request access" in body["hint"]
    assert body["access_request"]["dataset_id"] == version["dataset_id"]
    assert body["access_request"]["mode"] == mode
    assert body["decision"] == {"outcome": "deny", "reasons": [code]}


def test_stewards_fetch_their_controlled_data_but_nobody_restricted(
    catalog: Catalog, client: TestClient
) -> None:
    controlled = catalog.published({"c.csv": b"c\n"}, tier="controlled")
    restricted = catalog.published({"r.csv": b"r\n"}, tier="restricted")
    assert content(client, controlled, catalog.steward.headers).status_code == 200
    assert_problem(
        content(client, restricted, catalog.steward.headers), 403, "catalog.sandbox-only"
    )


def test_may_download_explains_itself(
    catalog: Catalog, node: NodeContext, researcher: Account
) -> None:
    version = catalog.published(tier="controlled")
    with node.session() as s:
        row = service.get_version(s, version["dataset_id"], 1, None)
        decision = may_download(s, None, row)
    assert decision.outcome is Outcome.DENY
    assert [(r.code, r.clause) for r in decision.reasons] == [
        ("catalog.grant-required", "tier:controlled")
    ]


def test_drs_service_info_and_objects(catalog: Catalog, client: TestClient) -> None:
    info = client.get("/ga4gh/drs/v1/service-info").json()
    assert info["type"] == {"group": "org.ga4gh", "artifact": "drs", "version": "1.4.0"}
    version = catalog.published({"t/a.csv": b"a\n", "t/b.csv": b"bb\n"})
    file = version["files"][0]
    obj = client.get(f"/ga4gh/drs/v1/objects/{file['id']}").json()
    assert obj["id"] == file["id"]
    assert obj["self_uri"] == f"drs://testserver/{file['id']}"
    assert obj["size"] == 2
    assert obj["mime_type"] == "text/csv"
    assert obj["checksums"] == [{"checksum": file["sha256"], "type": "sha-256"}]
    assert obj["access_methods"] == [{"type": "https", "access_id": "https"}]
    access = client.get(f"/ga4gh/drs/v1/objects/{file['id']}/access/https").json()
    assert access["url"] == f"http://testserver{file['content_url']}"
    assert client.get(access["url"]).content == b"a\n"
    bundle = client.get(f"/ga4gh/drs/v1/objects/{version['id']}").json()
    assert [c["name"] for c in bundle["contents"]] == ["t/a.csv", "t/b.csv"]
    assert bundle["size"] == 5


def test_drs_refuses_controlled_access_and_unknown_objects(
    catalog: Catalog, client: TestClient
) -> None:
    version = catalog.published(tier="controlled")
    file_id = version["files"][0]["id"]
    assert client.get(f"/ga4gh/drs/v1/objects/{file_id}").status_code == 200
    refused = assert_problem(
        client.get(f"/ga4gh/drs/v1/objects/{file_id}/access/https"), 403, "catalog.grant-required"
    )
    assert refused["status_code"] == 403
    assert refused["msg"]
    assert "request access" in refused["hint"]
    missing = assert_problem(
        client.get("/ga4gh/drs/v1/objects/fil_nothing"), 404, "catalog.file-not-found"
    )
    assert missing["msg"]
    assert_problem(
        client.get(f"/ga4gh/drs/v1/objects/{file_id}/access/s3"), 404, "catalog.drs-access-id"
    )


def test_drs_hides_draft_files(catalog: Catalog, client: TestClient) -> None:
    dataset_id = catalog.create()["dataset"]["id"]
    file = catalog.attach(dataset_id, 1, "d.csv", b"d\n")
    assert_problem(
        client.get(f"/ga4gh/drs/v1/objects/{file['id']}"), 404, "catalog.version-not-found"
    )
    assert (
        client.get(
            f"/ga4gh/drs/v1/objects/{file['id']}", headers=catalog.steward.headers
        ).status_code
        == 200
    )
