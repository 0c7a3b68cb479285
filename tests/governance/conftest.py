"""Governance fixtures: a published dataset, a steward of it, and a researcher."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from accord.catalog import service as catalog
from accord.catalog.metadata import parse_metadata
from accord.identity import passwords
from accord.identity.permissions import Role
from accord.identity.principal import local_operator
from accord.ledger.models import LedgerEntry
from accord.node import NodeContext
from accord.storage.blobs import blob_store_of
from accord.storage.ingest import ingest_chunks
from tests.access.test_cli import served  # noqa: F401 (the test node on a loopback port, for the CLI tests)
from tests.catalog.conftest import metadata_document
from tests.conftest import Account, MakeAccount


@dataclass
class Governed:
    dataset_id: str
    organisation_id: str
    steward: Account
    researcher: Account
    admin: Account


def publish(node: NodeContext, organisation_id: str, tier: str = "controlled") -> str:
    operator = local_operator()
    with node.session() as session:
        metadata = parse_metadata(metadata_document(organisation_id, tier=tier))
        version = catalog.create_dataset(session, operator, metadata)
        blob = ingest_chunks(blob_store_of(node), [b"site,count\nA,3\n"])
        catalog.add_file(session, operator, version.dataset_id, 1, path="data.csv", blob=blob)
        catalog.publish(session, operator, version.dataset_id, 1)
        session.commit()
        return version.dataset_id


@pytest.fixture
def governed(
    node: NodeContext, make_account: MakeAccount, make_org: Callable[..., str], admin: Account
) -> Governed:
    org = make_org("Kisumu Health Institute", "KE")
    return Governed(
        dataset_id=publish(node, org),
        organisation_id=org,
        steward=make_account(Role.STEWARD, organisation_id=org),
        researcher=make_account(Role.RESEARCHER),
        admin=admin,
    )


def event_types(node: NodeContext, prefix: str = "governance.") -> list[str]:
    """The types of the log's entries that start with ``prefix``, in log order."""
    with node.session() as s:
        rows = s.scalars(select(LedgerEntry.event_type).order_by(LedgerEntry.seq))
        return [t for t in rows if t.startswith(prefix)]


@pytest.fixture(autouse=True)
def _light_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real Argon2id at test-sized cost (these tests never sign in by password)."""
    monkeypatch.setattr(
        passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
