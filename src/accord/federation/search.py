"""Federated search: this node's catalogue and the records harvested from its peers, with a
``node`` facet.

Local hits come from the catalog's own search (its ranking and facets); remote hits match when
every query word appears in the record's title, description, subjects or creators. A page lists
local hits first, then remote ones newest first; the ``node`` facet counts hits per home node
under the query (values within the facet are alternatives).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from accord.catalog.search import SearchQuery, query_words, search
from accord.errors import NotFound
from accord.federation.models import Peer, RemoteRecord
from accord.i18n.translate import _l
from accord.node import node_of

MAX_LIMIT = 100


@dataclass(frozen=True)
class Hit:
    node: str
    pid: str
    title: str
    year: int | None
    url: str
    remote: bool
    record: str | None = None
    """The remote record's id on this node (its OAI identifier), for its page."""


@dataclass(frozen=True)
class FederatedResult:
    hits: list[Hit]
    total: int
    nodes: dict[str, int]
    next_offset: int | None


def federated_search(
    session: Session, text: str, *, nodes: Sequence[str] = (), limit: int = 20, offset: int = 0
) -> FederatedResult:
    node = node_of(session)
    limit = max(1, min(limit, MAX_LIMIT))
    own = node.identity.node_id
    include_local = not nodes or own in nodes
    local = search(session, SearchQuery(text=text, limit=limit, offset=offset))
    local_total = local.total if include_local else 0
    counts = {own: local.total} if local.total else {}
    remote_where = _remote_conditions(text)
    for node_id, count in session.execute(
        select(Peer.node_id, func.count())
        .join(RemoteRecord, RemoteRecord.peer_id == Peer.id)
        .where(*remote_where)
        .group_by(Peer.node_id)
    ):
        counts[str(node_id)] = int(count)
    remote_nodes = [n for n in nodes if n != own] if nodes else None
    hits: list[Hit] = []
    if include_local and offset < local_total:
        hits = [
            Hit(
                own,
                e.pid,
                e.title,
                e.year,
                f"{node.identity.base_url}/datasets/{e.dataset_id}",
                False,
            )
            for e in local.entries
        ]
    if remote_nodes is None or remote_nodes:
        hits += _remote_hits(
            session, remote_where, remote_nodes, limit - len(hits), max(0, offset - local_total)
        )
    remote_total = sum(c for n, c in counts.items() if n != own and (not nodes or n in nodes))
    total = local_total + remote_total
    following = offset + len(hits)
    return FederatedResult(hits, total, counts, following if following < total else None)


def get_remote_record(session: Session, identifier: str) -> tuple[RemoteRecord, Peer]:
    record = session.get(RemoteRecord, identifier)
    peer = session.get(Peer, record.peer_id) if record is not None else None
    if record is None or record.deleted or peer is None:
        raise NotFound(
            _l("no harvested record %(identifier)s", identifier=identifier),
            code="federation.record-not-found",
        )
    return record, peer


def home_url(peer: Peer, pid: str) -> str:
    """The record's landing page on its home node (``<node>/<dataset>@v<n>``)."""
    _, _, local = pid.partition("/")
    dataset, _, version = local.partition("@v")
    if not dataset:
        return peer.base_url
    return f"{peer.base_url}/datasets/{dataset}" + (f"/versions/{version}" if version else "")


def _remote_conditions(text: str) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [RemoteRecord.deleted.is_(False)]
    fields = (
        RemoteRecord.title,
        RemoteRecord.description,
        RemoteRecord.subjects,
        RemoteRecord.creators,
    )
    for word in query_words(text):
        pattern = f"%{word}%"
        conditions.append(or_(*(func.lower(f).like(pattern) for f in fields)))
    return [and_(*conditions)]


def _remote_hits(
    session: Session,
    where: list[ColumnElement[bool]],
    nodes: list[str] | None,
    limit: int,
    offset: int,
) -> list[Hit]:
    if limit <= 0:
        return []
    stmt = select(RemoteRecord, Peer).join(Peer, RemoteRecord.peer_id == Peer.id).where(*where)
    if nodes is not None:
        stmt = stmt.where(Peer.node_id.in_(nodes))
    stmt = stmt.order_by(RemoteRecord.datestamp.desc(), RemoteRecord.identifier)
    rows = session.execute(stmt.limit(limit).offset(offset)).all()
    return [
        Hit(peer.node_id, r.pid, r.title, r.year, home_url(peer, r.pid), True, r.identifier)
        for r, peer in rows
    ]
