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
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    Column,
    ColumnElement,
    Float,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    and_,
    case,
    cast,
    func,
    insert,
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


@contextmanager
def request_facts(session: Session, period: Period) -> Iterator[Table]:
    """The period's requests as one narrow temporary table, read from the wide request table
    in a single pass: the columns the figures group by (region and income group looked up
    from the classification), the state, and the seconds a committee took. Every request
    figure then aggregates this table; it is dropped on leaving."""
    metadata = MetaData()
    countries = Table(
        "reports_countries",
        metadata,
        Column("code", String(2), primary_key=True),
        Column("region", String(40)),
        Column("income_group", String(20)),
        prefixes=["TEMPORARY"],
    )
    facts = Table(
        "reports_facts",
        metadata,
        *(Column(name, String(40)) for name in _FACT_KEYS),
        Column("state", String(30)),
        Column("decided_by", String(20)),
        Column("seconds", Integer),
        Column("overdue", Integer),
        Column("reasons", Text),
        prefixes=["TEMPORARY"],
    )
    connection = session.connection()
    metadata.create_all(connection)
    try:
        classified = classification()
        connection.execute(
            insert(countries),
            [
                {
                    "code": code,
                    "region": classified.group_of(code, "region"),
                    "income_group": classified.group_of(code, "income_group"),
                }
                for code in classified.countries
            ],
        )
        connection.execute(
            insert(facts).from_select(_fact_columns(), _facts_query(session, period, countries))
        )
        yield facts
    finally:
        metadata.drop_all(connection)


def request_counts(
    facts: Table, session: Session, dimensions: Sequence[Dimension]
) -> dict[str, list[dict[str, Any]]]:
    """Requests submitted in the period and where they stand, per group of each dimension,
    and over all (``all``). Region and income group are sums of the countries' rows (the
    classification maps each country to one of each), so countries are read once."""
    read = {"country", *(d for d in dimensions if d not in _BY_COUNTRY)}
    counted = {name: _counts(facts, session, name) for name in sorted(read)}
    result: dict[str, list[dict[str, Any]]] = {"all": _rollup(counted["country"], None)}
    classified = classification()
    for dimension in dimensions:
        if dimension in _BY_COUNTRY:
            grouping = classified.mapping(
                "income_group" if dimension == "income_group" else "region"
            )
            result[dimension] = _rollup(counted["country"], grouping)
        else:
            result[dimension] = counted[dimension]
    return result


def decision_times(
    facts: Table, session: Session, dimension: Dimension | None
) -> dict[str, dict[str, float | int]]:
    """Median and 90th percentile (nearest rank) of the seconds a committee took to decide,
    per group."""
    key = facts.c[dimension] if dimension else literal("all")
    seconds = facts.c.seconds
    ranked = (
        select(
            key.label("key"),
            seconds,
            func.row_number().over(partition_by=key, order_by=seconds).label("rank"),
            func.count().over(partition_by=key).label("n"),
        )
        .where(seconds.is_not(None))
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


def denial_reasons(facts: Table, session: Session) -> list[dict[str, Any]]:
    """Denials of requests submitted in the period by reason: the engine's deciding reason codes
    (a denial with two reasons counts under both), or who decided with written reasons."""
    query = (
        select(facts.c.decided_by, facts.c.reasons, func.count().label("n"))
        .where(facts.c.state == RequestState.DENIED.value)
        .group_by(facts.c.decided_by, facts.c.reasons)
    )
    tally: dict[tuple[str, str], int] = {}
    for row in session.execute(query):
        decider = row.decided_by or ""
        for code in _deciding_codes(row.decided_by, row.reasons):
            tally[(code, decider)] = tally.get((code, decider), 0) + row.n
    return [
        {"reason": code, "decided_by": decider, "count": n}
        for (code, decider), n in sorted(tally.items(), key=lambda item: (-item[1], item[0]))
    ]


def small_actors(facts: Table, session: Session, max_requests: int) -> dict[str, int]:
    """Requests and grants going to small actors: organisations (or unaffiliated people) that
    submitted at most ``max_requests`` requests in the period."""
    per_actor = (
        select(
            facts.c.actor,
            func.count().label("n"),
            _sum(facts.c.state == RequestState.APPROVED.value).label("granted"),
        )
        .group_by(facts.c.actor)
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


_BY_COUNTRY = frozenset({"region", "income_group"})
_COUNTS = ("requests", "approved", "denied", "withdrawn", "pending", "overdue", "decided_by_engine")


def _counts(facts: Table, session: Session, dimension: str) -> list[dict[str, Any]]:
    """One ``GROUP BY`` of the facts by the dimension and what a request's state says (a
    handful of combinations per group), folded into one row per group."""
    columns = (facts.c[dimension], facts.c.state, facts.c.decided_by, facts.c.overdue)
    query = select(*columns, func.count()).group_by(*columns)
    rows: dict[str, dict[str, Any]] = {}
    for key, state, decided_by, overdue, n in session.execute(query):
        row = rows.setdefault(str(key), {"key": str(key), **dict.fromkeys(_COUNTS, 0)})
        row["requests"] += n
        if state in _STATE_COUNT:
            row[_STATE_COUNT[state]] += n
        row["overdue"] += n if overdue else 0
        row["decided_by_engine"] += n if decided_by == Decider.ENGINE.value else 0
    return [rows[key] for key in sorted(rows)]


_STATE_COUNT = {
    RequestState.APPROVED.value: "approved",
    RequestState.DENIED.value: "denied",
    RequestState.WITHDRAWN.value: "withdrawn",
    **{state.value: "pending" for state in PENDING_STATES},
}


def _rollup(
    rows: Sequence[dict[str, Any]], mapping: Mapping[str, str] | None
) -> list[dict[str, Any]]:
    """Sum country rows into their groups (``mapping``: country → group; None: one total)."""
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = "all" if mapping is None else mapping.get(row["key"], UNKNOWN)
        target = groups.setdefault(key, {"key": key, **dict.fromkeys(_COUNTS, 0)})
        for name in _COUNTS:
            target[name] += row[name]
    return [groups[key] for key in sorted(groups)]


_FACT_KEYS = ("country", "region", "income_group", "organisation", "actor", "dataset", "tier")


def _fact_columns() -> list[str]:
    return [*_FACT_KEYS, "state", "decided_by", "seconds", "overdue", "reasons"]


def _facts_query(session: Session, period: Period, countries: Table) -> Select[Any]:
    committee = and_(_R.c.decided_by == Decider.COMMITTEE.value, _R.c.decided_at.is_not(None))
    engine_denial = and_(
        _R.c.state == RequestState.DENIED.value, _R.c.decided_by == Decider.ENGINE.value
    )
    seconds = _seconds_between(session, _R.c.created_at, _R.c.decided_at)
    return (
        select(
            _R.c.requester_country,
            func.coalesce(countries.c.region, UNKNOWN),
            func.coalesce(countries.c.income_group, UNKNOWN),
            func.coalesce(_R.c.requester_organisation_id, ""),
            func.coalesce(_R.c.requester_organisation_id, _R.c.requester_id),
            _R.c.dataset_id,
            _R.c.tier,
            _R.c.state,
            _R.c.decided_by,
            case((committee, cast(seconds + 0.5, Integer))),
            case((_overdue(period), 1), else_=0),
            case((engine_denial, cast(_R.c.engine_reasons, Text))),
        )
        .select_from(_R.outerjoin(countries, countries.c.code == _R.c.requester_country))
        .where(_in_period(_R.c.created_at, period))
    )


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
