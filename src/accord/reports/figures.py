"""The figures of a report, each one SQL aggregate (SQLAlchemy Core) over the node's records.

Nothing here reads rows one by one: every function sends one ``GROUP BY`` (or one windowed
query for percentiles) and returns the few aggregated rows it produced. A request counts in the
period it was submitted in (``start ≤ created_at < end``); appeals, breach reports, sanctions and
grants in the period they were filed, reported, imposed or made; duties in the period they fall
due. Each of those moments is the time of the entry that logged it, which is what makes the
figures checkable against the log (``ledger_counts``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Float,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from accord.access.models import (
    PENDING_STATES,
    AccessRequest,
    Appeal,
    BreachReport,
    Decider,
    Duty,
    DutyStatus,
    Grant,
    RequestState,
    Sanction,
)
from accord.catalog.models import Dataset, DatasetVersion, SearchEntry
from accord.federation.models import Peer, RemoteRecord
from accord.identity.models import Organisation
from accord.ledger.models import LedgerEntry
from accord.reports.regions import UNKNOWN, classification

Dimension = Literal[
    "country", "region", "subregion", "income_group", "organisation", "dataset", "tier"
]
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


def request_counts(
    session: Session, period: Period, dimension: Dimension | None
) -> list[dict[str, Any]]:
    """Requests submitted in the period and where they stand, per group of ``dimension``
    (one row, key ``all``, when None)."""
    key = _dimension(dimension) if dimension else literal("all")
    state = _R.c.state
    query = (
        select(
            key.label("key"),
            func.count().label("requests"),
            _sum(state == RequestState.APPROVED.value).label("approved"),
            _sum(state == RequestState.DENIED.value).label("denied"),
            _sum(state == RequestState.WITHDRAWN.value).label("withdrawn"),
            _sum(state.in_([s.value for s in PENDING_STATES])).label("pending"),
            _sum(_overdue(period)).label("overdue"),
            _sum(_R.c.decided_by == Decider.ENGINE.value).label("decided_by_engine"),
        )
        .where(_in_period(_R.c.created_at, period))
        .group_by(key)
        .order_by(key)
    )
    return [dict(row._mapping) for row in session.execute(query)]


def decision_times(
    session: Session, period: Period, dimension: Dimension | None
) -> dict[str, dict[str, float | int]]:
    """Median and 90th percentile (nearest rank) of the seconds a person took to decide, per
    group: requests submitted in the period that a committee decided."""
    key = _dimension(dimension) if dimension else literal("all")
    seconds = _seconds_between(session, _R.c.created_at, _R.c.decided_at).label("seconds")
    ranked = (
        select(
            key.label("key"),
            seconds,
            func.row_number().over(partition_by=key, order_by=seconds).label("rank"),
            func.count().over(partition_by=key).label("n"),
        )
        .where(
            _in_period(_R.c.created_at, period),
            _R.c.decided_by == Decider.COMMITTEE.value,
            _R.c.decided_at.is_not(None),
        )
        .subquery()
    )
    median_rank = (ranked.c.n * 50 + 99) // 100
    p90_rank = (ranked.c.n * 90 + 99) // 100
    query = (
        select(
            ranked.c.key,
            func.max(ranked.c.n).label("decided"),
            func.max(case((ranked.c.rank == median_rank, ranked.c.seconds))).label("median"),
            func.max(case((ranked.c.rank == p90_rank, ranked.c.seconds))).label("p90"),
        )
        .where(or_(ranked.c.rank == median_rank, ranked.c.rank == p90_rank))
        .group_by(ranked.c.key)
    )
    return {
        str(row.key): {
            "decided": int(row.decided),
            "median_seconds": float(row.median),
            "p90_seconds": float(row.p90),
        }
        for row in session.execute(query)
    }


def denial_reasons(session: Session, period: Period) -> list[dict[str, Any]]:
    """Denials of requests submitted in the period by reason: the engine's deciding reason codes
    (a denial with two reasons counts under both), or who decided with written reasons."""
    reasons = cast(_R.c.engine_reasons, String)
    query = (
        select(_R.c.decided_by, reasons.label("reasons"), func.count().label("n"))
        .where(_in_period(_R.c.created_at, period), _R.c.state == RequestState.DENIED.value)
        .group_by(_R.c.decided_by, reasons)
    )
    tally: dict[tuple[str, str], int] = {}
    for row in session.execute(query):
        for code in _deciding_codes(row.decided_by, row.reasons):
            tally[(code, row.decided_by or "")] = tally.get((code, row.decided_by or ""), 0) + row.n
    return [
        {"reason": code, "decided_by": decider, "count": n}
        for (code, decider), n in sorted(tally.items(), key=lambda item: (-item[1], item[0]))
    ]


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


def small_actors(session: Session, period: Period, max_requests: int) -> dict[str, int]:
    """Requests and grants going to small actors: organisations (or unaffiliated people) that
    submitted at most ``max_requests`` requests in the period."""
    actor = func.coalesce(_R.c.requester_organisation_id, _R.c.requester_id)
    per_actor = (
        select(
            actor.label("actor"),
            func.count().label("n"),
            _sum(_R.c.state == RequestState.APPROVED.value).label("granted"),
        )
        .where(_in_period(_R.c.created_at, period))
        .group_by(actor)
        .subquery()
    )
    small = per_actor.c.n <= max_requests
    row = session.execute(
        select(
            func.count().label("actors"),
            _sum(small).label("small_actors"),
            func.coalesce(func.sum(per_actor.c.n), 0).label("requests"),
            func.coalesce(func.sum(case((small, per_actor.c.n), else_=0)), 0).label(
                "small_actor_requests"
            ),
            func.coalesce(func.sum(per_actor.c.granted), 0).label("grants"),
            func.coalesce(func.sum(case((small, per_actor.c.granted), else_=0)), 0).label(
                "small_actor_grants"
            ),
        )
    ).one()
    return {name: int(value or 0) for name, value in row._mapping.items()}


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


def _dimension(dimension: Dimension) -> ColumnElement[Any]:
    if dimension == "country":
        return _R.c.requester_country
    if dimension in ("region", "subregion", "income_group"):
        mapping = classification().mapping(dimension)
        return case(mapping, value=_R.c.requester_country, else_=literal(UNKNOWN))
    if dimension == "organisation":
        return func.coalesce(_R.c.requester_organisation_id, "")
    if dimension == "dataset":
        return _R.c.dataset_id
    return _R.c.tier


def _overdue(period: Period) -> ColumnElement[bool]:
    """Decided after its deadline, or still pending past it."""
    return and_(
        _R.c.deadline_at.is_not(None),
        or_(
            _R.c.decided_at > _R.c.deadline_at,
            and_(
                _R.c.decided_at.is_(None),
                _R.c.state.in_([s.value for s in PENDING_STATES]),
                _R.c.deadline_at < period.as_of,
            ),
        ),
    )


def _in_period(column: Any, period: Period) -> ColumnElement[bool]:
    return and_(column >= period.start, column < period.end)


def _sum(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _seconds_between(session: Session, start: Any, end: Any) -> ColumnElement[float]:
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return cast(func.extract("epoch", end - start), Float)


def _deciding_codes(decided_by: str | None, reasons_json: str | None) -> list[str]:
    if decided_by != Decider.ENGINE.value:
        return [f"{decided_by or 'unknown'}-decision"]
    reasons: list[Mapping[str, Any]] = json.loads(reasons_json or "[]")
    codes = sorted({str(r.get("code")) for r in reasons if r.get("effect") == "deny"})
    return codes or ["engine-decision"]
