"""Harvesting peers' catalogues over OAI-PMH (``oai_datacite``): the first run lists every
record, later runs only those changed since the newest datestamp seen (OAI-PMH §3.3.1 ``from``,
inclusive, so a record stamped in the same second as the last one is fetched again and simply
rewritten). Records are stored as metadata only, marked with their home node; deleted records
are kept as tombstones.

Each page is stored in its own short transaction (one bulk upsert and one log entry), so the
node's write lock is never held while waiting on the network, and the next page is fetched and
parsed while the current one is stored. The harvest's progress (the newest datestamp) is saved
only once the whole list has been read: a run that stops half-way starts again from the
previous complete run, and rewriting a record already stored changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from accord import ledger
from accord.clock import rfc3339
from accord.errors import Conflict, NodeUnavailable
from accord.federation import calls, peers
from accord.federation.models import HarvestState, RemoteRecord
from accord.federation.oai import HarvestedRecord, datestamp_argument, parse_list_records
from accord.i18n.translate import _l
from accord.node import NodeContext

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


def harvest_peer(node: NodeContext, peer_id: str, *, full: bool = False) -> HarvestReport:
    """Harvest one active peer, incrementally unless ``full``; commits page by page."""
    with node.session() as session:
        peer = peers.get_peer(session, peer_id)
        if peer.state != "active":
            raise Conflict(
                _l(
                    "%(peer)s is %(state)s, not active",
                    peer=peer.node_id,
                    state=peer.state,
                ),
                code="federation.peer-not-active",
            )
        peer_id, base_url, node_id = peer.id, peer.base_url, peer.node_id
        state = session.get(HarvestState, peer_id)
        since = None if full or state is None else state.last_datestamp
    newest, records, deleted, pages = since, 0, 0, 0
    with httpx.Client(timeout=calls.TIMEOUT) as http:
        for page in _prefetched(_pages(http, base_url, since)):
            _store_page(node, peer_id, page)
            records, pages = records + len(page), pages + 1
            deleted += sum(r.deleted for r in page)
            newest = max([newest, *(r.datestamp for r in page)], key=_key)
    last = rfc3339(newest) if newest else None
    with node.session() as session:
        _remember(session, peer_id, newest, records, node.clock.now())
        ledger.append(
            session,
            ledger.Event(
                "federation.harvest.completed",
                public={"peer": peer_id, "records": records, "deleted": deleted},
                record={"from": rfc3339(since) if since else None, "to": last},
            ),
        )
        session.commit()
    return HarvestReport(node_id, records, deleted, pages, since is not None, last)


def _pages(
    http: httpx.Client, base_url: str, since: datetime | None
) -> Iterator[list[HarvestedRecord]]:
    params = {"verb": "ListRecords", "metadataPrefix": PREFIX}
    if since is not None:
        params["from"] = datestamp_argument(since)
    while True:
        page = parse_list_records(_get(http, f"{base_url}/oai", params))
        if page.records:
            yield page.records
        if not page.resumption_token:
            return
        params = {"verb": "ListRecords", "resumptionToken": page.resumption_token}


def _prefetched(pages: Iterator[list[HarvestedRecord]]) -> Iterator[list[HarvestedRecord]]:
    """``pages``, each next one fetched and parsed in a thread while the caller stores this one."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="harvest") as pool:
        ahead = pool.submit(next, pages, None)
        while (page := ahead.result()) is not None:
            ahead = pool.submit(next, pages, None)
            yield page


def _store_page(node: NodeContext, peer_id: str, page: list[HarvestedRecord]) -> None:
    with node.session() as session:
        _store(session, peer_id, page, node.clock.now())
        ledger.append(
            session,
            ledger.Event(
                "federation.harvest.page-stored",
                public={
                    "peer": peer_id,
                    "records": len(page),
                    "deleted": sum(r.deleted for r in page),
                },
            ),
        )
        session.commit()


def _get(http: httpx.Client, url: str, params: dict[str, str]) -> bytes:
    try:
        response = http.get(url, params=params)
    except httpx.TransportError as exc:
        raise NodeUnavailable(
            _l("%(url)s did not answer", url=url), code="federation.peer-unavailable"
        ) from exc
    if response.status_code != 200:
        raise Conflict(
            _l(
                "%(url)s answered %(status)s",
                url=url,
                status=response.status_code,
            ),
            code="federation.peer-refused",
        )
    return response.content


def _store(session: Session, peer_id: str, records: list[HarvestedRecord], now: datetime) -> None:
    rows = [
        {
            "identifier": r.identifier,
            "peer_id": peer_id,
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
    session: Session, peer_id: str, newest: datetime | None, records: int, now: datetime
) -> None:
    state = session.get(HarvestState, peer_id)
    if state is None:
        state = HarvestState(peer_id=peer_id, records=0)
        session.add(state)
    state.last_datestamp = newest
    state.last_run_at = now
    state.records = (state.records or 0) + records


def _key(moment: datetime | None) -> float:
    return moment.timestamp() if moment else float("-inf")
