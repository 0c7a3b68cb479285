"""Three real nodes in different jurisdictions, and what the federation tests seed into them.

Seeding runs in-process on a node's own data dir (as its operator would with the CLI) while the
node serves; everything between nodes goes over HTTP on loopback ports.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from accord.agreements import service as agreements
from accord.catalog import service as catalog
from accord.catalog.metadata import parse_metadata
from accord.config import Settings
from accord.identity import schemas, service
from accord.identity.permissions import Role
from accord.identity.principal import local_operator
from accord.node import NodeContext, read_identity
from accord.standards.oai import index as _oai_index  # noqa: F401  (indexes what we publish)
from accord.storage.blobs import blob_store_of
from accord.storage.ingest import ingest_chunks
from tests.catalog.conftest import metadata_document
from tests.live import LiveNode


@dataclass
class Node:
    """A served node, its admin's API token, and an organisation to publish under."""

    live: LiveNode
    node_id: str
    token: str
    organisation: str

    @property
    def url(self) -> str:
        return self.live.url

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def context(self) -> NodeContext:
        env = self.live.env
        settings = Settings(
            data_dir=self.live.data_dir,
            base_url=self.url,
            log_checkpoint_entries=int(env.get("ACCORD_LOG_CHECKPOINT_ENTRIES", "1000")),
            log_checkpoint_seconds=int(env.get("ACCORD_LOG_CHECKPOINT_SECONDS", "60")),
        )
        identity = read_identity(self.live.data_dir)
        assert identity is not None
        return NodeContext(settings, identity)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", params=params, headers=self.headers, timeout=60)

    def post(self, path: str, body: Any) -> httpx.Response:
        return httpx.post(f"{self.url}{path}", json=body, headers=self.headers, timeout=60)

    def ready(self) -> None:
        """Wait until the node answers (after ``serve(..., wait=False)``)."""
        self.live.wait_until_ready()

    def fingerprint(self) -> str:
        return str(
            httpx.get(f"{self.url}/.well-known/accord-node", timeout=60).json()["public_key"][
                "fingerprint"
            ]
        )

    def add_peer(self, other: Node) -> dict[str, Any]:
        response = self.post(
            "/api/v1/peers", {"url": other.url, "fingerprint": other.fingerprint()}
        )
        assert response.status_code == 201, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def add_researcher(
        self, country: str, *, ror: str | None = None, accreditations: tuple[str, ...] = ()
    ) -> dict[str, str]:
        """A researcher of this node (in an organisation with ``ror``), holding
        ``accreditations``; the headers of their API token."""
        node = self.context()
        operator = local_operator()
        try:
            with node.session() as session:
                organisation = self.organisation
                if ror is not None:
                    organisation = service.create_organisation(
                        session,
                        operator,
                        schemas.OrganisationCreate(
                            name=f"Research institute {ror}", ror_id=ror, country=country
                        ),
                    ).id
                user, _ = service.create_user(
                    session,
                    operator,
                    schemas.UserCreate(
                        name="Wanjiru Kamau",
                        email=f"researcher-{uuid.uuid4().hex[:8]}@example.org",
                        country=country,
                        organisation_id=organisation,
                        roles=[Role.RESEARCHER],
                        password="a-long-researcher-password",
                    ),
                )
                for kind in accreditations:
                    service.add_accreditation(
                        session,
                        operator,
                        user.id,
                        schemas.AccreditationCreate(
                            kind=kind,
                            issuer="National research council",
                            issued_on=date(2026, 1, 1),
                            expires_on=date(2099, 12, 31),
                        ),
                    )
                secret, _ = service.create_token(
                    session, operator, user.id, schemas.TokenCreate(name="federation tests")
                )
                session.commit()
                return {"Authorization": f"Bearer {secret}"}
        finally:
            node.engine.dispose()

    def publish(
        self,
        title: str,
        files: dict[str, bytes],
        *,
        tier: str = "open",
        agreement: dict[str, Any] | None = None,
    ) -> str:
        """Publish a dataset with ``files`` (and an agreement governing it); its id."""
        node = self.context()
        operator = local_operator()
        try:
            with node.session() as session:
                metadata = parse_metadata(
                    metadata_document(
                        self.organisation, titles=[{"title": title, "lang": "en"}], tier=tier
                    )
                )
                version = catalog.create_dataset(session, operator, metadata)
                store = blob_store_of(node)
                for path, data in files.items():
                    blob = ingest_chunks(store, [data])
                    catalog.add_file(session, operator, version.dataset_id, 1, path=path, blob=blob)
                if agreement is not None:
                    drafted = agreements.create_agreement(session, operator, agreement)
                    agreements.publish(session, operator, drafted.agreement_id, 1)
                    agreements.attach(session, operator, drafted.agreement_id, 1, version.id)
                catalog.publish(session, operator, version.dataset_id, 1)
                session.commit()
                return version.dataset_id
        finally:
            node.engine.dispose()


def serve(live: LiveNode, node_id: str, jurisdiction: str, *, wait: bool = True) -> Node:
    """Initialise ``live`` as ``node_id`` with an admin's token and an organisation, and serve it;
    with ``wait=False`` the process is only launched (``Node.ready()`` waits for it), so that
    several nodes start side by side."""
    live.init("--node-id", node_id, "--jurisdiction", jurisdiction)
    settings = Settings(data_dir=live.data_dir, base_url=live.url)
    identity = read_identity(live.data_dir)
    assert identity is not None
    node = NodeContext(settings, identity)
    try:
        with node.session() as session:
            operator = local_operator()
            org = service.create_organisation(
                session,
                operator,
                schemas.OrganisationCreate(name=f"Institute {node_id}", country=jurisdiction),
            )
            user, _ = service.create_user(
                session,
                operator,
                schemas.UserCreate(
                    name="Admin",
                    email=f"admin-{uuid.uuid4().hex[:8]}@example.org",
                    country=jurisdiction,
                    roles=[Role.ADMIN],
                    password="a-long-admin-password",
                ),
            )
            secret, _ = service.create_token(
                session, operator, user.id, schemas.TokenCreate(name="federation tests")
            )
            session.commit()
    finally:
        node.engine.dispose()
    served = Node(live, node_id, secret, org.id)
    live.launch()
    if wait:
        served.ready()
    return served
