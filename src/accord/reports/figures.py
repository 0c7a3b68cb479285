"""The figures of a report other than the requests' (``facts``), each one SQL aggregate
(SQLAlchemy Core) over the node's records.

Nothing here reads rows one by one: every function sends one ``GROUP BY`` and returns the few
aggregated rows it produced. Appeals, breach reports, sanctions and grants count in the period
they were filed, reported, imposed or made; duties in the period they fall due (requests in the
period they were submitted in). Each of those moments is the time of the entry that logged it,
which is what makes the figures checkable against the log (``ledger_counts``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from accord.access.models import (
    AccessRequest,
    Appeal,
    BreachReport,
    Duty,
    DutyStatus,
    Grant,
    Sanction,
)
from accord.catalog.models import Dataset, DatasetVersion, SearchEntry
from accord.federation.models import Peer, RemoteRecord
from accord.identity.models import Organisation
from accord.ledger.models import LedgerEntry
from accord.reports.regions import classification

Dimension = Literal["country", "region", "income_group", "organisation", "dataset", "tier"]
DIMENSIONS: tuple[Dimension, ...] = (
    "country",
    "region",
    "income_group",
    "organisation",
    "dataset",
    "tier",
)
REQUEST_COUNTS = ("requests", "approved", "denied", "withdrawn", "pending", "overdue")
LEDGER_TYPES = (
    "access.request.submitted",
    "access.grant.created",
    "access.appeal.filed",
    "access.breach.reported",
    "access.sanction.imposed",
)

_R = AccessRequest.__table__
_G = Grant.__table__


@dataclass(frozen=True)
class Period:
    """``[start, end)`` in UTC; ``as_of`` is when pending and overdue are judged (≤ end)."""

    start: datetime
    end: datetime
    as_of: datetime


def grants_by_mode(session: Session, period: Period) -> list[dict[str, Any]]:
    query = (
        select(_G.c.mode.label("mode"), func.count().label("count"))
        .where(_in_period(_G.c.created_at, period))
        .group_by(_G.c.mode)
        .order_by(_G.c.mode)
    )
    return [dict(row._mapping) for row in session.execute(query)]


def appeal_outcomes(session: Session, period: Period) -> list[dict[str, Any]]:
    table = Appeal.__table__
    query = (
        select(table.c.subject, table.c.state.label("outcome"), func.count().label("count"))
        .where(_in_period(table.c.created_at, period))
        .group_by(table.c.subject, table.c.state)
        .order_by(table.c.subject, table.c.state)
    )
    return [dict(row._mapping) for row in session.execute(query)]


def breach_reports(session: Session, period: Period) -> list[dict[str, Any]]:
    table = BreachReport.__table__
    outcome = func.coalesce(table.c.outcome, "")
    query = (
        select(table.c.state, outcome.label("outcome"), func.count().label("count"))
        .where(_in_period(table.c.created_at, period))
        .group_by(table.c.state, outcome)
        .order_by(table.c.state, outcome)
    )
    return [dict(row._mapping) for row in session.execute(query)]


def sanctions(session: Session, period: Period) -> list[dict[str, Any]]:
    table = Sanction.__table__
    query = (
        select(
            table.c.kind,
            table.c.subject_kind,
            func.count().label("count"),
            _sum(table.c.lifted_at.is_not(None)).label("lifted"),
        )
        .where(_in_period(table.c.created_at, period))
        .group_by(table.c.kind, table.c.subject_kind)
        .order_by(table.c.kind, table.c.subject_kind)
    )
    return [dict(row._mapping) for row in session.execute(query)]


def duties(session: Session, period: Period) -> list[dict[str, Any]]:
    """Duties falling due in the period: fulfilled (on time or late) and still open."""
    table = Duty.__table__
    fulfilled = table.c.status == DutyStatus.FULFILLED.value
    query = (
        select(
            table.c.kind,
            func.count().label("due"),
            _sum(fulfilled).label("fulfilled"),
            _sum(and_(fulfilled, table.c.fulfilled_at <= table.c.due_at)).label("on_time"),
            _sum(and_(~fulfilled, table.c.due_at < period.as_of)).label("overdue"),
        )
        .where(_in_period(table.c.due_at, period))
        .group_by(table.c.kind)
        .order_by(table.c.kind)
    )
    return [dict(row._mapping) for row in session.execute(query)]


def contributed_by_country(session: Session, period: Period) -> dict[str, int]:
    """Datasets with a version published before the period's end, by the holder's country."""
    versions = DatasetVersion.__table__
    datasets = Dataset.__table__
    orgs = Organisation.__table__
    published = (
        select(versions.c.dataset_id)
        .where(versions.c.published_at.is_not(None), versions.c.published_at < period.end)
        .distinct()
        .subquery()
    )
    query = (
        select(orgs.c.country, func.count().label("n"))
        .select_from(published)
        .join(datasets, datasets.c.id == published.c.dataset_id)
        .join(orgs, orgs.c.id == datasets.c.organisation_id)
        .group_by(orgs.c.country)
    )
    return {str(row.country): int(row.n) for row in session.execute(query)}


def used_by_country(session: Session, period: Period) -> dict[str, int]:
    """Grants made in the period, by the requester's country."""
    query = (
        select(_R.c.requester_country.label("country"), func.count().label("n"))
        .select_from(_G.join(_R, _R.c.id == _G.c.request_id))
        .where(_in_period(_G.c.created_at, period))
        .group_by(_R.c.requester_country)
    )
    return {str(row.country): int(row.n) for row in session.execute(query)}


def contributed_by_peer(session: Session) -> list[dict[str, Any]]:
    """Datasets each peer contributes to the federated catalogue (harvested, not deleted)."""
    records = RemoteRecord.__table__
    peers = Peer.__table__
    query = (
        select(
            peers.c.node_id,
            peers.c.name,
            peers.c.jurisdiction,
            func.count(records.c.identifier).label("n"),
        )
        .select_from(
            peers.outerjoin(
                records, and_(records.c.peer_id == peers.c.id, records.c.deleted.is_(False))
            )
        )
        .group_by(peers.c.node_id, peers.c.name, peers.c.jurisdiction)
        .order_by(peers.c.node_id)
    )
    return [dict(row._mapping) for row in session.execute(query)]


def ledger_counts(session: Session, period: Period) -> dict[str, Any]:
    """The log entries of the period that the figures count: per event type, and the range of
    sequence numbers they fall in."""
    table = LedgerEntry.__table__
    window = _in_period(table.c.created_at, period)
    counts = session.execute(
        select(table.c.event_type, func.count().label("n"))
        .where(window, table.c.event_type.in_(LEDGER_TYPES))
        .group_by(table.c.event_type)
    )
    first, last = session.execute(
        select(func.min(table.c.seq), func.max(table.c.seq)).where(window)
    ).one()
    found = {str(row.event_type): int(row.n) for row in counts}
    return {
        "first_seq": first,
        "last_seq": last,
        "entries": {event_type: found.get(event_type, 0) for event_type in LEDGER_TYPES},
    }


def labels(session: Session, dimension: Dimension, keys: list[str]) -> dict[str, str]:
    """Names to show for group keys: organisation names, dataset titles, country names."""
    if dimension == "organisation":
        table = Organisation.__table__
        rows = session.execute(select(table.c.id, table.c.name).where(table.c.id.in_(keys)))
        return {str(k): str(v) for k, v in rows}
    if dimension == "dataset":
        search = SearchEntry.__table__
        rows = session.execute(
            select(search.c.dataset_id, search.c.title).where(search.c.dataset_id.in_(keys))
        )
        return {str(k): str(v) for k, v in rows}
    if dimension == "country":
        return {key: classification().name_of(key) for key in keys}
    return {}


# --- expressions ---------------------------------------------------------------------------------


def _in_period(column: Any, period: Period) -> ColumnElement[bool]:
    return and_(column >= period.start, column < period.end)


def _sum(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
