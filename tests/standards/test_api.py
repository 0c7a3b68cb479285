"""The standards API over HTTP: exports and citations of published versions, who sees what,
the DCAT catalogue, content negotiation with Signposting on dataset URLs, and DataCite imports
(including the round trip export → import → export)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from lxml import etree
from rdflib import Graph

from accord.standards.exports import ExportName
from accord.standards.xsd import validate_datacite
from tests.catalog.conftest import assert_problem
from tests.conftest import Account, MakeAccount
from tests.standards.conftest import RICH, SQLITE_ONLY, PublishFn
from tests.standards.shacl import assert_conforms

DATACITE_XML = "application/vnd.datacite.datacite+xml"
NS = {"d": "http://datacite.org/schema/kernel-4"}


@SQLITE_ONLY
def test_every_export_of_a_published_version(client: TestClient, publish: PublishFn) -> None:
    published = publish(**RICH)
    listing = client.get(published.path("/exports")).json()
    assert [item["name"] for item in listing["items"]] == [n.value for n in ExportName]
    for item in listing["items"]:
        response = client.get(item["url"].removeprefix("http://testserver"))
        assert response.status_code == 200, item["name"]
        assert response.headers["content-type"].split(";")[0] == item["media_type"]
        assert response.headers["link"] == (
            f'<http://testserver/datasets/{published.dataset_id}/versions/1>; rel="describes"'
        )
    validate_datacite(client.get(published.path("/exports/datacite.xml")).content)
    turtle = client.get(published.path("/exports/dcat.ttl")).text
    assert_conforms(Graph().parse(data=turtle, format="turtle"))
    latest = client.get(f"/api/v1/datasets/{published.dataset_id}/exports/datacite.json")
    assert latest.json()["url"].endswith(f"/datasets/{published.dataset_id}/versions/1")

    cited = client.get(published.path("/citations")).json()
    assert [c["style"] for c in cited["items"]] == ["apa", "chicago", "vancouver"]
    assert [m["name"] for m in cited["machine_readable"]] == [
        "citation.bib",
        "citation.ris",
        "citation.csl.json",
    ]
    text = client.get(published.path("/citations/apa"), params={"format": "text"})
    assert text.headers["content-type"].startswith("text/plain")
    assert text.text.startswith("Kamau, W. (2026). Household malaria survey")


@SQLITE_ONLY
def test_drafts_are_not_exported_and_withdrawn_versions_are_gone(
    client: TestClient, catalog: Any, steward: Account
) -> None:
    draft = catalog.create()["version"]
    path = f"/api/v1/datasets/{draft['dataset_id']}/versions/1/exports/datacite.xml"
    assert_problem(client.get(path), 404, "catalog.version-not-found")
    assert_problem(
        client.get(path, headers=steward.headers), 409, "standards.version-not-published"
    )

    published = catalog.published()
    withdrawn = client.post(
        f"/api/v1/datasets/{published['dataset_id']}/versions/1/withdrawal",
        headers=steward.headers,
        json={"reason": "participants withdrew their consent"},
    )
    assert withdrawn.status_code == 200
    gone = client.get(f"/api/v1/datasets/{published['dataset_id']}/versions/1/exports/dcat.ttl")
    assert_problem(gone, 410, "standards.version-withdrawn")
    assert_problem(
        client.get("/api/v1/datasets/ds_nothing/exports/dcat.ttl"), 404, "catalog.dataset-not-found"
    )
    unknown = client.get(f"/api/v1/datasets/{published['dataset_id']}/versions/1/exports/marc.xml")
    assert unknown.status_code == 422


def test_the_dcat_catalogue_lists_current_versions_and_pages(
    client: TestClient, publish: PublishFn
) -> None:
    made = [publish(tier=tier) for tier in ("open", "controlled", "restricted")]
    whole = client.get("/catalog.ttl")
    graph = Graph().parse(data=whole.text, format="turtle")
    assert_conforms(graph)
    datasets = {
        str(o) for o in graph.objects(None, graph.namespace_manager.expand_curie("dcat:dataset"))
    }
    assert datasets == {f"http://testserver/datasets/{p.dataset_id}/versions/1" for p in made}
    first = client.get("/catalog.jsonld", params={"limit": 2})
    assert first.headers["content-type"].startswith("application/ld+json")
    next_url = first.headers["link"].split(">")[0].lstrip("<")
    second = client.get(next_url.removeprefix("http://testserver"))
    rest = Graph().parse(data=second.text, format="json-ld")
    assert len(list(rest.objects(None, rest.namespace_manager.expand_curie("dcat:dataset")))) == 1
    assert "link" not in second.headers
    assert client.get("/catalog.rdf").headers["content-type"].startswith("application/rdf+xml")
    assert_problem(client.get("/catalog.ttl", params={"cursor": "!!"}), 400, "standards.bad-cursor")


@SQLITE_ONLY
def test_dataset_urls_negotiate_and_signpost(client: TestClient, publish: PublishFn) -> None:
    published = publish(**RICH)
    url = f"/datasets/{published.dataset_id}"
    page = client.get(url, headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Accept" in [name.strip() for name in page.headers["vary"].split(",")]
    links = page.headers["link"]
    assert '<https://doi.org/10.5281/zenodo.1234567>; rel="cite-as"' in links
    assert f'/versions/1/exports/datacite.xml>; rel="describedby"; type="{DATACITE_XML}"' in links
    assert '; rel="item"; type="text/csv"' in links
    assert '<https://spdx.org/licenses/CC-BY-4.0.html>; rel="license"' in links
    assert '<https://orcid.org/0000-0002-1825-0097>; rel="author"' in links
    assert '<https://schema.org/Dataset>; rel="type"' in links

    expected = {
        "application/ld+json": ("application/ld+json", "schema.org"),
        "text/turtle": ("text/turtle", "dcat:Dataset"),
        "application/rdf+xml": ("application/rdf+xml", "http://www.w3.org/ns/dcat#Dataset"),
        DATACITE_XML: (DATACITE_XML, "<resource"),
        "application/vnd.datacite.datacite+json": (
            "application/vnd.datacite.datacite+json",
            '"doi"',
        ),
        "application/x-bibtex": ("application/x-bibtex", "@misc{"),
        "text/x-bibliography; style=chicago": ("text/plain", "Kamau, Wanjiru. 2026."),
    }
    for path in (url, f"{url}/versions/1"):
        for accept, (media_type, marker) in expected.items():
            response = client.get(path, headers={"Accept": accept})
            assert response.status_code == 200, (path, accept)
            assert response.headers["content-type"].split(";")[0] == media_type, accept
            assert marker in response.text, accept
            assert response.headers["vary"] == "Accept"
    dcat = client.get(
        url, headers={"Accept": 'application/ld+json; profile="http://www.w3.org/ns/dcat#"'}
    )
    assert "dcat:Dataset" in dcat.text
    missing = client.get(
        "/datasets/ds_00000000000000000000000000", headers={"Accept": "text/turtle"}
    )
    assert_problem(missing, 404, "catalog.dataset-not-found")


@SQLITE_ONLY
def test_a_tombstone_still_says_how_to_cite(
    client: TestClient, catalog: Any, steward: Account
) -> None:
    published = catalog.published()
    client.post(
        f"/api/v1/datasets/{published['dataset_id']}/versions/1/withdrawal",
        headers=steward.headers,
        json={"reason": "participants withdrew their consent"},
    )
    page = client.get(f"/datasets/{published['dataset_id']}/versions/1")
    assert page.status_code == 410
    assert 'rel="cite-as"' in page.headers["link"]
    assert 'rel="describedby"' not in page.headers["link"]


def test_export_import_export_gives_the_same_datacite_record(
    client: TestClient, publish: PublishFn, catalog: Any, steward: Account, organisation: str
) -> None:
    original = publish(**RICH)
    exported = client.get(original.path("/exports/datacite.xml")).content
    response = client.post(
        "/api/v1/dataset-imports/datacite",
        params={"organisation_id": organisation},
        headers={**steward.headers, "Content-Type": DATACITE_XML},
        content=exported,
    )
    assert response.status_code == 201, response.text
    draft = response.json()["version"]
    assert (draft["state"], draft["tier"]) == ("draft", "open")  # from the COAR access right
    catalog.attach(draft["dataset_id"], 1, "data/table.csv", b"id,value\n1,2\n")
    republished = catalog.publish(draft["dataset_id"])
    again = client.get(
        f"/api/v1/datasets/{draft['dataset_id']}/versions/1/exports/datacite.xml"
    ).content
    assert again.replace(republished["pid"].encode(), original.pid.encode()) == exported
    root = etree.fromstring(again)
    assert (
        root.findtext("d:alternateIdentifiers/d:alternateIdentifier", namespaces=NS)
        == republished["pid"]
    )


def test_imports_from_datacite_json_and_their_refusals(
    client: TestClient, steward: Account, organisation: str, make_account: MakeAccount,
    publish: PublishFn,
) -> None:  # fmt: skip
    source = client.get(publish(**RICH, tier="controlled").path("/exports/datacite.json")).json()
    url = "/api/v1/dataset-imports/datacite"
    json_type = {**steward.headers, "Content-Type": "application/vnd.datacite.datacite+json"}
    needs_tier = client.post(
        url, params={"organisation_id": organisation}, headers=json_type, json=source
    )
    assert_problem(needs_tier, 422, "standards.tier-needed")
    wrapped = {"data": {"type": "dois", "attributes": source}}
    made = client.post(
        url,
        params={"organisation_id": organisation, "tier": "controlled"},
        headers=json_type,
        json=wrapped,
    )
    assert made.status_code == 201, made.text
    assert made.json()["version"]["metadata"]["subjects"][0]["subject"] == "Malaria"

    xml_type = {**steward.headers, "Content-Type": DATACITE_XML}
    params = {"organisation_id": organisation, "tier": "open"}
    invalid = client.post(
        url,
        params=params,
        headers=xml_type,
        content=b"<resource xmlns='http://datacite.org/schema/kernel-4'/>",
    )
    body = assert_problem(invalid, 422, "standards.invalid-datacite")
    assert body["errors"][0]["location"] == "line 1"
    unsupported = client.post(
        url, params=params, headers={**steward.headers, "Content-Type": "text/csv"}, content=b"a"
    )
    assert_problem(unsupported, 415, "standards.unsupported-import")
    incomplete = {k: v for k, v in source.items() if k != "titles"}
    missing = client.post(url, params=params, headers=json_type, json=incomplete)
    assert_problem(missing, 422, "catalog.invalid-metadata")
    researcher = make_account()
    denied = client.post(
        url,
        params=params,
        headers={**researcher.headers, "Content-Type": DATACITE_XML},
        content=b"<x/>",
    )
    assert_problem(denied, 403, "forbidden")
