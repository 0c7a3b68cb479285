"""Called from test_figures.py on its seeded history. The public reports page (charts as inline
SVG with a title and a description, tables of the same figures, a form that works without
script) and the equity alerts on the committee's queue."""

from __future__ import annotations

import re

from tests.reports.conftest import PERIOD, History


def check_reports_page_and_committee_alerts(history: History) -> None:
    world = history.world
    client = world.client
    page = client.get("/reports", params={"kind": "transparency", **PERIOD})
    assert page.status_code == 200, page.text
    html = page.text
    assert html.count("<svg") == 5
    for chart_id in ("grant-rate-region", "grant-rate-income", "reciprocity-country"):
        assert f'aria-labelledby="{chart_id}-title {chart_id}-desc"' in html
        assert f'<title id="{chart_id}-title">' in html
    assert 'id="requests-country"' in html and "<caption>" in html
    assert "&lt;10" in html, "suppressed figures show as <10"
    assert re.search(r'href="/api/v1/reports/transparency\?format=pdf&amp;from=2026-01-01', html)
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]

    bad = client.get("/reports", params={"from": "2026-02-30"})
    assert bad.status_code == 422
    assert 'aria-describedby="from-error"' in bad.text

    queue = client.get("/access/reviews", headers=world.member.headers)
    assert queue.status_code == 200
    assert "Equity alerts" in queue.text
    assert "grant rate is below the alert threshold." in queue.text
    assert (
        client.put(
            "/api/v1/reports/alert-thresholds",
            headers=world.admin.headers,
            json={"ratio": 1.0, "min_requests": 3, "small_actor_requests": 5},
        ).status_code
        == 200
    )
    world.clock.set(world.clock.now().replace(month=2, day=20))
    queue = client.get("/access/reviews", headers=world.member.headers)
    assert "<strong>Brazil</strong> (country)" in queue.text
    assert "<strong>Americas</strong> (region)" in queue.text
