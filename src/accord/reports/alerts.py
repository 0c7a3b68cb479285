"""Equity alerts: a group whose grant rate falls below a share of the overall rate.

Pure functions over the breakdown rows a report computed: a group raises an alert when at least
``min_requests`` of its requests were decided and its grant rate is below ``ratio`` times the
grant rate of every request in the period.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

ALERT_GROUPINGS: tuple[Literal["region", "income_group", "country"], ...] = (
    "region",
    "income_group",
    "country",
)


@dataclass(frozen=True)
class Thresholds:
    ratio: float = 0.8
    min_requests: int = 20
    small_actor_requests: int = 5

    def as_json(self) -> dict[str, Any]:
        return {
            "ratio": self.ratio,
            "min_requests": self.min_requests,
            "small_actor_requests": self.small_actor_requests,
        }


def grant_rate(approved: int, denied: int) -> float | None:
    """Approved among decided (withdrawn and pending requests are not decisions)."""
    decided = approved + denied
    return approved / decided if decided else None


def equity_alerts(
    total: Mapping[str, Any],
    breakdowns: Mapping[str, Sequence[Mapping[str, Any]]],
    thresholds: Thresholds,
) -> list[dict[str, Any]]:
    overall = grant_rate(total["approved"], total["denied"])
    if overall is None:
        return []
    alerts = []
    for grouping in ALERT_GROUPINGS:
        for row in breakdowns.get(grouping, ()):
            decided = row["approved"] + row["denied"]
            rate = grant_rate(row["approved"], row["denied"])
            if decided < thresholds.min_requests or rate is None:
                continue
            if rate < thresholds.ratio * overall:
                alerts.append(
                    {
                        "grouping": grouping,
                        "key": row["key"],
                        "label": row.get("label", row["key"]),
                        "decided": decided,
                        "grant_rate": round(rate, 4),
                        "overall_grant_rate": round(overall, 4),
                        "ratio": round(rate / overall, 4),
                        "threshold": thresholds.ratio,
                    }
                )
    return alerts
