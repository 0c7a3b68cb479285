"""In a browser: the dataset page carries the schema.org JSON-LD a search engine reads, and the
"cite and export" page shows the citations and hands over a BibTeX file."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from tests.standards.conftest import RICH, SQLITE_ONLY, PublishFn, Served

pytestmark = pytest.mark.browser


@SQLITE_ONLY
def test_a_reader_finds_the_json_ld_cites_and_downloads_bibtex(
    page: Page, served: Served, publish: PublishFn
) -> None:
    published = publish(**RICH)
    page.goto(f"{served.url}/datasets/{published.dataset_id}")
    expect(
        page.get_by_role("heading", name="Household malaria survey, Kisumu 2021")
    ).to_be_visible()
    document = json.loads(page.locator('script[type="application/ld+json"]').text_content() or "")
    assert document["@type"] == "Dataset"
    assert document["name"] == "Household malaria survey, Kisumu 2021"
    assert document["identifier"][0] == "https://doi.org/10.5281/zenodo.1234567"

    page.goto(f"{served.url}/datasets/{published.dataset_id}/versions/1/citation")
    expect(page.get_by_role("heading", name="Cite and export")).to_be_visible()
    expect(page.locator("#cite-apa blockquote")).to_contain_text(
        "Kamau, W. (2026). Household malaria survey, Kisumu 2021 (Version 1) [Dataset]."
    )
    expect(page.locator("#cite-chicago blockquote")).to_contain_text("Kamau, Wanjiru. 2026.")
    expect(page.get_by_role("row", name="DataCite XML")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="BibTeX").click()
    path = download.value.path()
    assert path is not None
    with open(path, encoding="utf-8") as handle:
        assert handle.read().startswith("@misc{kamau2026householdv1,")
