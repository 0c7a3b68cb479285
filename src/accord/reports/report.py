"""A report document: the figures of one period, assembled, and suppressed when public.

``build`` runs the aggregate queries of ``figures`` for the sections a kind needs and returns a
JSON-ready document (the API's answer, the exports' input, the signed report's content):

- ``equity``: requests and grant rates by country, region, income group, organisation, dataset
  and tier, decision times, denial reasons, small actors, equity alerts;
- ``reciprocity``: data contributed against data used, per country and per node;
- ``transparency``: everything above plus grants, appeals, breach reports, sanctions, duties and
  the log entries the figures count (what a partner node checks against the log).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from accord.clock import rfc3339
from accord.ledger import service as ledger
from accord.node import NodeIdentity
from accord.reports import facts, figures
from accord.reports.alerts import Thresholds, equity_alerts, grant_rate
from accord.reports.facts import RequestFacts
from accord.reports.figures import DIMENSIONS, REQUEST_COUNTS, Period
from accord.reports.regions import classification
from accord.reports.suppression import hide_if_small, suppress_table

Kind = Literal["equity", "transparency", "reciprocity"]
KINDS: tuple[Kind, ...] = ("equity", "transparency", "reciprocity")
FORMAT = "accord-report/1"
_PARTITION = ("approved", "denied", "withdrawn", "pending")
_DAY = 86400.0


@dataclass(frozen=True)
class Options:
    kind: Kind
    period: Period
    public: bool
    min_count: int
    thresholds: Thresholds


def build(
    session: Session, identity: NodeIdentity, options: Options, now: datetime
) -> dict[str, Any]:
    sections: dict[str, Any] = {}
    if options.kind in ("equity", "transparency"):
        sections.update(_equity(facts.read(session, options.period), session, options))
    if options.kind == "transparency":
        sections.update(_transparency(session, options))
    if options.kind in ("reciprocity", "transparency"):
        sections["reciprocity"] = _reciprocity(session, identity, options)
    period = options.period
    return {
        "format": FORMAT,
        "kind": options.kind,
        "node": identity.as_json(),
        "period": {
            "from": rfc3339(period.start),
            "to": rfc3339(period.end),
            "as_of": rfc3339(period.as_of),
        },
        "generated_at": rfc3339(now),
        "public": options.public,
        "suppression": {
            "rule": "threshold",
            "min_count": options.min_count,
            "applied": options.public,
        },
        "classification": {
            "regions": "UN M49",
            "income_groups": f"World Bank {classification().income_classification}",
        },
        "thresholds": options.thresholds.as_json(),
        "sections": sections,
    }


# --- equity --------------------------------------------------------------------------------------


def _equity(requests: RequestFacts, session: Session, options: Options) -> dict[str, Any]:
    k = options.min_count
    (total,) = _request_rows(requests, session, None)
    breakdowns: dict[str, list[dict[str, Any]]] = {
        dimension: _request_rows(requests, session, dimension) for dimension in DIMENSIONS
    }
    alerts = equity_alerts(total, breakdowns, options.thresholds)
    actors = facts.small_actors(requests, options.thresholds.small_actor_requests)
    reasons = facts.denial_reasons(requests)
    if options.public:
        for rows in breakdowns.values():
            _suppress_requests(rows, k)
        _suppress_requests([total], k)
        visible = {(row["key"]) for rows in breakdowns.values() for row in rows}
        alerts = [a for a in alerts if a["key"] in visible]
        shown: dict[str, int | None] = {n: hide_if_small(v, k) for n, v in actors.items()}
        suppress_table(reasons, ["count"], k)
    return {
        "requests": total,
        "breakdowns": breakdowns,
        "denial_reasons": reasons,
        "small_actors": {
            **(shown if options.public else actors),
            "max_requests": options.thresholds.small_actor_requests,
        },
        "alerts": alerts,
    }


def _request_rows(
    requests: RequestFacts, session: Session, dimension: figures.Dimension | None
) -> list[dict[str, Any]]:
    rows = facts.request_counts(requests, dimension)
    if dimension is None and not rows:
        rows = [_empty_total()]
    times = facts.decision_times(requests, dimension)
    names = figures.labels(session, dimension, [str(r["key"]) for r in rows]) if dimension else {}
    for row in rows:
        key = str(row["key"])
        timing = times.get(key, {})
        row["key"] = key
        row["label"] = names.get(key, key)
        row["grant_rate"] = _round(grant_rate(row["approved"], row["denied"]))
        row["decided_by_committee"] = int(timing.get("decided", 0))
        row["median_days"] = _days(timing.get("median_seconds"))
        row["p90_days"] = _days(timing.get("p90_seconds"))
    return rows


def _empty_total() -> dict[str, Any]:
    return {"key": "all", **dict.fromkeys((*REQUEST_COUNTS, "decided_by_engine"), 0)}


def _suppress_requests(rows: list[dict[str, Any]], k: int) -> None:
    suppress_table(
        rows,
        [*REQUEST_COUNTS, "decided_by_engine", "decided_by_committee"],
        k,
        size="requests",
        partition=_PARTITION,
        derived=(
            ("grant_rate", ("approved", "denied")),
            ("median_days", ("decided_by_committee",)),
            ("p90_days", ("decided_by_committee",)),
        ),
    )


# --- transparency --------------------------------------------------------------------------------


def _transparency(session: Session, options: Options) -> dict[str, Any]:
    period, k = options.period, options.min_count
    sections: dict[str, Any] = {
        "grants": figures.grants_by_mode(session, period),
        "appeals": figures.appeal_outcomes(session, period),
        "breaches": figures.breach_reports(session, period),
        "sanctions": figures.sanctions(session, period),
        "duties": figures.duties(session, period),
    }
    counted = {
        "grants": ["count"],
        "appeals": ["count"],
        "breaches": ["count"],
        "sanctions": ["count", "lifted"],
        "duties": ["due", "fulfilled", "on_time", "overdue"],
    }
    result: dict[str, Any] = {}
    for name, rows in sections.items():
        totals = {field: sum(int(r[field]) for r in rows) for field in counted[name]}
        if options.public:
            suppress_table(rows, counted[name], k, size=counted[name][0])
            result[name] = {
                "rows": rows,
                "total": {f: hide_if_small(v, k) for f, v in totals.items()},
            }
            continue
        result[name] = {"rows": rows, "total": totals}
    size = ledger.tree_size(session)
    result["ledger"] = {
        **figures.ledger_counts(session, period),
        "tree_size": size,
        "root_hash": ledger.root_hash(session, size).hex() if size else None,
    }
    return result


# --- reciprocity ---------------------------------------------------------------------------------


def _reciprocity(session: Session, identity: NodeIdentity, options: Options) -> dict[str, Any]:
    period, k = options.period, options.min_count
    contributed = figures.contributed_by_country(session, period)
    used = figures.used_by_country(session, period)
    countries = [
        {"key": code, "label": classification().name_of(code), "contributed": c, "used": u}
        for code in sorted(set(contributed) | set(used))
        for c, u in [(contributed.get(code, 0), used.get(code, 0))]
    ]
    local = {
        "key": identity.node_id,
        "label": identity.name,
        "jurisdiction": identity.jurisdiction,
        "contributed": sum(contributed.values()),
    }
    peers = [
        {
            "key": p["node_id"],
            "label": p["name"],
            "jurisdiction": p["jurisdiction"],
            "contributed": int(p["n"]),
        }
        for p in figures.contributed_by_peer(session)
    ]
    nodes = [{**n, "used": used.get(n["jurisdiction"], 0)} for n in [local, *peers]]
    for rows in (countries, nodes):
        _indices(rows)
        if options.public:
            suppress_table(rows, ["used"], k, derived=(("index", ("used",)),))
    return {"countries": countries, "nodes": nodes}


def _indices(rows: list[dict[str, Any]]) -> None:
    """Reciprocity index: (share of data contributed − share of data used) / (their sum), from −1
    (only uses) through 0 (balanced) to +1 (only contributes); None when neither happened."""
    contributed = sum(r["contributed"] for r in rows)
    used = sum(r["used"] for r in rows)
    for row in rows:
        c_share = row["contributed"] / contributed if contributed else 0.0
        u_share = row["used"] / used if used else 0.0
        both = c_share + u_share
        row["index"] = _round((c_share - u_share) / both) if both else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _days(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / _DAY, 2)
