"""Harvesting peers' catalogues over OAI-PMH (``oai_datacite``): the first run lists every
record, later runs only those changed since the newest datestamp seen (OAI-PMH §3.3.1 ``from``,
inclusive, so a record stamped in the same second as the last one is fetched again and simply
rewritten). Records are stored as metadata only, marked with their home node; deleted records
are kept as tombstones. A run is one transaction with one log entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from accord import ledger
from accord.clock import rfc3339
from accord.errors import Conflict, NodeUnavailable
from accord.federation import calls, peers
from accord.federation.models import HarvestState, Peer, RemoteRecord
from accord.federation.oai import HarvestedRecord, datestamp_argument, parse_list_records
from accord.node import node_of

PREFIX = "oai_datacite"
_RECORDS: Table = RemoteRecord.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class HarvestReport:
    peer: str
    records: int
    deleted: int
    pages: int
    incremental: bool
    last_datestamp: str | None


def harvest_peer(session: Session, peer_id: str, *, full: bool = False) -> HarvestReport:
    """Harvest one active peer, incrementally unless ``full``; the caller commits."""
    node = node_of(session)
    peer = peers.get_peer(session, peer_id)
    if peer.state != "active":
        raise Conflict(
            f"{peer.node_id} is {peer.state}, not active", code="federation.peer-not-active"
        )
    state = session.get(HarvestState, peer.id)
    since = None if full or state is None else state.last_datestamp
    newest, records, deleted, pages = since, 0, 0, 0
    with httpx.Client(timeout=calls.TIMEOUT) as http:
        for page in _pages(http, peer, since):
            _store(session, peer, page, node.clock.now())
            records, pages = records + len(page), pages + 1
            deleted += sum(r.deleted for r in page)
            newest = max([newest, *(r.datestamp for r in page)], key=_key)
    last = rfc3339(newest) if newest else None
    _remember(session, peer, state, newest, records, node.clock.now())
    ledger.append(
        session,
        ledger.Event(
            "federation.harvest.completed",
            public={"peer": peer.id, "records": records, "deleted": deleted},
            record={"from": rfc3339(since) if since else None, "to": last},
        ),
    )
    return HarvestReport(peer.node_id, records, deleted, pages, since is not None, last)


def _pages(http: httpx.Client, peer: Peer, since: datetime | None) -> Any:
    params = {"verb": "ListRecords", "metadataPrefix": PREFIX}
    if since is not None:
        params["from"] = datestamp_argument(since)
    while True:
        page = parse_list_records(_get(http, f"{peer.base_url}/oai", params))
        if page.records:
            yield page.records
        if not page.resumption_token:
            return
        params = {"verb": "ListRecords", "resumptionToken": page.resumption_token}


def _get(http: httpx.Client, url: str, params: dict[str, str]) -> bytes:
    try:
        response = http.get(url, params=params)
    except httpx.TransportError as exc:
        raise NodeUnavailable(f"{url} did not answer", code="federation.peer-unavailable") from exc
    if response.status_code != 200:
        raise Conflict(f"{url} answered {response.status_code}", code="federation.peer-refused")
    return response.content


def _store(session: Session, peer: Peer, records: list[HarvestedRecord], now: datetime) -> None:
    rows = [
        {
            "identifier": r.identifier,
            "peer_id": peer.id,
            "pid": r.pid,
            "title": r.title,
            "description": r.description,
            "creators": r.creators,
            "subjects": r.subjects,
            "year": r.year,
            "rights": r.rights,
            "datestamp": r.datestamp,
            "deleted": r.deleted,
            "resource": r.resource,
            "harvested_at": now,
        }
        for r in records
    ]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(_RECORDS)
    updated = {c: statement.excluded[c] for c in rows[0] if c != "identifier"}
    session.execute(
        statement.on_conflict_do_update(index_elements=["identifier"], set_=updated), rows
    )


def _remember(
    session: Session,
    peer: Peer,
    state: HarvestState | None,
    newest: datetime | None,
    records: int,
    now: datetime,
) -> None:
    if state is None:
        state = HarvestState(peer_id=peer.id, records=0)
        session.add(state)
    state.last_datestamp = newest
    state.last_run_at = now
    state.records = (state.records or 0) + records


def _key(moment: datetime | None) -> float:
    return moment.timestamp() if moment else float("-inf")
