"""Called from test_figures.py on its seeded history. Public reports hide small counts (the
sandbox's threshold, 10 by default); a signed transparency report verifies against the node's
key and log, and a changed byte fails."""

from __future__ import annotations

import json
from typing import Any

from tests.reports.conftest import PERIOD, History


def rows_by_key(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in rows}


def check_public_figures_and_the_signed_report(history: History) -> None:
    client = history.world.client
    response = client.get("/api/v1/reports/transparency", params=PERIOD)
    assert response.status_code == 200, response.text
    report = response.json()
    _small_counts_are_hidden(report)
    _signed_report_verifies_and_a_changed_byte_fails(history)


def _small_counts_are_hidden(report: dict[str, Any]) -> None:
    assert report["public"] is True
    assert report["suppression"] == {"rule": "threshold", "min_count": 10, "applied": True}
    sections = report["sections"]
    total = sections["requests"]
    # 15 requests and 10 approvals are shown; 3 denials and 2 pending are not
    assert (total["requests"], total["approved"]) == (15, 10)
    assert (total["denied"], total["pending"]) == (None, None)
    assert total["grant_rate"] is None
    assert set(total["suppressed"]) >= {"denied", "pending", "grant_rate"}
    country = rows_by_key(sections["breakdowns"]["country"])
    # Kenya's 3 requests are hidden whole; Brazil's 12 would give them away from the total
    assert country["KE"]["requests"] is None and country["KE"]["approved"] is None
    assert country["BR"]["requests"] is None, "secondary suppression protects the lone cell"
    assert country["KE"]["label"] == "Kenya"
    assert sections["small_actors"]["small_actor_requests"] is None
    assert sections["small_actors"]["requests"] == 15
    assert sections["denial_reasons"][0]["count"] is None
    assert sections["grants"]["total"] == {"count": 10}
    reciprocity = rows_by_key(sections["reciprocity"]["countries"])
    assert reciprocity["KE"]["used"] is None and reciprocity["KE"]["index"] is None
    assert reciprocity["KE"]["contributed"] == 1


def _signed_report_verifies_and_a_changed_byte_fails(history: History) -> None:
    world = history.world
    client = world.client
    refused = client.post(
        "/api/v1/reports/transparency/signed", headers=history.auditor.headers, json=PERIOD
    )
    assert refused.status_code == 403
    published = client.post(
        "/api/v1/reports/transparency/signed", headers=world.admin.headers, json=PERIOD
    )
    assert published.status_code == 201, published.text
    envelope = published.json()
    inner = json.loads(envelope["report"])
    assert inner["kind"] == "transparency" and inner["public"] is True

    listed = client.get("/api/v1/reports/transparency/signed").json()
    assert [r["sha256"] for r in listed] == [envelope["sha256"]]
    entry = client.get(f"/api/v1/log/entries/{envelope['ledger_seq']}")
    if entry.status_code == 200:
        assert envelope["sha256"] in entry.text

    ok = client.post("/api/v1/reports/verifications", json=envelope)
    assert ok.status_code == 200, ok.text
    assert ok.json()["verified"] is True

    text = envelope["report"]
    position = text.index('"requests":15') + len('"requests":1')
    changed = {**envelope, "report": text[:position] + "6" + text[position + 1 :]}
    failed = client.post("/api/v1/reports/verifications", json=changed)
    assert failed.status_code == 422
    assert failed.json()["code"] == "reports.signature"

    elsewhere = {**envelope, "ledger_seq": 0}
    assert client.post("/api/v1/reports/verifications", json=elsewhere).json()["code"] == (
        "reports.not-in-log"
    )
    # a later report of the same period is a new document: the log has grown since
    again = client.post(
        "/api/v1/reports/transparency/signed", headers=world.admin.headers, json=PERIOD
    )
    assert again.status_code == 201
    assert again.json()["sha256"] != envelope["sha256"]
    assert (
        json.loads(again.json()["report"])["sections"]["ledger"]["tree_size"]
        > (inner["sections"]["ledger"]["tree_size"])
    )
