"""Creating a node: data dir, schema, identity, keys and the first admin (``accord init``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from accord.config import Settings
from accord.db import make_engine, migrate
from accord.errors import FieldError, InvalidInput
from accord.identifiers import normalise_country
from accord.identity import schemas, service
from accord.identity.permissions import Role
from accord.identity.principal import local_operator
from accord.keys import ensure_keys
from accord.node import NodeContext, NodeIdentity, read_identity, write_identity

NODE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")


@dataclass(frozen=True)
class InitReport:
    node: NodeContext
    created_identity: bool
    created_keys: bool
    admin_email: str | None
    admin_password: str | None


def initialise(
    settings: Settings,
    *,
    node_id: str,
    name: str,
    jurisdiction: str,
    admin_email: str,
) -> InitReport:
    """Idempotent: creates what is missing and never overwrites a key or an identity."""
    identity = read_identity(settings.data_dir)
    created_identity = identity is None
    if identity is None:
        identity = _new_identity(node_id, name, jurisdiction, settings.base_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    created_keys = ensure_keys(settings.keys_dir)
    if created_identity:
        write_identity(settings.data_dir, identity)
    node = NodeContext(settings, identity, engine=engine)
    email, password = _first_admin(node, admin_email)
    return InitReport(node, created_identity, created_keys, email, password)


def _new_identity(node_id: str, name: str, jurisdiction: str, base_url: str) -> NodeIdentity:
    errors = []
    if not NODE_ID.match(node_id):
        errors.append(FieldError("node_id", "2-40 characters: a-z, 0-9 and '-', starting alnum"))
    try:
        jurisdiction = normalise_country(jurisdiction)
    except ValueError as exc:
        errors.append(FieldError("jurisdiction", str(exc)))
    if errors:
        raise InvalidInput(
            "; ".join(f"{e.location}: {e.message}" for e in errors),
            code="node.invalid-identity",
            errors=errors,
        )
    return NodeIdentity(node_id=node_id, name=name, jurisdiction=jurisdiction, base_url=base_url)


def _first_admin(node: NodeContext, email: str) -> tuple[str | None, str | None]:
    with node.session() as session:
        if service.count_users(session) > 0:
            return None, None
        data = schemas.UserCreate(
            name="Node administrator",
            email=email,
            country=node.identity.jurisdiction,
            roles=[Role.ADMIN],
        )
        user, password = service.create_user(session, local_operator(), data)
        session.commit()
        return user.email, password


def default_node_id(data_dir: Path) -> str:
    slug = re.sub(r"[^a-z0-9-]+", "-", data_dir.resolve().name.lower()).strip("-")
    return slug if NODE_ID.match(slug) else "accord-node"
