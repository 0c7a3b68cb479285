"""Titles and descriptions in several languages (DataCite ``xml:lang``): shown in the reader's
language with a fallback, and found by a search in any of them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.catalog.conftest import (  # noqa: F401
    Catalog,
    catalog,
    metadata_document,
    organisation,
    steward,
)

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


KEYWORDS = ["malaria", {"keyword": "paludisme", "lang": "fr"}, {"keyword": "ملاريا", "lang": "ar"}]


def test_keywords_carry_their_language_on_the_page_and_in_exports(
    client: TestClient,
    catalog: Catalog,  # noqa: F811
) -> None:
    version = catalog.published(keywords=KEYWORDS)
    assert version["metadata"]["keywords"] == KEYWORDS  # untagged keywords stay plain strings
    base = f"/api/v1/datasets/{version['dataset_id']}/versions/1"

    page = client.get(f"/datasets/{version['dataset_id']}/versions/1", headers=HTML).text
    assert '<span dir="auto">malaria</span>' in page
    assert '<span lang="fr" dir="ltr">paludisme</span>' in page
    assert '<span lang="ar" dir="rtl">ملاريا</span>' in page
    french = client.get(
        f"/datasets/{version['dataset_id']}/versions/1", headers={**HTML, "Accept-Language": "fr"}
    ).text
    assert "<span>paludisme</span>" in french  # the page's own language needs no tag

    subjects = client.get(f"{base}/exports/datacite.json").json()["subjects"]
    assert {"subject": "paludisme", "lang": "fr"} in subjects
    assert {"subject": "malaria"} in subjects
    assert 'xml:lang="ar">ملاريا</subject>' in client.get(f"{base}/exports/datacite.xml").text
    assert '"paludisme"@fr' in client.get(f"{base}/exports/dcat.ttl").text

    found = client.get("/api/v1/datasets", params={"q": "paludisme"}).json()["items"]
    assert [item["dataset_id"] for item in found] == [version["dataset_id"]]


def test_a_bad_keyword_is_refused_with_its_place(
    client: TestClient,
    catalog: Catalog,  # noqa: F811
) -> None:
    answer = client.post(
        "/api/v1/datasets",
        headers={**catalog.steward.headers, "Accept-Language": "fr"},
        json=metadata_document(
            catalog.organisation_id, keywords=["fine", {"keyword": "", "lang": "fr"}]
        ),
    )
    assert answer.status_code == 422
    problem = answer.json()
    locations = [e["location"] for e in problem["errors"]]
    assert locations == ["keywords.1"]
    assert problem["errors"][0]["message"] == "keyword : ceci doit avoir au moins 1 caractère"
