"""Real nodes for storage tests and benches: initialised in-process, served by `accord serve`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from accord.config import Settings
from accord.identity import schemas, service
from accord.identity.permissions import Role
from accord.identity.principal import local_operator
from accord.node import NodeContext
from accord.setup import initialise
from tests.live import LiveNode, make_live_node


@dataclass
class ServedNode:
    """A real ``accord serve`` process and a steward's API token for it."""

    live: LiveNode
    token: str

    @property
    def url(self) -> str:
        return self.live.url

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Tus-Resumable": "1.0.0"}

    @property
    def pid(self) -> int:
        assert self.live.process is not None
        return self.live.process.pid


def serve_node(data_dir: Path, database_url: str, extra_env: dict[str, str]) -> ServedNode:
    """Initialise a node in-process (as `accord init` does), then run `accord serve` on it."""
    live = make_live_node(data_dir, database_url=database_url, extra_env=extra_env)
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        base_url=live.url,
        storage_url=extra_env.get("ACCORD_STORAGE_URL"),
    )
    report = initialise(
        settings,
        node_id="storage-test",
        name="Storage test node",
        jurisdiction="CH",
        admin_email="admin@example.org",
    )
    try:
        token = steward_token(report.node)
    finally:
        report.node.engine.dispose()
    live.start()
    return ServedNode(live, token)


def steward_token(node: NodeContext) -> str:
    """A steward and an API token, created in the node's own database."""
    with node.session() as session:
        user, _ = service.create_user(
            session,
            local_operator(),
            schemas.UserCreate(
                name="Steward",
                email=f"steward-{uuid.uuid4().hex[:8]}@example.org",
                country="CH",
                roles=[Role.STEWARD],
                password="a-long-steward-password",
            ),
        )
        secret, _ = service.create_token(
            session, local_operator(), user.id, schemas.TokenCreate(name="tests")
        )
        session.commit()
        return secret
