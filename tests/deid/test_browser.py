"""A steward derives a k-anonymous version in the browser: scan, edit the spec, plan, derive,
read the report, follow the link to the derived version, destroy the key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect, sync_playwright

from tests.browser.conftest import ARGS, ARTIFACTS, CHROMIUM
from tests.catalog.test_cli import json_document, metadata_file
from tests.deid.conftest import as_csv, patients, spec
from tests.live import LiveNode

pytestmark = pytest.mark.browser


@pytest.fixture
def page(request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page in a browser of its own, closed after the test: Playwright's sync API keeps an
    event loop running while it is open, which later in-process CLI tests cannot share."""
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


def published_source(live: LiveNode, folder: Path) -> str:
    org = json_document(
        live.cli("--json", "org", "add", "--name", "Kisumu", "--country", "KE").stdout
    )
    created = live.cli("--json", "dataset", "create", str(metadata_file(folder, org["id"])))
    dataset_id: str = json_document(created.stdout)["dataset"]["id"]
    table = folder / "patients.csv"
    table.write_bytes(as_csv(patients()))
    live.cli("dataset", "upload", dataset_id, str(table), "--prefix", "data")
    live.cli("dataset", "publish", dataset_id)
    return dataset_id


def test_steward_derives_in_the_browser(page: Page, live_node: LiveNode, tmp_path: Path) -> None:
    dataset_id = published_source(live_node, tmp_path)
    page.goto(f"{live_node.url}/sign-in?next=/derivations")
    page.get_by_label("Email").fill(live_node.admin_email)
    page.get_by_label("Password").fill(live_node.admin_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="De-identified derivations")).to_be_visible()

    page.get_by_role("link", name="New derivation").click()
    page.get_by_label("Source version").fill(f"{dataset_id}@v1")
    page.get_by_role("button", name="Scan").click()
    expect(page.locator("#findings")).to_contain_text("national-id")
    expect(page.get_by_label("Transformation spec (YAML)")).to_contain_text("pseudonymise")

    page.get_by_label("Transformation spec (YAML)").fill(yaml.safe_dump(spec(k=8)))
    page.get_by_role("button", name="Plan").click()
    expect(page.locator("#plan")).to_contain_text("nothing was stored")
    expect(page.locator("#k-achieved")).to_contain_text("requested 8")

    page.get_by_label("Publish the derived version at once").check()
    page.get_by_role("button", name="Derive").click()
    expect(page.get_by_role("heading", name="De-identified derivation")).to_be_visible()
    expect(page.locator("#tier")).to_have_text("registered")
    expect(page.locator("#class-sizes")).to_be_visible()

    page.locator("#derived-link").click()
    expect(page.get_by_role("heading", name="Methods")).to_be_visible()
    expect(page.get_by_text("IsDerivedFrom")).to_be_visible()
    page.go_back()

    page.get_by_label("Why").fill("release is final, no re-linking")
    page.get_by_role("button", name="Destroy the key").click()
    expect(page.locator("#key-state")).to_contain_text("destroyed")
