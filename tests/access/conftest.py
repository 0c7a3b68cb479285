"""Access fixtures: a controlled dataset of one organisation, its committee and review body, a
researcher of another organisation, and helpers that drive the workflow over the API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.clock import SettableClock
from accord.identity.permissions import Role, ScopeKind
from accord.ledger.models import LedgerEntry
from accord.node import NodeContext
from accord.catalog import service as catalog
from accord.catalog.metadata import DatasetMetadata
from accord.identity import service as identity
from accord.storage.blobs import blob_store_of
from accord.storage.ingest import ingest_chunks
from tests.catalog.conftest import metadata_document
from tests.conftest import Account, MakeAccount

ROR_DATA = "05gq02987"
ROR_RESEARCH = "02mhbdp94"
CSV = b"id,age,outcome\n1,34,yes\n2,51,no\n3,29,yes\n"


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
    steward: Account
    data_org: str
    research_org: str
    researcher: Account
    member: Account
    reviewer: Account
    admin: Account
    make_account: MakeAccount
    dataset_id: str = ""
    version: dict[str, Any] = field(default_factory=dict)

    @property
    def file_url(self) -> str:
        return str(self.version["files"][0]["content_url"])

    def publish(self, tier: str = "controlled", **changes: Any) -> dict[str, Any]:
        """Create and publish a one-file dataset through the catalog's services."""
        store = blob_store_of(self.node)
        blob = ingest_chunks(store, [CSV])
        metadata = DatasetMetadata.model_validate(
            metadata_document(self.data_org, tier=tier, **changes)
        )
        with self.node.session() as s:
            steward = identity.principal_for(identity.get_user(s, self.steward.id), via="token")
            version = catalog.create_dataset(s, steward, metadata)
            dataset_id = version.dataset_id
            catalog.add_file(s, steward, dataset_id, 1, path="data/cases.csv", blob=blob)
            catalog.publish(s, steward, dataset_id, 1)
            s.commit()
        response = self.client.get(f"/api/v1/datasets/{dataset_id}/versions/1")
        assert response.status_code == 200, response.text
        self.dataset_id, self.version = dataset_id, response.json()
        return self.version

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
            json={"outcome": outcome, "reasons": "Purpose fits the consent; team qualified.", **extra},
        )

    def download(self, who: Account | None = None) -> Any:
        return self.client.get(self.file_url, headers=(who or self.researcher).headers)

    def advance(self, days: float) -> None:
        self.clock.advance(timedelta(days=days))


@pytest.fixture
def world(
    client: TestClient,
    node: NodeContext,
    clock: SettableClock,
    make_account: MakeAccount,
    make_org: Callable[..., str],
    admin: Account,
) -> World:
    data_org = make_org("Nairobi Centre for Genomic Medicine", "KE", ROR_DATA)
    research_org = make_org("Instituto Nacional de Saúde", "BR")
    steward = make_account(Role.STEWARD, country="KE", organisation_id=data_org)
    member = make_account(Role.RESEARCHER, country="KE", organisation_id=data_org)
    member = _scoped(client, admin, member, Role.COMMITTEE, ScopeKind.ORGANISATION, data_org)
    reviewer = make_account(Role.REVIEWER, country="CH")
    researcher = make_account(Role.RESEARCHER, country="KE", organisation_id=research_org)
    world = World(
        client=client,
        node=node,
        clock=clock,
        steward=steward,
        data_org=data_org,
        research_org=research_org,
        researcher=researcher,
        member=member,
        reviewer=reviewer,
        admin=admin,
        make_account=make_account,
    )
    world.publish()
    return world


def _scoped(
    client: TestClient, admin: Account, who: Account, role: Role, kind: ScopeKind, scope: str
) -> Account:
    """Give ``who`` a scoped role; returns the account with a new token carrying it."""
    response = client.post(
        f"/api/v1/users/{who.id}/roles",
        headers=admin.headers,
        json={"role": role.value, "scope_kind": kind.value, "scope_id": scope},
    )
    assert response.status_code == 201, response.text
    token = client.post(
        "/api/v1/tokens", headers=admin.headers, params={"user_id": who.id}, json={"name": role}
    )
    assert token.status_code == 201, token.text
    return replace(who, token=token.json()["token"])


def scoped_account(
    world: World, role: Role, organisation_id: str, country: str = "CH"
) -> Account:
    """An account whose only role is ``role`` scoped to ``organisation_id``."""
    account = world.make_account(Role.RESEARCHER, country=country, organisation_id=organisation_id)
    return _scoped(world.client, world.admin, account, role, ScopeKind.ORGANISATION, organisation_id)
