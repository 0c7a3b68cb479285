"""In a real browser against ``accord serve`` (which starts a sandbox worker) with the demo
content: the demo researcher opens the query page of the restricted demo dataset, sees its
columns and types, runs a query, follows it to the released result and its suppression notes;
the output checker releases a flagged output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from accord.demo import DEMO_PASSWORD
from tests.browser.conftest import ARGS, ARTIFACTS, CHROMIUM
from tests.live import LiveNode, make_live_node

pytestmark = pytest.mark.browser


@pytest.fixture
def page(request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page in a browser of its own, closed after the test (Playwright's sync API keeps an
    event loop running while open, which later in-process CLI tests cannot share)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/test.sh installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context()
        opened = context.new_page()
        yield opened
        ARTIFACTS.mkdir(exist_ok=True)
        opened.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
        context.close()
        browser.close()


@pytest.fixture(scope="module")
def demo_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNode]:
    live = make_live_node(tmp_path_factory.mktemp("sandbox-browser") / "node")
    live.init("--demo")
    live.start()
    yield live
    live.stop()


def sign_in(page: Page, node: LiveNode, who: str, target: str) -> None:
    page.goto(f"{node.url}/sign-in?next={target}")
    page.get_by_label("Email").fill(f"{who}@demo.accord.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def demo_version(node: LiveNode) -> str:
    """The version the demo researcher's queued demo job is about."""
    created = node.cli(
        "--json", "token", "create", "--name", "browser-test",
        "--user", "researcher@demo.accord.example",
    )  # fmt: skip
    secret = json.loads(created.stdout)["token"]
    jobs = httpx.get(
        f"{node.url}/api/v1/jobs", headers={"Authorization": f"Bearer {secret}"}
    ).json()
    return str(jobs["items"][0]["version_id"])


def test_a_researcher_queries_and_reads_the_checked_result(page: Page, demo_node: LiveNode) -> None:
    version_id = demo_version(demo_node)
    sign_in(page, demo_node, "researcher", f"/sandbox/versions/{version_id}")
    expect(page.get_by_role("heading", name="Tables")).to_be_visible()
    expect(page.get_by_role("table", name="Columns of zika", exact=True)).to_contain_text(
        "head_circumference_z"
    )
    page.get_by_label("Query").fill(
        "SELECT birth_month, calcifications, count(*) AS n\nFROM zika\nGROUP BY 1, 2\nORDER BY 1, 2"
    )
    page.get_by_role("button", name="Run in the sandbox").click()
    expect(page.locator("#state")).to_have_text("released", timeout=60_000)
    page.reload()
    expect(page.get_by_role("heading", name="Released output")).to_be_visible()
    expect(page.get_by_role("heading", name="Suppression notes")).to_be_visible()
    expect(page.locator("td.suppressed").first).to_be_visible()
    expect(page.get_by_role("link", name="result.csv")).to_be_visible()

    page.goto(f"{demo_node.url}/sandbox/versions/{version_id}")
    page.get_by_label("Query").fill(
        "SELECT calcifications, max(head_circumference_z) FROM zika GROUP BY 1"
    )
    page.get_by_role("button", name="Run in the sandbox").click()
    expect(page.locator("#state")).to_have_text("awaiting output check", timeout=60_000)
    job_url = page.url

    page.context.clear_cookies()
    sign_in(page, demo_node, "checker", "/sandbox/review")
    expect(page.get_by_role("heading", name="Outputs to review")).to_be_visible()
    page.get_by_role("link", name=job_url.rsplit("/", 1)[-1]).click()
    expect(page.locator("#flags")).to_contain_text("max() reveals values of single rows")
    page.get_by_label("Release").check()
    page.get_by_label("Reasons (kept in the job's record)").fill(
        "Two groups of about seventy births each; the maxima are not rare values."
    )
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("heading", name="Outputs to review")).to_be_visible()
    expect(page.get_by_text("Nothing waits for review.")).to_be_visible()
