"""Keeping the harvest index in step with the catalog, in the same transaction.

A ``before_flush`` listener watches dataset versions: when a version becomes published or
withdrawn, its ``oai_records`` row is written (or turned into a deleted record) with the next
``seq`` and a datestamp of now, to the second. The listener is installed when this module is
imported (the web app, the CLI and the demo seeder import it); ``rebuild`` rewrites every row
from the catalog for a node whose index was built by other code or under another base URL.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from typing import Any, cast
from urllib.parse import urlsplit

from sqlalchemy import Table, event, insert, inspect, select, update
from sqlalchemy.orm import Session

from accord import ledger
from accord.catalog.models import DatasetVersion, VersionState
from accord.identity.principal import Principal
from accord.node import node_of
from accord.standards.oai import responses
from accord.standards.oai.formats import datacite_resource, oai_dc
from accord.standards.oai.models import OaiCounter, OaiRecord
from accord.standards.records import record_of

HARVESTED_STATES = frozenset({VersionState.PUBLISHED, VersionState.WITHDRAWN})
ORG_SET = "org"
TIER_SET = "tier"


def repository_identifier(base_url: str) -> str:
    """The ``oai-identifier`` namespace of this node: the host name of its base URL."""
    return urlsplit(base_url).hostname or "localhost"


def oai_identifier(base_url: str, pid: str) -> str:
    """``oai:<host>:<persistent id>`` (OAI identifier format, version 2.0)."""
    return f"oai:{repository_identifier(base_url)}:{pid}"


def index_version(session: Session, version: DatasetVersion) -> OaiRecord:
    """Write ``version``'s harvest record (published: with metadata; withdrawn: deleted)."""
    node = node_of(session)
    record = record_of(session, version)
    row = session.get(OaiRecord, version.id)
    if row is None:
        row = OaiRecord(version_id=version.id)
        session.add(row)
    row.seq = next_seq(session)
    row.identifier = oai_identifier(node.identity.base_url, record.pid)
    row.dataset_id = version.dataset_id
    row.number = version.number
    row.organisation_id = version.dataset.organisation_id
    row.tier = version.tier
    row.datestamp = node.clock.now().replace(microsecond=0)
    row.deleted = version.state == VersionState.WITHDRAWN
    row.oai_dc = None if row.deleted else oai_dc(record)
    row.datacite = None if row.deleted else datacite_resource(record)
    row.header = header_xml(row)
    return row


def header_xml(row: OaiRecord) -> str:
    """The ``<header>`` of a harvest record, as list pages and GetRecord send it."""
    return responses.header(header_of(row))


def header_of(row: Any) -> responses.Header:
    """The header values of a harvest row (an ``OaiRecord`` or a row of its columns)."""
    datestamp = row.datestamp if row.datestamp.tzinfo else row.datestamp.replace(tzinfo=UTC)
    return responses.Header(
        row.identifier,
        datestamp,
        (f"{ORG_SET}:{row.organisation_id}", f"{TIER_SET}:{row.tier}"),
        row.deleted,
    )


def next_seq(session: Session) -> int:
    """The next harvest sequence number; the counter row stays locked until commit."""
    table = cast(Table, OaiCounter.__table__)
    value = session.execute(
        update(table)
        .where(table.c.id == 1)
        .values(value=table.c.value + 1)
        .returning(table.c.value)
    ).scalar()
    if value is None:
        highest = session.scalar(select(OaiRecord.seq).order_by(OaiRecord.seq.desc()).limit(1))
        value = (highest or 0) + 1
        session.execute(insert(table).values(id=1, value=value))
    return int(value)


def rebuild(session: Session, actor: Principal) -> int:
    """Rewrite every harvest record from the catalog (logged); returns how many were written."""
    versions = session.scalars(
        select(DatasetVersion)
        .where(DatasetVersion.state.in_([s.value for s in HARVESTED_STATES]))
        .order_by(DatasetVersion.published_at, DatasetVersion.id)
    ).all()
    for version in versions:
        index_version(session, version)
    session.flush()
    ledger.append(
        session,
        ledger.Event(
            "standards.harvest-index.rebuilt",
            subjects={"actor": actor.user_id},
            public={"records": len(versions)},
        ),
    )
    return len(versions)


def _state_changed(version: DatasetVersion) -> bool:
    history = inspect(version).attrs.state.history
    return bool(history.added) and version.state in HARVESTED_STATES


def _before_flush(session: Session, _context: Any, _instances: Iterable[Any] | None) -> None:
    changed = [
        obj
        for obj in (*session.new, *session.dirty)
        if isinstance(obj, DatasetVersion) and _state_changed(obj)
    ]
    for version in changed:
        index_version(session, version)


if not event.contains(Session, "before_flush", _before_flush):
    event.listen(Session, "before_flush", _before_flush)
