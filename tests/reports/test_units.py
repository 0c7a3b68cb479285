"""The pure parts: the country table, suppression (threshold and secondary), signing, charts
and exports, table-driven where the rule is a table."""

from __future__ import annotations

import json
from html import escape
from typing import Any

import pycountry
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accord.errors import VerificationFailed
from accord.i18n.translate import use_locale
from accord.reports.alerts import Thresholds, equity_alerts
from accord.reports.charts import Bar, Chart, report_charts, svg
from accord.reports.exports import render, to_csv
from accord.reports.regions import UNKNOWN, classification
from accord.reports.signing import sign_report, verify_envelope
from accord.reports.suppression import suppress_table


def test_every_iso_country_is_classified() -> None:
    table = classification()
    assert {c.alpha_2 for c in pycountry.countries} == set(table.countries)
    assert table.income_classification == "FY2025"
    assert table.group_of("BR", "region") == "Americas"
    assert table.group_of("BR", "income_group") == "upper-middle"
    assert table.group_of("KE", "income_group") == "lower-middle"
    assert table.group_of("DE", "income_group") == "high"
    assert table.group_of("AQ", "region") == UNKNOWN
    assert table.group_of("XX", "income_group") == UNKNOWN


@pytest.mark.parametrize(
    ("rows", "hidden"),
    [
        # a small group is hidden whole; its lone requests cell forces the next smallest
        ([(12, 9, 3), (3, 1, 2)], {(0, "requests"), (1, "requests"), (1, "a"), (1, "b"),
                                   (0, "b"), (0, "a")}),
        # nothing small, nothing hidden
        ([(30, 15, 15), (20, 10, 10)], set()),
        # zero is not small
        ([(20, 20, 0), (25, 25, 0)], set()),
        # one small cell in a row: its partner in the row (a + b = requests) goes too
        ([(40, 35, 5), (40, 20, 20)], {(0, "b"), (0, "a"), (1, "b"), (1, "a")}),
    ],
)  # fmt: skip
def test_suppression(rows: list[tuple[int, int, int]], hidden: set[tuple[int, str]]) -> None:
    table = [{"requests": r, "a": a, "b": b} for r, a, b in rows]
    count = suppress_table(table, ["requests", "a", "b"], 10, size="requests", partition=("a", "b"))
    found = {(i, name) for i, row in enumerate(table) for name in row.get("suppressed", [])}
    assert found == hidden
    assert count == len(hidden)
    assert all(table[i][name] is None for i, name in hidden)


def test_signature_verifies_and_any_changed_byte_fails() -> None:
    key = Ed25519PrivateKey.generate()
    signed = sign_report(key, {"format": "accord-report/1", "figures": {"requests": 15}})
    envelope = signed.envelope(key.public_key(), 7)
    assert verify_envelope(envelope, key.public_key()).document["figures"]["requests"] == 15
    report = envelope["report"]
    for position in range(len(report)):
        changed = report[:position] + chr(ord(report[position]) ^ 1) + report[position + 1 :]
        with pytest.raises(VerificationFailed):
            verify_envelope({**envelope, "report": changed}, key.public_key())
    with pytest.raises(VerificationFailed) as error:
        verify_envelope(envelope, Ed25519PrivateKey.generate().public_key())
    assert error.value.code == "reports.signature"
    with pytest.raises(VerificationFailed):
        verify_envelope({**envelope, "sha256": "0" * 64}, key.public_key())
    with pytest.raises(VerificationFailed):
        verify_envelope({"format": "something else"}, key.public_key())


def test_chart_is_accessible_and_escaped() -> None:
    chart = Chart(
        "c1",
        "Rate <by> region",
        "values",
        (Bar("A & B", 0.5, "50%"), Bar("C", None, "suppressed")),
        1.0,
    )
    drawn = svg(chart)
    assert 'role="img"' in drawn and 'aria-labelledby="c1-title c1-desc"' in drawn
    assert '<title id="c1-title">Rate &lt;by&gt; region</title>' in drawn
    assert "A &amp; B" in drawn
    assert drawn.count("<rect") == 1


def test_alerts_fire_below_the_ratio_with_enough_decisions() -> None:
    total = {"approved": 80, "denied": 20}
    rows = [
        {"key": "Africa", "approved": 10, "denied": 15},
        {"key": "Europe", "approved": 70, "denied": 5},
        {"key": "Asia", "approved": 0, "denied": 4},
    ]
    alerts = equity_alerts(total, {"region": rows}, Thresholds(ratio=0.8, min_requests=20))
    assert [a["key"] for a in alerts] == ["Africa"]
    assert alerts[0]["grant_rate"] == 0.4


def document() -> dict[str, Any]:
    row = {
        "key": "BR",
        "label": "Brazil",
        "requests": 12,
        "approved": None,
        "denied": None,
        "withdrawn": 0,
        "pending": 0,
        "overdue": 0,
        "grant_rate": None,
        "median_days": None,
        "p90_days": None,
        "suppressed": ["approved", "denied", "grant_rate"],
    }
    return {
        "format": "accord-report/1",
        "kind": "equity",
        "node": {"node_id": "n", "name": "Node", "jurisdiction": "KE", "base_url": "http://x"},
        "period": {"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z", "as_of": "x"},
        "generated_at": "2026-02-01T00:00:00Z",
        "public": True,
        "suppression": {"rule": "threshold", "min_count": 10, "applied": True},
        "classification": {"regions": "UN M49", "income_groups": "World Bank FY2025"},
        "thresholds": {},
        "sections": {
            "requests": {**row, "key": "all", "label": "all"},
            "breakdowns": {"country": [row]},
            "alerts": [],
        },
    }


def test_exports_carry_the_same_figures() -> None:
    csv_text = to_csv(document())
    assert "breakdowns,country,BR,Brazil,requests,12" in csv_text
    assert "breakdowns,country,BR,Brazil,approved,suppressed" in csv_text
    assert (
        json.loads(render(document(), "json"))["sections"]["breakdowns"]["country"][0]["requests"]
        == 12
    )
    assert render(document(), "pdf").startswith(b"%PDF-")
    html = render(document(), "html").decode()
    assert html.startswith("<!DOCTYPE html>") and "Brazil" in html and "<script" not in html


def regional_document() -> dict[str, Any]:
    row = {
        "requests": 12,
        "approved": 9,
        "denied": 3,
        "grant_rate": 0.75,
        "median_days": 3.5,
        "suppressed": [],
    }
    doc = document()
    doc["sections"]["breakdowns"] = {
        "region": [{**row, "key": "Africa", "label": "Africa"}],
        "income_group": [{**row, "key": "lower-middle", "label": "lower-middle"}],
    }
    return doc


@pytest.mark.parametrize(
    ("code", "title", "region", "income"),
    [
        ("en", "Grant rate by world region", "Africa", "lower-middle income"),
        ("fr", "Taux d'accord par région du monde", "Afrique", "revenu intermédiaire inférieur"),
        ("es", "Tasa de concesión por región del mundo", "África", "ingreso mediano bajo"),
        ("pt", "Taxa de concessão por região do mundo", "África", "renda média baixa"),
        ("ar", "معدل الموافقة حسب منطقة العالم", "أفريقيا", "دخل متوسط أدنى"),
    ],
)
def test_charts_speak_the_readers_language(code: str, title: str, region: str, income: str) -> None:
    with use_locale(code):
        charts = report_charts(regional_document())
        html = render(regional_document(), "html").decode()
        pdf = render(regional_document(), "pdf")
    assert charts[0].title == title
    assert charts[0].bars[0].label == region and region in charts[0].description
    assert charts[1].bars[0].label == income
    assert f'<title id="grant-rate-region-title">{escape(title)}</title>' in html
    direction = "rtl" if code == "ar" else "ltr"
    assert f'<html lang="{code}" dir="{direction}">' in html
    assert pdf.startswith(b"%PDF-")  # Arabic falls back to English: the core fonts lack it
    if code == "fr":
        assert '<th scope="row">Afrique</th>' in html, "tables name the groups as the charts do"
