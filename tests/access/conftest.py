"""Access fixtures: a controlled dataset of one organisation, its committee and review body, a
researcher of another organisation, and helpers that drive the workflow over the API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.agreements import service as agreements
from accord.catalog import service as catalog
from accord.catalog.metadata import DatasetMetadata
from accord.clock import SettableClock
from accord.identity import passwords
from accord.identity import service as identity
from accord.identity.permissions import Role, ScopeKind
from accord.identity.principal import local_operator
from accord.identity.schemas import RoleAdd, TokenCreate, UserCreate
from accord.ids import new_id
from accord.ledger.models import LedgerEntry
from accord.node import NodeContext
from accord.storage.blobs import blob_store_of
from accord.storage.ingest import ingest_chunks
from tests.browser.conftest import browser, page  # noqa: F401  (Playwright, for test_browser)
from tests.catalog.conftest import metadata_document
from tests.conftest import Account

ROR_DATA = "05gq02987"
ROR_RESEARCH = "02mhbdp94"
CSV = b"id,age,outcome\n1,34,yes\n2,51,no\n3,29,yes\n"


@pytest.fixture(autouse=True)
def _light_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real Argon2id at test-sized cost: these tests make many accounts and never sign in by
    password, so the production cost (tens of MiB, ~1 s on a busy CI core) buys nothing here."""
    monkeypatch.setattr(
        passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


def agreement(**changes: Any) -> dict[str, Any]:
    """A controlled-tier agreement (HMB) that grants without review; ``changes`` replace keys."""
    document: dict[str, Any] = {
        "title": "Controlled malaria data",
        "tier": "controlled",
        "licence": "CC-BY-4.0",
        "duo": {"permission": "HMB"},
        "max_grant_duration": "P1Y",
        "duties": [
            {"kind": "cite"},
            {"kind": "report-publications", "within_months": 6},
            {"kind": "delete-after-use", "within_days": 14},
        ],
        "committee": {"name": "Malaria DAC", "decision_deadline": "P14D", "review": "exceptions"},
    }
    document.update(changes)
    return document


def purpose(dataset_id: str, **changes: Any) -> dict[str, Any]:
    """A complete access request body; ``changes`` replace fields."""
    body: dict[str, Any] = {
        "dataset_id": dataset_id,
        "purpose": ["HMB"],
        "project_title": "Malaria outcomes in adults",
        "lay_summary": "We study which adults recover fastest from malaria and why.",
        "institution": "Instituto Nacional de Saúde",
        "collaborators": [{"name": "Ana Lima", "institution": "INS"}],
        "mode": "download",
        "duration": "P6M",
        "accept_duties": True,
    }
    body.update(changes)
    return body


def event_types(node: NodeContext, prefix: str = "access.") -> list[str]:
    with node.session() as s:
        rows = s.scalars(select(LedgerEntry.event_type).order_by(LedgerEntry.seq))
        return [t for t in rows if t.startswith(prefix)]


@dataclass
class World:
    """Who is who around one controlled dataset."""

    client: TestClient
    node: NodeContext
    clock: SettableClock
    data_org: str
    research_org: str
    researcher: Account
    member: Account
    reviewer: Account
    dataset_id: str = ""
    version: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def admin(self) -> Account:
        return new_account(self.node, Role.ADMIN)

    @cached_property
    def steward(self) -> Account:
        return new_account(self.node, Role.STEWARD, country="KE", organisation_id=self.data_org)

    def make_account(self, *roles: Role, **extra: Any) -> Account:
        return new_account(self.node, *roles, **extra)

    @property
    def file_url(self) -> str:
        return str(self.version["files"][0]["content_url"])

    def publish(self, tier: str = "controlled", **changes: Any) -> dict[str, Any]:
        """Create and publish a one-file dataset through the catalog services, as the operator."""
        store = blob_store_of(self.node)
        blob = ingest_chunks(store, [CSV])
        metadata = DatasetMetadata.model_validate(
            metadata_document(self.data_org, tier=tier, **changes)
        )
        with self.node.session() as s:
            steward = local_operator()
            version = catalog.create_dataset(s, steward, metadata)
            dataset_id = version.dataset_id
            catalog.add_file(s, steward, dataset_id, 1, path="data/cases.csv", blob=blob)
            catalog.publish(s, steward, dataset_id, 1)
            s.commit()
        response = self.client.get(f"/api/v1/datasets/{dataset_id}/versions/1")
        assert response.status_code == 200, response.text
        self.dataset_id, self.version = dataset_id, response.json()
        return self.version

    def govern(self, document: dict[str, Any]) -> str:
        """Publish ``document`` as an agreement and attach it to the current version."""
        with self.node.session() as s:
            steward = local_operator()
            version = agreements.create_agreement(s, steward, document)
            agreements.publish(s, steward, version.agreement_id, 1)
            agreements.attach(s, steward, version.agreement_id, 1, str(self.version["id"]))
            s.commit()
            return agreements.ref_of(version)

    def submit(self, who: Account | None = None, **changes: Any) -> dict[str, Any]:
        response = self.client.post(
            "/api/v1/requests",
            headers=(who or self.researcher).headers,
            json=purpose(self.dataset_id, **changes),
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def decide(
        self, request_id: str, who: Account | None = None, outcome: str = "approve", **extra: Any
    ) -> Any:
        return self.client.post(
            f"/api/v1/requests/{request_id}/decision",
            headers=(who or self.member).headers,
            json={
                "outcome": outcome,
                "reasons": "Purpose fits the consent; team qualified.",
                **extra,
            },
        )

    def download(self, who: Account | None = None) -> Any:
        return self.client.get(self.file_url, headers=(who or self.researcher).headers)

    def advance(self, days: float) -> None:
        self.clock.advance(timedelta(days=days))


def new_account(
    node: NodeContext,
    *roles: Role,
    country: str = "CH",
    organisation_id: str | None = None,
    scoped: tuple[Role, str] | None = None,
) -> Account:
    """A user with node-wide ``roles`` (and one role ``scoped`` to an organisation) and an API
    token valid for a year (tests move the clock by months)."""
    operator = local_operator()
    with node.session() as s:
        user, _ = identity.create_user(
            s,
            operator,
            UserCreate(
                name=f"Person {new_id('p')[-6:]}",
                email=f"{new_id('p').lower()}@example.org",
                country=country,
                organisation_id=organisation_id,
                roles=list(roles) or [Role.RESEARCHER],
                password="password-long-enough",
            ),
        )
        if scoped is not None:
            role, scope = scoped
            kind = ScopeKind.DATASET if scope.startswith("ds_") else ScopeKind.ORGANISATION
            identity.add_role(
                s, operator, user.id, RoleAdd(role=role, scope_kind=kind, scope_id=scope)
            )
        secret, _ = identity.create_token(
            s, operator, user.id, TokenCreate(name="test", expires_in_days=365)
        )
        s.commit()
        return Account(user.id, user.email, "password-long-enough", secret, organisation_id)


@pytest.fixture
def world(
    client: TestClient, node: NodeContext, clock: SettableClock, make_org: Callable[..., str]
) -> World:
    data_org = make_org("Nairobi Centre for Genomic Medicine", "KE", ROR_DATA)
    research_org = make_org("Instituto Nacional de Saúde", "BR")
    world = World(
        client=client,
        node=node,
        clock=clock,
        data_org=data_org,
        research_org=research_org,
        researcher=new_account(node, country="KE", organisation_id=research_org),
        member=new_account(
            node, country="KE", organisation_id=data_org, scoped=(Role.COMMITTEE, data_org)
        ),
        reviewer=new_account(node, Role.REVIEWER, country="CH"),
    )
    world.publish()
    return world


def scoped_account(world: World, role: Role, organisation_id: str, country: str = "CH") -> Account:
    """An account whose only role is ``role`` scoped to ``organisation_id`` (and in it)."""
    return new_account(
        world.node, country=country, organisation_id=organisation_id, scoped=(role, organisation_id)
    )
