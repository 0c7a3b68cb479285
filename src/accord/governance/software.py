"""What this node runs (descriptor section, SBOM) and what its peers run.

The node descriptor carries the software name and version and where to fetch the SBOM; an admin
checks a peer to record what it runs: its version, and the digest of its SBOM once that validates
against the CycloneDX schema (each check a ledger event), so partners can see what each node in
the federation runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import ledger
from accord.errors import Forbidden, InvalidInput, NodeUnavailable
from accord.federation import calls, peers
from accord.governance import sbom, security_txt
from accord.governance.models import PeerSoftware
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.node import NodeContext, node_of

SBOM_PATH = "/api/v1/sbom"


def descriptor_section(node: NodeContext) -> dict[str, Any]:
    """The software part of ``/.well-known/accord-node`` and where governance is published."""
    base = node.identity.base_url
    return {
        "software": {
            "name": "accord",
            "version": node.software_version,
            "sbom_url": f"{base}{SBOM_PATH}",
            "sbom_media_type": sbom.MEDIA_TYPE,
        },
        "governance": {
            "policies_url": f"{base}/api/v1/policies",
            "register_url": f"{base}/api/v1/governance-register",
            "risk_rules_url": f"{base}/api/v1/risk-rules",
            "security_txt": f"{base}{security_txt.PATH}",
        },
    }


def check_peer(session: Session, actor: Principal, peer_id: str) -> PeerSoftware:
    """Read a peer's descriptor and SBOM; record the software it runs and the SBOM's digest
    once the SBOM validates against the CycloneDX schema."""
    if not actor.can(Permission.FEDERATION_PEER_MANAGE):
        raise Forbidden(
            f"this needs the permission {Permission.FEDERATION_PEER_MANAGE.value}",
            code="forbidden",
        )
    peer = peers.get_peer(session, peer_id)
    descriptor = peers.fetch_descriptor(peer.base_url)
    software = descriptor.get("software")
    if not isinstance(software, dict) or not software.get("name") or not software.get("version"):
        raise InvalidInput(
            f"{peer.node_id}'s descriptor does not say what software it runs",
            code="governance.no-software",
        )
    row = session.get(PeerSoftware, peer.id) or PeerSoftware(peer_id=peer.id)
    row.peer_node_id = peer.node_id
    row.name = str(software["name"])[:100]
    row.version = str(software["version"])[:100]
    row.sbom_url = _text(software.get("sbom_url"), 500)
    row.sbom_sha256 = _sbom_digest(row.sbom_url) if row.sbom_url else None
    row.seen_at = node_of(session).clock.now()
    session.add(row)
    ledger.append(
        session,
        ledger.Event(
            "governance.peer-software.recorded",
            subjects={"actor": actor.user_id},
            public={
                "peer": peer.id,
                "node": peer.node_id,
                "software": row.name,
                "version": row.version,
                "sbom_sha256": row.sbom_sha256,
            },
        ),
    )
    return row


def peer_software(session: Session) -> Sequence[PeerSoftware]:
    return session.scalars(select(PeerSoftware).order_by(PeerSoftware.peer_node_id)).all()


def _sbom_digest(url: str) -> str:
    """The SHA-256 of the SBOM at ``url``, which must validate as CycloneDX JSON."""
    try:
        response = httpx.get(url, timeout=calls.TIMEOUT)
    except httpx.TransportError as exc:
        raise NodeUnavailable(f"{url} did not answer", code="federation.peer-unavailable") from exc
    if response.status_code != 200:
        raise InvalidInput(f"{url} answered {response.status_code}", code="governance.no-sbom")
    sbom.validate(response.text)
    return hashlib.sha256(response.content).hexdigest()


def _text(value: object, limit: int) -> str | None:
    return str(value)[:limit] if isinstance(value, str) and value else None
