"""Titles and descriptions in several languages (DataCite ``xml:lang``): shown in the reader's
language with a fallback, and found by a search in any of them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.catalog.conftest import Catalog, catalog, organisation, steward  # noqa: F401

HTML = {"Accept": "text/html"}
TITLES = [
    {"title": "Household malaria survey, Kisumu 2021", "lang": "en"},
    {"title": "Enquête paludisme, ménages", "title_type": "TranslatedTitle", "lang": "fr"},
    {"title": "مسح الملاريا المنزلي", "title_type": "TranslatedTitle", "lang": "ar"},
]
DESCRIPTIONS = [
    {"description": "Survey of 1,200 households on bed net use.", "lang": "en"},
    {"description": "Enquête auprès de 1 200 ménages sur les moustiquaires.", "lang": "fr"},
]


def test_the_reader_sees_their_language_and_others_fall_back(
    client: TestClient,
    catalog: Catalog,  # noqa: F811
) -> None:
    version = catalog.published(titles=TITLES, descriptions=DESCRIPTIONS)
    url = f"/datasets/{version['dataset_id']}/versions/1"

    french = client.get(url, headers={**HTML, "Accept-Language": "fr"}).text
    assert "<h1>Enquête paludisme, ménages</h1>" in french
    assert "<p>Enquête auprès de 1 200 ménages" in french
    assert ">Survey of 1,200 households" not in french

    arabic = client.get(url, headers={**HTML, "Accept-Language": "ar"}).text
    assert "<h1>مسح الملاريا المنزلي</h1>" in arabic
    # no Arabic abstract: the English one, marked as English
    assert '<p lang="en" dir="ltr">Survey of 1,200 households' in arabic

    spanish = client.get(url, headers={**HTML, "Accept-Language": "es"}).text
    assert '<h1 lang="en" dir="ltr">Household malaria survey, Kisumu 2021</h1>' in spanish


def test_a_search_in_any_language_finds_the_dataset(
    client: TestClient,
    catalog: Catalog,  # noqa: F811
) -> None:
    version = catalog.published(titles=TITLES, descriptions=DESCRIPTIONS)
    for query in ("malaria", "paludisme", "moustiquaires", "الملاريا"):
        found = client.get("/api/v1/datasets", params={"q": query}).json()["items"]
        assert [item["dataset_id"] for item in found] == [version["dataset_id"]], query
