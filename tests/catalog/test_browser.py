"""In a real browser against ``accord serve`` with the demo catalogue: search with a facet, open
a dataset, download an open file; a steward creates, uploads to and publishes a dataset."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from accord.demo import DEMO_PASSWORD
from tests.live import LiveNode, make_live_node

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNode]:
    """``accord init --demo`` then ``accord serve`` on a free loopback port."""
    live = make_live_node(tmp_path_factory.mktemp("catalog-browser") / "node")
    live.init("--demo")
    live.start()
    yield live
    live.stop()


def test_search_with_a_facet_open_a_dataset_and_download_a_file(
    page: Page, demo_node: LiveNode, tmp_path: Path
) -> None:
    page.goto(f"{demo_node.url}/")
    page.get_by_role("link", name="Catalogue").click()
    expect(page.get_by_role("heading", name="Catalogue")).to_be_visible()
    page.get_by_label("Search titles, descriptions, subjects, keywords and creators").fill(
        "malaria"
    )
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#results")).to_have_text("2 datasets")

    page.get_by_role("link", name="Filter by access tier open").click()
    expect(page.locator("#results")).to_have_text("1 dataset")
    result = page.locator("article.result h3 a")
    expect(result).to_have_count(1)
    expect(result).to_have_text("Household malaria survey with bed net use, Kisumu county 2021")
    result.click()

    expect(page.locator("#tier")).to_have_text("open")
    expect(page.locator("#licence")).to_contain_text("CC-BY-4.0")
    expect(page.locator("#citation")).to_contain_text("Kamau, Wanjiru (2022)")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download data/malaria-households.csv").click()
    download = info.value
    assert download.suggested_filename == "malaria-households.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    pid = page.locator("#pid").inner_text()
    dataset_id = pid.split("/")[1].split("@")[0]
    files = httpx.get(f"{demo_node.url}/api/v1/datasets/{dataset_id}/versions/1/files").json()
    expected = next(f for f in files if f["path"] == "data/malaria-households.csv")
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == expected["sha256"]
    assert saved.read_bytes().startswith(b"household,sub_county,members")


def test_steward_creates_uploads_edits_and_publishes_a_dataset(
    page: Page, demo_node: LiveNode, tmp_path: Path
) -> None:
    page.goto(f"{demo_node.url}/sign-in?next=/datasets/new")
    page.get_by_label("Email").fill("steward@demo.accord.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="New dataset")).to_be_visible()

    page.get_by_label("Title (required)").fill("Cholera cases in coastal clinics, 2024")
    page.get_by_label("Description (required)").fill("Weekly suspected cholera cases by clinic.")
    page.get_by_label("Creators (required)").fill("Haddad, Amira")
    page.get_by_label("Owning organisation (required)").select_option(
        label="Nairobi Centre for Genomic Medicine (KE)"
    )
    page.get_by_label("Licence (required)").fill("CC-BY-4.0")
    page.get_by_label("Subjects, separated by semicolons").fill("Cholera; Waterborne Diseases")
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_text("Draft version 1")).to_be_visible()

    table = tmp_path / "cholera.csv"
    table.write_bytes(
        b"clinic,week,cases\n"
        + b"".join(f"C{i},{i % 52 + 1},{i % 7}\n".encode() for i in range(2000))
    )
    page.get_by_label("Files to upload").set_input_files(str(table))
    page.get_by_label("Folder inside the dataset (optional, e.g. data/)").fill("data")
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_role("cell", name="data/cholera.csv", exact=True)).to_be_visible(
        timeout=20_000
    )

    page.get_by_role("link", name="Edit draft metadata").click()
    expect(page.get_by_role("heading", name="Edit draft metadata")).to_be_visible()
    expect(page.get_by_label("Creators (required)")).to_have_value("Haddad, Amira")
    page.get_by_label("Description (required)").fill(
        "Weekly suspected cholera cases by clinic, with confirmed cases marked."
    )
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("with confirmed cases marked")).to_be_visible()

    page.get_by_role("button", name="Publish version 1").click()
    expect(page.get_by_role("heading", name="How to cite")).to_be_visible()
    expect(page.locator("#citation")).to_contain_text("Haddad, Amira (2026). Cholera cases")
    pid = page.locator("#pid").inner_text()

    page.goto(f"{demo_node.url}/datasets?q=cholera")
    expect(page.locator("#results")).to_have_text("1 dataset")
    page.get_by_role("link", name="Cholera cases in coastal clinics, 2024").click()
    expect(page.locator("#pid")).to_have_text(pid)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download data/cholera.csv").click()
    saved = tmp_path / "back.csv"
    info.value.save_as(saved)
    assert saved.read_bytes() == table.read_bytes()
