"""Catalogue pages over HTTP: search with facets, dataset pages with JSON-LD and downloads where
allowed, tombstones, and the steward's create → upload → publish → withdraw pages."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.catalog.conftest import Catalog, tus_upload
from tests.conftest import Account

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
HTML = {"accept": "text/html"}


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def signed_in(client: TestClient, account: Account) -> str:
    """Sign in through the form; returns the session's CSRF token."""
    token = csrf_from(client.get("/sign-in").text)
    response = client.post(
        "/sign-in",
        data={"email": account.email, "password": account.password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_from(client.get("/datasets", headers=HTML).text)


def jsonld(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match, "no JSON-LD"
    document: dict[str, Any] = json.loads(match.group(1))
    return document


def test_search_page_with_facets(catalog: Catalog, client: TestClient) -> None:
    open_version = catalog.published(titles=[{"title": "Open malaria counts"}])
    catalog.published(titles=[{"title": "Registered malaria panel"}], tier="registered")
    page = client.get("/datasets", params={"q": "malaria"}, headers=HTML)
    assert page.status_code == 200
    assert "2 datasets" in page.text
    link = re.search(
        r'<a href="([^"]+)"\s+aria-label="Filter by access tier open \(1\)"', page.text
    )
    assert link, page.text
    filtered = client.get(link.group(1).replace("&amp;", "&"), headers=HTML)
    assert "1 dataset<" in filtered.text
    assert "Open malaria counts" in filtered.text
    assert "Registered malaria panel" not in filtered.text
    assert f'href="/datasets/{open_version["dataset_id"]}"' in filtered.text
    assert 'aria-current="true"' in filtered.text


def test_dataset_page_shows_metadata_files_citation_and_json_ld(
    catalog: Catalog, client: TestClient
) -> None:
    version = catalog.published({"data/t.csv": b"a,b\n1,2\n"}, doi="10.1234/demo.1")
    page = client.get(f"/datasets/{version['dataset_id']}", headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert "Household malaria survey, Kisumu 2021" in text
    assert 'href="https://spdx.org/licenses/CC-BY-4.0.html">CC-BY-4.0' in text
    assert '<dd id="tier">open</dd>' in text
    assert "data/t.csv" in text and "8 B" in text
    assert f'href="{version["files"][0]["content_url"]}" download' in text
    assert 'aria-label="Download data/t.csv"' in text
    assert "Kamau, Wanjiru (2026). Household malaria survey, Kisumu 2021. Version 1." in text
    document = jsonld(text)
    assert document["@type"] == "Dataset"
    assert document["@id"] == "https://doi.org/10.1234/demo.1"
    assert document["license"] == ["https://spdx.org/licenses/CC-BY-4.0.html"]
    assert document["distribution"][0]["contentUrl"].startswith("http://testserver/api/v1/")
    assert document["creator"][0]["@id"] == "https://orcid.org/0000-0002-1825-0097"


def test_registered_data_page_asks_for_terms_then_offers_downloads(
    catalog: Catalog, client: TestClient, researcher: Account
) -> None:
    version = catalog.published(tier="registered", terms_of_use="Only for malaria research.")
    url = f"/datasets/{version['dataset_id']}/versions/1"
    anonymous = client.get(url, headers=HTML).text
    assert "Sign in</a> to download" in anonymous
    assert 'aria-label="Download ' not in anonymous
    csrf = signed_in(client, researcher)
    page = client.get(url, headers=HTML).text
    assert "Only for malaria research." in page
    accepted = client.post(
        f"/datasets/{version['dataset_id']}/terms",
        data={"csrf_token": csrf, "version": "1"},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    assert 'aria-label="Download ' in client.get(url, headers=HTML).text


def test_controlled_data_page_says_how_to_request_access(
    catalog: Catalog, client: TestClient
) -> None:
    version = catalog.published(tier="controlled")
    page = client.get(f"/datasets/{version['dataset_id']}", headers=HTML).text
    assert "request access" in page
    assert 'aria-label="Download ' not in page


def test_withdrawn_version_page_is_a_tombstone(catalog: Catalog, client: TestClient) -> None:
    version = catalog.published()
    client.post(
        f"/api/v1/datasets/{version['dataset_id']}/versions/1/withdrawal",
        headers=catalog.steward.headers,
        json={"reason": "Participants withdrew their consent."},
    ).raise_for_status()
    page = client.get(f"/datasets/{version['dataset_id']}/versions/1", headers=HTML)
    assert page.status_code == 410
    assert "was withdrawn on Jan 15, 2026" in page.text
    assert "Participants withdrew their consent." in page.text
    assert "/content" not in page.text


def test_steward_creates_uploads_publishes_and_withdraws_through_pages(
    catalog: Catalog, client: TestClient
) -> None:
    csrf = signed_in(client, catalog.steward)
    form = client.get("/datasets/new", headers=HTML)
    assert form.status_code == 200
    fields = {
        "csrf_token": csrf,
        "title": "",
        "description": "Weekly counts of clinic visits.",
        "creators": "Kamau, Wanjiru | 0000-0002-1825-0097",
        "organisation_id": catalog.organisation_id,
        "tier": "open",
        "licence": "CC-BY-5.0",
        "subjects": "Malaria; Primary care",
        "keywords": "clinics, visits",
        "language": "en, sw",
    }
    refused = client.post("/datasets/new", data=fields, headers=HTML)
    assert refused.status_code == 422
    assert 'id="e-title"' in refused.text and 'id="e-licence"' in refused.text
    assert 'value="Weekly counts of clinic visits."' not in refused.text
    assert "Weekly counts of clinic visits." in refused.text

    created = client.post(
        "/datasets/new",
        data={**fields, "title": "Clinic visits", "licence": "cc-by-4.0"},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    draft_url = created.headers["location"]
    dataset_id = draft_url.split("/")[2]
    draft = client.get(draft_url, headers=HTML).text
    assert "Draft version 1" in draft and 'id="upload-form"' in draft
    assert "/catalog/static/upload.js" in draft

    no_files = client.post(
        f"/datasets/{dataset_id}/versions/1/publication",
        data={"csrf_token": csrf},
        headers=HTML,
    )
    assert no_files.status_code == 422
    assert "upload at least one file" in no_files.text

    upload_id = tus_upload(client, {"X-CSRF-Token": csrf}, b"week,visits\n1,30\n", "v.csv")
    attached = client.post(
        f"/api/v1/datasets/{dataset_id}/versions/1/files",
        json={"path": "v.csv", "upload_id": upload_id},
        headers={"X-CSRF-Token": csrf},
    )
    assert attached.status_code == 201, attached.text
    published = client.post(
        f"/datasets/{dataset_id}/versions/1/publication",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert published.status_code == 303
    page = client.get(published.headers["location"], headers=HTML).text
    assert "How to cite" in page and "Withdraw version 1" in page

    withdrawn = client.post(
        f"/datasets/{dataset_id}/versions/1/withdrawal",
        data={"csrf_token": csrf, "reason": "Counts were double-entered."},
        follow_redirects=False,
    )
    assert withdrawn.status_code == 303
    assert client.get(withdrawn.headers["location"], headers=HTML).status_code == 410


def test_page_forms_need_the_csrf_token(catalog: Catalog, client: TestClient) -> None:
    signed_in(client, catalog.steward)
    response = client.post(
        "/datasets/new", data={"title": "x"}, headers={"accept": "application/json"}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "csrf-failed"


def test_upload_script_is_served_from_the_node(client: TestClient) -> None:
    response = client.get("/catalog/static/upload.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "Tus-Resumable" in response.text


def test_steward_edits_a_drafts_metadata_and_keeps_what_the_form_does_not_show(
    catalog: Catalog, client: TestClient
) -> None:
    created = catalog.create(
        creators=[
            {
                "name": "Kamau, Wanjiru",
                "affiliation": [{"name": "Nairobi Centre for Genomic Medicine"}],
            }
        ],
        subjects=[{"subject": "Malaria", "subject_scheme": "MeSH"}],
        funding_references=[{"funder_name": "Wellcome Trust"}],
    )
    dataset_id = created["dataset"]["id"]
    csrf = signed_in(client, catalog.steward)
    page = client.get(f"/datasets/{dataset_id}/versions/1", headers=HTML).text
    assert f'href="/datasets/{dataset_id}/versions/1/metadata"' in page
    form = client.get(f"/datasets/{dataset_id}/versions/1/metadata", headers=HTML)
    assert form.status_code == 200
    assert 'value="Kamau, Wanjiru"' not in form.text and "Kamau, Wanjiru" in form.text
    fields = {
        "csrf_token": csrf,
        "title": "Clinic visits, revised",
        "description": "Weekly counts of clinic visits, by district.",
        "creators": "Kamau, Wanjiru\nOkoye, Samuel | 0000-0002-1825-0097",
        "tier": "registered",
        "licence": "CC0-1.0",
        "subjects": "Malaria; Primary care",
        "keywords": "clinics",
        "language": "en",
        "terms_of_use": "Cite the dataset.",
    }
    refused = client.post(
        f"/datasets/{dataset_id}/versions/1/metadata",
        data={**fields, "licence": "not a licence"},
        headers=HTML,
    )
    assert refused.status_code == 422 and 'id="e-licence"' in refused.text
    saved = client.post(
        f"/datasets/{dataset_id}/versions/1/metadata", data=fields, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    version = client.get(
        f"/api/v1/datasets/{dataset_id}/versions/1", headers=catalog.steward.headers
    ).json()
    metadata = version["metadata"]
    assert metadata["titles"][0]["title"] == "Clinic visits, revised"
    assert (version["tier"], version["licence"]) == ("registered", "CC0-1.0")
    kamau, okoye = metadata["creators"]
    assert kamau["affiliation"][0]["name"] == "Nairobi Centre for Genomic Medicine"
    assert okoye["name_identifiers"][0]["name_identifier"] == "0000-0002-1825-0097"
    assert metadata["subjects"][0]["subject_scheme"] == "MeSH"
    assert [s["subject"] for s in metadata["subjects"]] == ["Malaria", "Primary care"]
    assert metadata["funding_references"][0]["funder_name"] == "Wellcome Trust"


def test_only_a_drafts_stewards_reach_its_edit_page(
    catalog: Catalog, client: TestClient, make_account: Any
) -> None:
    published = catalog.published()
    url = f"/datasets/{published['dataset_id']}/versions/1/metadata"
    signed_in(client, catalog.steward)
    assert client.get(url, headers=HTML).status_code == 409
    client.cookies.clear()
    assert client.get(url, headers=HTML, follow_redirects=False).status_code in {303, 401}
