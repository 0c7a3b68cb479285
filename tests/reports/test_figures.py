"""The figures of a seeded history (see conftest.py) are the ones known by construction.

Seeding drives the real workflow and costs seconds, so one test reads one report and checks
every figure of it, section by section (each helper below is one section)."""

from __future__ import annotations

from typing import Any

from tests.reports.conftest import PERIOD, History
from tests.reports.test_pages import check_reports_page_and_committee_alerts
from tests.reports.test_public import check_public_figures_and_the_signed_report


def full(history: History, kind: str = "transparency") -> dict[str, Any]:
    response = history.world.client.get(
        f"/api/v1/reports/{kind}/full", params=PERIOD, headers=history.auditor.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def rows_by_key(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in rows}


def _totals_rates_and_decision_times(report: dict[str, Any], history: History) -> None:
    total = report["sections"]["requests"]
    assert {k: total[k] for k in ("requests", "approved", "denied", "pending", "overdue")} == {
        "requests": 15,
        "approved": 10,
        "denied": 3,
        "pending": 2,
        "overdue": 2,
    }
    assert total["grant_rate"] == round(10 / 13, 4)
    # committee decisions took 1..13 days: nearest-rank median is the 7th, p90 the 12th
    assert total["decided_by_committee"] == 13
    assert (total["median_days"], total["p90_days"]) == (7.0, 12.0)


def _breakdowns_by_country_region_income_and_organisation(
    report: dict[str, Any], history: History
) -> None:
    breakdowns = report["sections"]["breakdowns"]
    country = rows_by_key(breakdowns["country"])
    assert (country["BR"]["requests"], country["BR"]["approved"], country["BR"]["denied"]) == (
        12,
        9,
        3,
    )
    assert (country["BR"]["median_days"], country["BR"]["p90_days"]) == (6.0, 11.0)
    assert country["BR"]["label"] == "Brazil"
    assert (country["KE"]["requests"], country["KE"]["pending"], country["KE"]["overdue"]) == (
        3,
        2,
        2,
    )
    assert rows_by_key(breakdowns["region"])["Americas"]["requests"] == 12
    assert rows_by_key(breakdowns["region"])["Africa"]["requests"] == 3
    income = rows_by_key(breakdowns["income_group"])
    assert income["upper-middle"]["requests"] == 12
    assert income["lower-middle"]["requests"] == 3
    organisation = rows_by_key(breakdowns["organisation"])
    assert organisation[history.small_org]["label"] == "Kisumu Community Health Trust"
    assert organisation[history.world.research_org]["requests"] == 12
    assert [r["requests"] for r in breakdowns["tier"]] == [15]
    assert [r["requests"] for r in breakdowns["dataset"]] == [15]


def _denial_reasons_small_actors_and_reciprocity(report: dict[str, Any], history: History) -> None:
    sections = report["sections"]
    assert sections["denial_reasons"] == [
        {"reason": "committee-decision", "decided_by": "committee", "count": 3}
    ]
    actors = sections["small_actors"]
    assert (actors["actors"], actors["small_actors"]) == (2, 1)
    assert (actors["small_actor_requests"], actors["requests"]) == (3, 15)
    assert (actors["small_actor_grants"], actors["grants"]) == (1, 10)
    countries = rows_by_key(sections["reciprocity"]["countries"])
    assert (countries["KE"]["contributed"], countries["KE"]["used"]) == (1, 1)
    assert (countries["BR"]["contributed"], countries["BR"]["used"]) == (0, 9)
    assert countries["KE"]["index"] == round((1 - 0.1) / (1 + 0.1), 4)
    assert countries["BR"]["index"] == -1.0
    assert sections["grants"]["total"] == {"count": 10}


def _figures_reconcile_with_the_log(report: dict[str, Any], history: History) -> None:
    sections = report["sections"]
    entries = sections["ledger"]["entries"]
    assert entries["access.request.submitted"] == sections["requests"]["requests"] == 15
    assert entries["access.grant.created"] == sections["grants"]["total"]["count"] == 10
    assert sections["ledger"]["tree_size"] > sections["ledger"]["last_seq"]


def test_seeded_history(history: History) -> None:
    report = full(history)
    for check in (
        _totals_rates_and_decision_times,
        _breakdowns_by_country_region_income_and_organisation,
        _denial_reasons_small_actors_and_reciprocity,
        _figures_reconcile_with_the_log,
    ):
        check(report, history)
    check_public_figures_and_the_signed_report(history)
    check_reports_page_and_committee_alerts(history)  # sets the alert thresholds low
    _equity_alerts_follow_the_thresholds(report, history)


def _equity_alerts_follow_the_thresholds(report: dict[str, Any], history: History) -> None:
    assert report["sections"]["alerts"] == [], "none with the default thresholds"
    thresholds = history.world.client.get(
        "/api/v1/reports/alert-thresholds", headers=history.auditor.headers
    ).json()
    assert thresholds == {"ratio": 1.0, "min_requests": 3, "small_actor_requests": 5}
    alerts = full(history, "equity")["sections"]["alerts"]
    assert {(a["grouping"], a["key"]) for a in alerts} == {
        ("region", "Americas"),
        ("income_group", "upper-middle"),
        ("country", "BR"),
    }
    assert all(a["grant_rate"] == 0.75 for a in alerts)
