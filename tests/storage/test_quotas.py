"""Upload quotas: per user and per organisation, checked at creation (the declared length is
reserved), 413 with a clear problem when exceeded, nothing left behind; terminated uploads free
their share; the admin sees usage by user."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from accord.config import Settings
from accord.identity.permissions import Role
from accord.node import NodeContext
from accord.storage.models import Upload
from accord.storage.uploads import staging_of
from tests.conftest import Account, MakeAccount
from tests.storage.test_api import TUS, events, patch

QUOTA = 10_000
ORG_QUOTA = 15_000


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        upload_quota_user_bytes=QUOTA,
        upload_quota_organisation_bytes=ORG_QUOTA,
    )


@pytest.fixture
def organisation(make_org: Callable[..., str]) -> str:
    return make_org("Data Centre", "KE")


@pytest.fixture
def steward(make_account: MakeAccount, organisation: str) -> Account:
    return make_account(Role.STEWARD, organisation_id=organisation)


def create(client: TestClient, who: Account, length: int, body: bytes | None = None) -> str:
    headers = {**who.headers, **TUS, "Upload-Length": str(length)}
    if body is not None:
        headers["Content-Type"] = "application/offset+octet-stream"
    answer = client.post("/api/v1/uploads", headers=headers, content=body)
    assert answer.status_code == 201, answer.text
    return str(answer.headers["location"])


def refused(client: TestClient, who: Account, length: int, body: bytes | None = None) -> dict:  # type: ignore[type-arg]
    headers = {**who.headers, **TUS, "Upload-Length": str(length)}
    if body is not None:
        headers["Content-Type"] = "application/offset+octet-stream"
    answer = client.post("/api/v1/uploads", headers=headers, content=body)
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["tus-resumable"] == "1.0.0"
    problem: dict = answer.json()  # type: ignore[type-arg]
    return problem


def uploads(node: NodeContext) -> int:
    with node.session(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(Upload)) or 0)


def test_an_upload_over_the_user_quota_is_413_and_leaves_nothing(
    client: TestClient, steward: Account, node: NodeContext
) -> None:
    url = create(client, steward, 6_000, b"x" * 6_000)
    assert client.get(url, headers=steward.headers).json()["state"] == "complete"
    before = (uploads(node), events(node))
    problem = refused(client, steward, 5_000, b"y" * 5_000)
    assert problem["code"] == "storage.quota-exceeded"
    assert problem["type"] == "/problems/storage.quota-exceeded"
    assert "over the quota of 9.8 KiB" in problem["detail"]
    assert (problem["used_bytes"], problem["quota_bytes"], problem["upload_length"]) == (
        6_000,
        QUOTA,
        5_000,
    )
    assert "hint" in problem
    assert (uploads(node), events(node)) == before
    staged = staging_of(node).root
    assert not staged.exists() or [p for p in staged.rglob("*") if p.is_file()] == []
    create(client, steward, 4_000)  # exactly up to the quota is fine


def test_the_declared_length_is_reserved_and_termination_frees_it(
    client: TestClient, steward: Account
) -> None:
    url = create(client, steward, 8_000)
    patch(client, steward, url, 0, b"z" * 100)
    refused(client, steward, 3_000)
    assert client.delete(url, headers={**steward.headers, **TUS}).status_code == 204
    create(client, steward, 3_000)


def test_the_organisation_quota_counts_every_member(
    client: TestClient, steward: Account, make_account: MakeAccount, organisation: str
) -> None:
    colleague = make_account(Role.STEWARD, organisation_id=organisation)
    outsider = make_account(Role.STEWARD)
    create(client, steward, 9_000)
    problem = refused(client, colleague, 7_000)
    assert "your organisation's uploads" in problem["detail"]
    create(client, colleague, 6_000)
    create(client, outsider, 9_000)  # no organisation: the user quota only


def test_usage_for_oneself_and_for_the_admin(
    client: TestClient, steward: Account, admin: Account, organisation: str
) -> None:
    create(client, steward, 1_234, b"a" * 1_234)
    create(client, steward, 100)
    mine = client.get("/api/v1/uploads/usage", headers=steward.headers).json()
    assert mine == {
        "user_id": steward.id,
        "organisation_id": organisation,
        "used_bytes": 1_334,
        "uploads": 2,
        "quota_bytes": QUOTA,
        "organisation_used_bytes": 1_334,
        "organisation_quota_bytes": ORG_QUOTA,
    }
    listing = client.get("/api/v1/uploads/usage/users", headers=admin.headers)
    assert listing.status_code == 200
    assert listing.json()["items"][0]["user_id"] == steward.id
    assert client.get("/api/v1/uploads/usage/users", headers=steward.headers).status_code == 403
    bad = client.get("/api/v1/uploads/usage/users?limit=0", headers=admin.headers)
    assert bad.status_code == 422


def test_without_quotas_nothing_is_refused(
    client: TestClient, steward: Account, node: NodeContext
) -> None:
    node.settings.upload_quota_user_bytes = None
    node.settings.upload_quota_organisation_bytes = None
    create(client, steward, 60_000)
    usage = client.get("/api/v1/uploads/usage", headers=steward.headers).json()
    assert (usage["used_bytes"], usage["quota_bytes"]) == (60_000, None)
