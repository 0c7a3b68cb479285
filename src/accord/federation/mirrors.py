"""Mirrors: a peer's open dataset version copied to this node, so that it stays available while
its home node is unreachable.

The home node offers a version for mirroring only to an active peer, only if it is open, and
only if its agreement lets a copy be kept in the peer's jurisdiction (residency and export
rules); the mirroring node checks the same rules again, checks the manifest's signature with the
home node's key, and stores each file only once its bytes hash to the manifest's SHA-256. A
refused mirror copies nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import ledger
from accord.agreements import service as agreements
from accord.catalog import service as catalog
from accord.catalog.manifest import manifest_files, verify_manifest
from accord.catalog.models import DatasetVersion, VersionState
from accord.errors import Conflict, Forbidden, NodeUnavailable, NotFound, VerificationFailed
from accord.federation import calls, peer_keys, peers
from accord.federation.calls import Caller
from accord.federation.models import Mirror, MirrorFile, Peer
from accord.federation.placement import copy_refusal
from accord.i18n.translate import N_, _l
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.ids import new_id
from accord.ledger.keyring import Keyring
from accord.node import NodeContext, node_of
from accord.storage.blobs import BlobInfo, BlobStore, blob_store_of

OFFERS_PATH = "/api/v1/federation/mirror-offers"
CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True)
class Rules:
    residency: list[str] | None
    export_allowed: list[str] | None
    export_forbidden: list[str]


def offer(session: Session, caller: Caller, dataset_id: str) -> dict[str, Any]:
    """What a peer needs to mirror ``dataset_id``'s newest published version, if it may."""
    version = catalog.get_version(session, dataset_id, None, None)
    if version.state != VersionState.PUBLISHED or version.tier != "open":
        raise Forbidden(
            _l(
                "%(dataset_id)s is not open: only open datasets are mirrored", dataset_id=dataset_id
            ),
            code="federation.not-mirrorable",
        )
    rules = rules_of(session, version)
    _check_placement(caller.jurisdiction, rules)
    node = node_of(session)
    files = [
        {
            "path": f.path,
            "size": f.size,
            "sha256": f.sha256,
            "media_type": f.media_type,
            "url": f"{node.identity.base_url}/api/v1/datasets/{dataset_id}/versions/"
            f"{version.number}/files/{f.id}/content",
        }
        for f in version.files
    ]
    return {
        "dataset": dataset_id,
        "number": version.number,
        "pid": catalog.pid_of(session, version),
        "tier": version.tier,
        "manifest": version.manifest,
        "manifest_signature": version.manifest_signature,
        "files": files,
        "residency": rules.residency,
        "export_allowed": rules.export_allowed,
        "export_forbidden": rules.export_forbidden,
    }


def rules_of(session: Session, version: DatasetVersion) -> Rules:
    governing = agreements.governing(session, version.id)
    if governing is None:
        return Rules(None, None, [])
    document = agreements.document_of(governing)
    return Rules(
        list(document.residency.jurisdictions) if document.residency else None,
        list(document.export.allowed) if document.export.allowed is not None else None,
        list(document.export.forbidden),
    )


def create_mirror(session: Session, actor: Principal, peer_id: str, dataset_id: str) -> Mirror:
    """Copy a peer's open dataset here, checked against its signed manifest."""
    if not actor.can(Permission.FEDERATION_MIRROR_MANAGE):
        raise Forbidden(N_("this needs federation:mirror:manage"), code="forbidden")
    node = node_of(session)
    peer = peers.get_peer(session, peer_id)
    if peer.state != "active":
        raise Conflict(
            _l(
                "%(peer)s is %(state)s",
                peer=peer.node_id,
                state=peer.state,
            ),
            code="federation.peer-not-active",
        )
    offered = calls.answer(calls.call(node, "GET", f"{peer.base_url}{OFFERS_PATH}/{dataset_id}"))
    rules = Rules(offered["residency"], offered["export_allowed"], offered["export_forbidden"])
    if offered["tier"] != "open":
        raise Forbidden(
            _l("%(dataset_id)s is not open", dataset_id=dataset_id),
            code="federation.not-mirrorable",
        )
    _check_placement(node.identity.jurisdiction, rules)
    history = peer_keys.accept_history(session, peer, peers.fetch_descriptor(peer.base_url))
    document = _verified_manifest(peer, offered, history)
    if session.scalars(select(Mirror).where(Mirror.pid == offered["pid"])).first():
        raise Conflict(
            _l("%(pid)s is mirrored already", pid=offered["pid"]),
            code="federation.mirror-exists",
        )
    mirror = Mirror(
        id=new_id("mir"),
        peer_id=peer.id,
        dataset_id=dataset_id,
        number=int(offered["number"]),
        pid=offered["pid"],
        manifest=offered["manifest"],
        manifest_signature=offered["manifest_signature"],
        created_at=node.clock.now(),
    )
    session.add(mirror)
    _copy_files(session, node, mirror, document, offered["files"])
    ledger.append(
        session,
        ledger.Event(
            "federation.mirror.created",
            subjects={"actor": actor.user_id},
            public={"mirror": mirror.id, "peer": peer.id, "pid": mirror.pid},
            record={"files": len(offered["files"])},
        ),
    )
    return mirror


def list_mirrors(session: Session) -> list[Mirror]:
    return list(session.scalars(select(Mirror).order_by(Mirror.pid)))


def get_mirror(session: Session, mirror_id: str) -> Mirror:
    mirror = session.get(Mirror, mirror_id)
    if mirror is None:
        raise NotFound(
            _l("no mirror %(mirror_id)s", mirror_id=mirror_id), code="federation.mirror-not-found"
        )
    return mirror


def mirror_files(session: Session, mirror_id: str) -> list[MirrorFile]:
    return list(
        session.scalars(
            select(MirrorFile).where(MirrorFile.mirror_id == mirror_id).order_by(MirrorFile.path)
        )
    )


def mirror_file(session: Session, mirror_id: str, path: str) -> MirrorFile:
    row = session.get(MirrorFile, (get_mirror(session, mirror_id).id, path))
    if row is None:
        raise NotFound(
            _l("%(mirror_id)s has no file %(path)s", mirror_id=mirror_id, path=path),
            code="federation.mirror-file-not-found",
        )
    return row


def _check_placement(jurisdiction: str, rules: Rules) -> None:
    reason = copy_refusal(
        jurisdiction,
        residency=rules.residency,
        export_allowed=rules.export_allowed,
        export_forbidden=rules.export_forbidden,
    )
    if reason is not None:
        raise Forbidden(
            _l(
                "the dataset's agreement forbids a copy in %(jurisdiction)s (%(reason)s)",
                jurisdiction=jurisdiction,
                reason=reason,
            ),
            code="federation.mirror-forbidden",
            extra={"reason": reason},
        )


def _verified_manifest(peer: Peer, offered: dict[str, Any], history: Keyring) -> dict[str, Any]:
    """The offered manifest, signed by the peer's key of its publication time (decision 1311)."""
    canonical = str(offered["manifest"]).encode()
    document: dict[str, Any] = json.loads(canonical)
    _verify_with_history(history, canonical, str(offered["manifest_signature"]), document)
    if document.get("node") != peer.node_id or document.get("pid") != offered["pid"]:
        raise VerificationFailed(
            N_("the manifest is not the home node's manifest of this version"),
            code="federation.manifest-mismatch",
        )
    return document


def _verify_with_history(
    history: Keyring, canonical: bytes, signature: str, document: dict[str, Any]
) -> None:
    try:
        published = datetime.fromisoformat(str(document["published_at"]).replace("Z", "+00:00"))
        candidates = history.around(published)
    except (KeyError, ValueError):
        candidates = [history.current]
    failure: VerificationFailed | None = None
    for key in candidates:
        try:
            verify_manifest(key.public_key, canonical, signature)
            return
        except VerificationFailed as error:
            failure = error
    raise failure or VerificationFailed(
        N_("no key of the peer was valid when the version was published"),
        code="catalog.manifest-signature",
    )


def _copy_files(
    session: Session,
    node: NodeContext,
    mirror: Mirror,
    document: dict[str, Any],
    offered: list[dict[str, Any]],
) -> None:
    urls = {f["path"]: f["url"] for f in offered}
    store = blob_store_of(node)
    with httpx.Client(timeout=calls.TIMEOUT) as http:
        for entry in manifest_files(document):
            if entry.path not in urls:
                raise VerificationFailed(
                    _l("the offer lacks %(path)s", path=entry.path),
                    code="federation.manifest-mismatch",
                )
            if not store.exists(entry.sha256):
                _download(http, store, urls[entry.path], BlobInfo(entry.sha256, entry.size))
            session.add(
                MirrorFile(
                    mirror_id=mirror.id,
                    path=entry.path,
                    sha256=entry.sha256,
                    size=entry.size,
                    media_type=entry.media_type,
                )
            )


def _download(http: httpx.Client, store: BlobStore, url: str, expected: BlobInfo) -> None:
    """Stream ``url`` into the store; commit only bytes with the expected digest and size."""
    writer = store.open_writer()
    digest, size = hashlib.sha256(), 0
    try:
        with http.stream("GET", url) as response:
            if response.status_code != 200:
                raise Conflict(
                    _l(
                        "%(url)s answered %(status)s",
                        url=url,
                        status=response.status_code,
                    ),
                    code="federation.peer-refused",
                )
            for chunk in response.iter_bytes(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                writer.write(chunk)
    except httpx.TransportError as exc:
        writer.abort()
        raise NodeUnavailable(
            _l("%(url)s did not answer", url=url), code="federation.peer-unavailable"
        ) from exc
    except BaseException:
        writer.abort()
        raise
    if digest.hexdigest() != expected.sha256 or size != expected.size:
        writer.abort()
        raise VerificationFailed(
            _l("%(url)s sent bytes that do not match the signed manifest", url=url),
            code="federation.digest-mismatch",
        )
    writer.commit(expected.sha256)
