"""Sandbox fixtures: a restricted dataset (a CSV and a Parquet table) published through the
catalog, governed by an agreement, and a researcher holding a real sandbox-mode grant from the
access workflow; a worker that runs queued jobs in this process.

``AGREEMENT`` has no ``disclosure`` section, so its grants read the node's defaults;
``World.policy`` sets the policy a test needs through ``PolicyGrants``, a ``GrantSource`` that
asks the access workflow for the grant and replaces only its disclosure settings
(``test_agreement_disclosure`` uses the access workflow's grants as they are).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from accord.access import requests as access_requests
from accord.access.schemas import RequestCreate
from accord.agreements import service as agreements
from accord.catalog import service as catalog
from accord.catalog.metadata import DatasetMetadata
from accord.clock import SettableClock
from accord.identity import passwords
from accord.identity import service as identity
from accord.identity.permissions import Role
from accord.identity.principal import local_operator
from accord.node import NodeContext
from accord.sandbox.grants import AccessGrants, SandboxGrant, use_grant_source
from accord.sandbox.policy import DisclosurePolicy
from accord.sandbox.settings import SandboxSettings, configure_sandbox
from accord.sandbox.worker import Worker
from accord.storage.blobs import blob_store_of
from accord.storage.ingest import ingest_chunks
from tests.catalog.conftest import metadata_document
from tests.conftest import Account, MakeAccount

REGIONS = {"north": 40, "south": 30, "east": 25, "west": 20, "island": 3}
"""Rows per region: ``island`` is a small cell; one ``west`` income dominates its sum."""


def people_rows() -> list[tuple[int, str, str, int, float]]:
    rows: list[tuple[int, str, str, int, float]] = []
    for region, count in REGIONS.items():
        for i in range(count):
            n = len(rows)
            income = 30_000.0 + (n * 7919) % 20_000
            if region == "west" and i == 0:
                income = 5_000_000.0
            rows.append((n + 1, region, "f" if n % 2 else "m", 20 + (n * 13) % 50, income))
    return rows


def people_csv() -> bytes:
    lines = ["id,region,sex,age,income"]
    lines += [f"{i},{r},{s},{a},{inc}" for i, r, s, a, inc in people_rows()]
    return ("\n".join(lines) + "\n").encode()


def visits_parquet() -> bytes:
    con = duckdb.connect()
    table = con.sql(
        "SELECT (i % 118) + 1 AS person_id, 2020 + (i % 4) AS year, (i * 7) % 5 AS visits "
        "FROM range(400) t(i)"
    ).to_arrow_table()
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


AGREEMENT: dict[str, Any] = {
    "title": "Restricted survey, sandbox only",
    "tier": "restricted",
    "licence": "LicenseRef-accord-data-use-agreement",
    "duo": {"permission": "HMB"},
    "max_grant_duration": "P1Y",
    "committee": {"name": "Survey DAC", "decision_deadline": "P14D", "review": "exceptions"},
}


class PolicyGrants:
    """The access workflow's grants, with the disclosure settings a test chooses."""

    def __init__(self, policy: DisclosurePolicy) -> None:
        self.policy = policy
        self._grants = AccessGrants()

    def active_sandbox_grant(
        self, session: Session, user_id: str, version_id: str, now: datetime
    ) -> SandboxGrant | None:
        found = self._grants.active_sandbox_grant(session, user_id, version_id, now)
        if found is None:
            return None
        return SandboxGrant(
            found.grant_id,
            found.user_id,
            found.dataset_id,
            found.version_id,
            found.expires_at,
            self.policy,
        )


@dataclass
class World:
    client: TestClient
    node: NodeContext
    clock: SettableClock
    make_account: MakeAccount
    researcher: Account
    checker: Account
    other: Account
    grants: PolicyGrants
    version_id: str = ""
    dataset_id: str = ""
    grant_id: str = ""
    worker: Worker = field(init=False)

    def __post_init__(self) -> None:
        self.worker = Worker(self.node, name="test-worker")

    @property
    def policy(self) -> DisclosurePolicy:
        return self.grants.policy

    @policy.setter
    def policy(self, value: DisclosurePolicy) -> None:
        self.grants.policy = value

    def checker_who_researches(self) -> Account:
        """An output checker who also holds a sandbox grant for the dataset."""
        account = self.make_account(Role.OUTPUT_CHECKER, Role.RESEARCHER)
        grant_sandbox(self.node, account, self.dataset_id)
        return account

    def submit(self, who: Account | None = None, **body: Any) -> Any:
        return self.client.post(
            "/api/v1/jobs",
            headers=(who or self.researcher).headers,
            json={"version_id": self.version_id, **body},
        )

    def sql(self, query: str) -> dict[str, Any]:
        """Submit ``query``, run the queue, and return the job as the researcher sees it."""
        response = self.submit(sql=query)
        assert response.status_code == 202, response.text
        self.worker.run_until_idle()
        return self.job(response.json()["id"])

    def dp(self, **spec: Any) -> dict[str, Any]:
        response = self.submit(dp=spec)
        assert response.status_code == 202, response.text
        self.worker.run_until_idle()
        return self.job(response.json()["id"])

    def job(self, job_id: str, who: Account | None = None) -> dict[str, Any]:
        response = self.client.get(
            f"/api/v1/jobs/{job_id}", headers=(who or self.researcher).headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def result(self, job_id: str) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/jobs/{job_id}/result", headers=self.researcher.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture(autouse=True)
def _light_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real Argon2id at test-sized cost (these tests never sign in by password)."""
    monkeypatch.setattr(
        passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.fixture
def sandbox_settings(node: NodeContext) -> SandboxSettings:
    settings = SandboxSettings(
        time_limit_seconds=20,
        memory_limit_mb=768,
        threads=1,
        temp_limit_mb=256,
        max_result_rows=500,
        poll_seconds=0.05,
        lease_seconds=30,
    )
    configure_sandbox(node, settings)
    return settings


def publish_dataset(
    node: NodeContext, organisation_id: str, agreement_document: dict[str, Any] = AGREEMENT
) -> tuple[str, str]:
    """A restricted dataset with people.csv and visits.parquet, governed by ``AGREEMENT``
    (or ``agreement_document``)."""
    store = blob_store_of(node)
    people = ingest_chunks(store, [people_csv()])
    visits = ingest_chunks(store, [visits_parquet()])
    metadata = DatasetMetadata.model_validate(metadata_document(organisation_id, tier="restricted"))
    operator = local_operator()
    with node.session() as s:
        version = catalog.create_dataset(s, operator, metadata)
        dataset_id = version.dataset_id
        catalog.add_file(s, operator, dataset_id, 1, path="data/people.csv", blob=people)
        catalog.add_file(s, operator, dataset_id, 1, path="data/visits.parquet", blob=visits)
        catalog.publish(s, operator, dataset_id, 1)
        agreement = agreements.create_agreement(s, operator, agreement_document)
        agreements.publish(s, operator, agreement.agreement_id, 1)
        agreements.attach(s, operator, agreement.agreement_id, 1, version.id)
        s.commit()
        return dataset_id, version.id


def grant_sandbox(node: NodeContext, account: Account, dataset_id: str) -> str:
    """Request sandbox access as ``account``; the agreement grants it without review."""
    with node.session() as s:
        user = identity.get_user(s, account.id)
        principal = identity.principal_for(user, via="token")
        request = access_requests.submit(
            s,
            principal,
            RequestCreate(
                dataset_id=dataset_id,
                purpose=["HMB"],
                project_title="Incomes by region",
                lay_summary="We compare incomes across regions to plan services.",
                institution="Instituto Nacional de Saúde",
                mode="sandbox",
                duration="P6M",
                accept_duties=True,
            ),
        )
        s.commit()
        assert request.grant_id is not None, request.state
        return str(request.grant_id)


@pytest.fixture
def world(
    client: TestClient,
    node: NodeContext,
    make_account: MakeAccount,
    make_org: Any,
    clock: SettableClock,
    sandbox_settings: SandboxSettings,
) -> Iterator[World]:
    data_org = make_org("Geneva Institute for Population Health", "CH")
    research_org = make_org("Instituto Nacional de Saúde", "BR")
    grants = PolicyGrants(DisclosurePolicy())
    use_grant_source(node, grants)
    world = World(
        client=client,
        node=node,
        clock=clock,
        make_account=make_account,
        researcher=make_account(Role.RESEARCHER, country="CH", organisation_id=research_org),
        checker=make_account(Role.OUTPUT_CHECKER, country="CH", organisation_id=data_org),
        other=make_account(Role.RESEARCHER, country="CH", organisation_id=research_org),
        grants=grants,
    )
    world.dataset_id, world.version_id = publish_dataset(node, data_org)
    world.grant_id = grant_sandbox(node, world.researcher, world.dataset_id)
    yield world
    world.worker.close()
