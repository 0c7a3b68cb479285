"""Sandbox pages: the query page shows schemas (never values), a job's page follows it to its
released result with suppression notes, and the output checker decides from the review page."""

from __future__ import annotations

import re

from tests.sandbox.conftest import World

HTML = {"Accept": "text/html"}


def test_query_page_submit_follow_and_read_the_result(world: World) -> None:
    headers = {**world.researcher.headers, **HTML}
    opened = world.client.get(
        "/sandbox/versions",
        params={"version_id": world.version_id},
        headers=headers,
        follow_redirects=False,
    )
    assert opened.status_code == 303
    page = world.client.get(opened.headers["location"], headers=headers)
    assert page.status_code == 200, page.text
    assert "<code>income</code>" in page.text and "DOUBLE" in page.text
    assert "north" not in page.text, "no value of the data on the query page"
    assert "DP measurements are not available" in page.text

    bad = world.client.post(
        f"/sandbox/versions/{world.version_id}/jobs",
        headers=headers,
        data={"sql": "SELECT * FROM people"},
    )
    assert bad.status_code == 422
    assert "row-level output is not allowed" in bad.text

    sent = world.client.post(
        f"/sandbox/versions/{world.version_id}/jobs",
        headers=headers,
        data={"sql": "SELECT region, count(*) AS n FROM people GROUP BY 1 ORDER BY 1"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    job_url = sent.headers["location"]
    queued = world.client.get(job_url, headers=headers)
    assert 'id="state">queued' in queued.text
    assert 'hx-trigger="every 1s"' in queued.text
    world.worker.run_until_idle()
    status = world.client.get(f"{job_url}/status", headers=headers)
    assert 'id="state">released' in status.text and "hx-get" not in status.text
    done = world.client.get(job_url, headers=headers)
    assert "Released output" in done.text
    assert "Suppression notes" in done.text and "threshold" in done.text
    assert re.search(r'<td class="suppressed">suppressed', done.text)
    assert "result.csv" in done.text and "manifest.json" in done.text
    listing = world.client.get("/sandbox", headers=headers)
    assert job_url.rsplit("/", 1)[-1] in listing.text


def test_the_output_checker_reviews_from_the_page(world: World) -> None:
    job = world.sql("SELECT sex, max(income) FROM people GROUP BY 1 ORDER BY 1")
    headers = {**world.checker.headers, **HTML}
    queue = world.client.get("/sandbox/review", headers=headers)
    assert job["id"] in queue.text
    page = world.client.get(f"/sandbox/review/{job['id']}", headers=headers)
    assert "SELECT sex, max(income)" in page.text
    assert "max() reveals values of single rows" in page.text
    assert "The result before suppression" in page.text
    short = world.client.post(
        f"/sandbox/review/{job['id']}",
        headers=headers,
        data={"decision": "release", "reason": "ok"},
    )
    assert short.status_code == 422 and "at least 10 characters" in short.text
    decided = world.client.post(
        f"/sandbox/review/{job['id']}",
        headers=headers,
        data={"decision": "release", "reason": "Two large groups; maxima are not rare values."},
        follow_redirects=False,
    )
    assert decided.status_code == 303
    assert world.job(job["id"])["state"] == "released"
    researcher_view = world.client.get(
        f"/sandbox/review/{job['id']}", headers={**world.researcher.headers, **HTML}
    )
    assert researcher_view.status_code == 403
