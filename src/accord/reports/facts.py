"""The period's access requests as columns, read in one pass; the request figures from them.

A report over a long history reads a million requests or more, and wants a dozen groupings of
them with exact percentiles. So the requests of the period are read once, by one query that
hands back only what the figures need (the groups a request falls in, its state, the seconds a
committee took, whether it was overdue, the engine's reasons of a denial), as tab-separated text
the database writes itself: PostgreSQL through ``COPY … TO STDOUT``, SQLite one line a row.
Arrow parses that text into columns, each key column factorised into integer codes, and numpy
computes every figure from the codes: counts are ``bincount``s, percentiles are read off one
sort per grouping (decision 1009).

Each figure keeps the meaning decision 1000 gives it: a request counts in the period it was
submitted in; pending and overdue are judged as of ``period.as_of``; decision time is the
seconds from submission to a committee's decision, rounded to the nearest second, with median
and 90th percentile by the nearest-rank rule (the ⌈p·n⌉-th smallest).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, reduce
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pa_csv  # type: ignore[import-untyped]
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    String,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from accord.access.models import PENDING_STATES, AccessRequest, Decider, RequestState
from accord.reports.figures import Period
from accord.reports.regions import classification

_R = AccessRequest.__table__
Codes = npt.NDArray[np.int64]
KEYS = ("country", "organisation", "actor", "dataset", "tier")
FIELDS = (*KEYS, "state", "decided_by", "seconds", "overdue", "reasons")
COUNTS = ("requests", "approved", "denied", "withdrawn", "pending", "overdue", "decided_by_engine")
_LINES_PER_READ = 100_000


@dataclass(frozen=True)
class Column:
    """A text column factorised: row ``i`` holds ``keys[codes[i]]``."""

    codes: Codes
    keys: list[str]

    def rows_in(self, values: Sequence[str]) -> npt.NDArray[np.bool_]:
        wanted = [self.keys.index(v) for v in values if v in self.keys]
        return np.isin(self.codes, wanted)


@dataclass(frozen=True)
class RequestFacts:
    """One entry per request of the period: its groups (``country``, ``region``,
    ``income_group``, ``organisation``, ``actor``, ``dataset``, ``tier``), ``state``,
    ``decided_by``, engine ``reasons`` of a denial, ``seconds`` a committee took (−1 when no
    committee decided it) and ``overdue``."""

    columns: Mapping[str, Column]
    seconds: Codes
    overdue: npt.NDArray[np.bool_]

    @property
    def size(self) -> int:
        return len(self.seconds)

    def grouping(self, dimension: str | None) -> Column:
        if dimension is None:
            return Column(np.zeros(self.size, dtype=np.int64), ["all"])
        return self.columns[dimension]

    def in_state(self, *states: str) -> npt.NDArray[np.bool_]:
        return self._masks(("state", *states))

    def decided_by(self, decider: str) -> npt.NDArray[np.bool_]:
        return self._masks(("decided_by", decider))

    @cached_property
    def _cache(self) -> dict[tuple[str, ...], npt.NDArray[np.bool_]]:
        return {}

    def _masks(self, wanted: tuple[str, ...]) -> npt.NDArray[np.bool_]:
        if wanted not in self._cache:
            self._cache[wanted] = self.columns[wanted[0]].rows_in(wanted[1:])
        return self._cache[wanted]


def read(session: Session, period: Period) -> RequestFacts:
    """The requests submitted in ``period`` (``start ≤ created_at < end``), in one pass."""
    fields = _fields(session, period)
    where = and_(_R.c.created_at >= period.start, _R.c.created_at < period.end)
    if session.get_bind().dialect.name == "postgresql":
        table = _copied(session, select(*fields).where(where))
    else:
        table = _streamed(session, select(_joined(fields)).where(where))
    return _facts_of(table)


def request_counts(facts: RequestFacts, dimension: str | None) -> list[dict[str, Any]]:
    """Requests and where they stand, one row per group with requests, sorted by key."""
    column = facts.grouping(dimension)
    size = len(column.keys)

    def count(rows: npt.NDArray[np.bool_] | None = None) -> Codes:
        codes = column.codes if rows is None else column.codes[rows]
        return np.bincount(codes, minlength=size)

    counted = {
        "requests": count(),
        "approved": count(facts.in_state(RequestState.APPROVED.value)),
        "denied": count(facts.in_state(RequestState.DENIED.value)),
        "withdrawn": count(facts.in_state(RequestState.WITHDRAWN.value)),
        "pending": count(facts.in_state(*(s.value for s in PENDING_STATES))),
        "overdue": count(facts.overdue),
        "decided_by_engine": count(facts.decided_by(Decider.ENGINE.value)),
    }
    totals = {name: values.tolist() for name, values in counted.items()}
    return [
        {"key": key, **{name: totals[name][code] for name in COUNTS}}
        for key, code in sorted((key, code) for code, key in enumerate(column.keys))
        if totals["requests"][code]
    ]


def decision_times(facts: RequestFacts, dimension: str | None) -> dict[str, dict[str, Any]]:
    """Per group: the requests a committee decided, and the median and 90th percentile (nearest
    rank) of the seconds it took, read off one sort of (group, seconds) packed in one integer."""
    column = facts.grouping(dimension)
    decided = facts.seconds >= 0
    codes, seconds = column.codes[decided], facts.seconds[decided]
    if not len(seconds):
        return {}
    span = int(seconds.max()) + 1
    ordered = np.sort(codes * span + seconds) % span
    per_group = np.bincount(codes, minlength=len(column.keys))
    starts = np.cumsum(per_group) - per_group
    median = ordered[np.maximum(starts + (per_group * 50 + 99) // 100 - 1, 0)].tolist()
    p90 = ordered[np.maximum(starts + (per_group * 90 + 99) // 100 - 1, 0)].tolist()
    return {
        key: {
            "decided": int(per_group[code]),
            "median_seconds": float(median[code]),
            "p90_seconds": float(p90[code]),
        }
        for code, key in enumerate(column.keys)
        if per_group[code]
    }


def denial_reasons(facts: RequestFacts) -> list[dict[str, Any]]:
    """Denials by reason: the engine's deciding reason codes (a denial with two reasons counts
    under both), or who decided with written reasons."""
    denied = facts.in_state(RequestState.DENIED.value)
    deciders, reasons = facts.columns["decided_by"], facts.columns["reasons"]
    pairs = deciders.codes[denied] * len(reasons.keys) + reasons.codes[denied]
    tally: dict[tuple[str, str], int] = {}
    for pair, n in zip(*np.unique(pairs, return_counts=True), strict=True):
        decider = deciders.keys[int(pair) // len(reasons.keys)]
        for code in _deciding_codes(decider, reasons.keys[int(pair) % len(reasons.keys)]):
            tally[(code, decider)] = tally.get((code, decider), 0) + int(n)
    return [
        {"reason": code, "decided_by": decider, "count": n}
        for (code, decider), n in sorted(tally.items(), key=lambda item: (-item[1], item[0]))
    ]


def small_actors(facts: RequestFacts, max_requests: int) -> dict[str, int]:
    """Requests and grants going to small actors: organisations (or unaffiliated people) that
    submitted at most ``max_requests`` requests in the period."""
    actor = facts.columns["actor"]
    requests = np.bincount(actor.codes, minlength=len(actor.keys))
    approved = facts.in_state(RequestState.APPROVED.value)
    grants = np.bincount(actor.codes[approved], minlength=len(actor.keys))
    small = requests <= max_requests
    return {
        "actors": len(actor.keys),
        "small_actors": int(small.sum()),
        "requests": int(requests.sum()),
        "small_actor_requests": int(requests[small].sum()),
        "grants": int(grants.sum()),
        "small_actor_grants": int(grants[small].sum()),
    }


# --- reading -------------------------------------------------------------------------------------


def _fields(session: Session, period: Period) -> list[ColumnElement[str]]:
    """What each request contributes, as text (no NULLs but ``seconds`` when no committee
    decided), in the order of ``FIELDS``."""
    committee = and_(_R.c.decided_by == Decider.COMMITTEE.value, _R.c.decided_at.is_not(None))
    engine_denial = and_(
        _R.c.state == RequestState.DENIED.value, _R.c.decided_by == Decider.ENGINE.value
    )
    overdue = and_(
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
    return [
        _R.c.requester_country,
        func.coalesce(_R.c.requester_organisation_id, ""),
        func.coalesce(_R.c.requester_organisation_id, _R.c.requester_id),
        _R.c.dataset_id,
        _R.c.tier,
        _R.c.state,
        func.coalesce(_R.c.decided_by, ""),
        cast(case((committee, _whole_seconds(session, _R.c.created_at, _R.c.decided_at))), String),
        case((overdue, "1"), else_="0"),
        func.coalesce(case((engine_denial, cast(_R.c.engine_reasons, Text))), ""),
    ]


def _whole_seconds(session: Session, start: Any, end: Any) -> ColumnElement[int]:
    """Seconds from ``start`` to ``end``, rounded half up to a whole second."""
    if session.get_bind().dialect.name == "sqlite":
        return cast((func.julianday(end) - func.julianday(start)) * 86400.0 + 0.5, BigInteger)
    return cast(func.floor(func.extract("epoch", end - start) + 0.5), BigInteger)


def _joined(fields: Sequence[ColumnElement[str]]) -> ColumnElement[str]:
    """One tab-separated line of the fields (SQLite: one Python string a row, not ten)."""
    text = [func.coalesce(field, "") for field in fields]
    return reduce(lambda line, field: line + literal("\t") + field, text[1:], text[0])


def _copied(session: Session, query: Select[*tuple[Any, ...]]) -> Any:
    """PostgreSQL writes the rows as CSV with ``COPY (query) TO STDOUT``."""
    connection = session.connection()
    compiled = query.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    sql = f"COPY ({compiled}) TO STDOUT (FORMAT csv, DELIMITER E'\\t')"
    raw = connection.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(sql, compiled.params) as copy:
        text = b"".join(bytes(block) for block in copy)
    return _parsed([text], quoted=True)


def _streamed(session: Session, query: Select[Any]) -> Any:
    """SQLite hands over one line a row, read a hundred thousand at a time straight from the
    driver's cursor (the lines need no processing on the way)."""
    result = session.connection().execute(query)
    try:
        return _parsed(_blocks(result.cursor), quoted=False)
    finally:
        result.close()


def _blocks(cursor: Any) -> Iterator[bytes]:
    while rows := cursor.fetchmany(_LINES_PER_READ):
        yield "\n".join([row[0] for row in rows]).encode("utf-8") + b"\n"


def _parsed(blocks: Iterator[bytes] | list[bytes], *, quoted: bool) -> Any:
    read = pa_csv.ReadOptions(column_names=list(FIELDS))
    parse = pa_csv.ParseOptions(delimiter="\t", quote_char='"' if quoted else False)
    convert = pa_csv.ConvertOptions(
        column_types={
            **{name: pa.string() for name in FIELDS},
            "seconds": pa.int64(),
            "overdue": pa.int8(),
        },
        null_values=[""],
        strings_can_be_null=False,
    )
    tables = [pa_csv.read_csv(io.BytesIO(block), read, parse, convert) for block in blocks if block]
    if not tables:
        return pa.table({name: pa.array([], type=convert.column_types[name]) for name in FIELDS})
    return pa.concat_tables(tables)


def _facts_of(table: Any) -> RequestFacts:
    columns = {
        name: _factorised(table.column(name)) for name in (*KEYS, "state", "decided_by", "reasons")
    }
    country = columns["country"]
    classified = classification()
    for grouping in ("region", "income_group"):
        groups = _factorised(
            pa.array([classified.group_of(key, grouping) for key in country.keys], pa.string())
        )
        columns[grouping] = Column(groups.codes[country.codes], groups.keys)
    seconds = table.column("seconds").combine_chunks().fill_null(-1)
    overdue = table.column("overdue").combine_chunks()
    return RequestFacts(
        columns,
        np.asarray(seconds.to_numpy(), dtype=np.int64),
        np.asarray(overdue.to_numpy(), dtype=np.bool_),
    )


def _factorised(values: Any) -> Column:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    encoded = values.dictionary_encode()
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    return Column(codes, [str(key) for key in encoded.dictionary.to_pylist()])


def _deciding_codes(decided_by: str, reasons_json: str) -> list[str]:
    if decided_by != Decider.ENGINE.value:
        return [f"{decided_by or 'unknown'}-decision"]
    reasons: list[Mapping[str, Any]] = json.loads(reasons_json or "[]")
    codes = sorted({str(r.get("code")) for r in reasons if r.get("effect") == "deny"})
    return codes or ["engine-decision"]
