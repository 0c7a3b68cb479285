"""Agreement pages: the list, a version in plain language beside its machine form, and the
machine form's downloads (YAML, JSON, ODRL JSON-LD, the JSON Schema), read back exactly."""

from __future__ import annotations

import json
from typing import Any

import yaml
from fastapi.testclient import TestClient

from accord.agreements import service
from accord.agreements.document import json_schema
from accord.agreements.odrl import agreement_from_odrl
from accord.agreements.validation import parse_agreement
from accord.identity.principal import local_operator
from accord.node import NodeContext
from tests.agreements.builders import document_data

HTML = {"accept": "text/html"}
DOCUMENT: dict[str, Any] = document_data(
    title="Registered survey data",
    summary="A survey of households, for health research.",
    duo={"permission": "HMB", "modifiers": ["NCU"]},
    disclosure={"min_cell_count": 15},
)


def author(node: NodeContext, document: dict[str, Any], *, publish: bool = True) -> str:
    with node.session() as s:
        version = service.create_agreement(s, local_operator(), document)
        if publish:
            service.publish(s, local_operator(), version.agreement_id, 1)
        s.commit()
        return version.agreement_id


def test_the_list_shows_published_agreements_only(client: TestClient, node: NodeContext) -> None:
    shown = author(node, DOCUMENT)
    draft = author(node, document_data(title="Unfinished terms"), publish=False)

    page = client.get("/agreements", headers=HTML)

    assert page.status_code == 200
    assert f'href="/agreements/{shown}/versions/1">Registered survey data</a>' in page.text
    assert draft not in page.text and "Unfinished terms" not in page.text


def test_a_version_in_plain_language_beside_its_machine_form(
    client: TestClient, node: NodeContext
) -> None:
    agreement_id = author(node, DOCUMENT)

    page = client.get(f"/agreements/{agreement_id}/versions/1", headers=HTML).text

    assert f'<code id="ref">{agreement_id}@v1</code>' in page
    assert "Permitted use:" in page and "(NCU)" in page
    assert "Every released cell counts at least 15 people." in page
    assert "min_cell_count: 15" in page, "the machine form as YAML"
    for suffix in ("agreement.yaml", "agreement.json", "odrl.jsonld"):
        assert f'href="/agreements/{agreement_id}/versions/1/{suffix}"' in page
    assert 'href="/agreements/agreement.schema.json"' in page


def test_downloads_read_back_as_the_published_document(
    client: TestClient, node: NodeContext
) -> None:
    agreement_id = author(node, DOCUMENT)
    base = f"/agreements/{agreement_id}/versions/1"
    published = parse_agreement(DOCUMENT)

    as_yaml = client.get(f"{base}/agreement.yaml")
    as_json = client.get(f"{base}/agreement.json")
    as_odrl = client.get(f"{base}/odrl.jsonld")

    assert as_yaml.headers["content-type"].startswith("application/yaml")
    assert parse_agreement(yaml.safe_load(as_yaml.text)) == published
    assert json.loads(as_json.text) == published.as_data()
    assert as_odrl.headers["content-type"].startswith("application/ld+json")
    policy = json.loads(as_odrl.text)
    assert policy["uid"] == f"http://testserver{base}"
    assert agreement_from_odrl(policy) == published


def test_the_json_schema_is_published(client: TestClient) -> None:
    answer = client.get("/agreements/agreement.schema.json")

    assert answer.headers["content-type"].startswith("application/schema+json")
    assert answer.json() == json_schema()


def test_an_agreement_leads_to_its_newest_version(client: TestClient, node: NodeContext) -> None:
    agreement_id = author(node, DOCUMENT)

    answer = client.get(f"/agreements/{agreement_id}", follow_redirects=False)

    assert answer.status_code == 303
    assert answer.headers["location"] == f"/agreements/{agreement_id}/versions/1"


def test_drafts_and_unknown_agreements_are_not_found(client: TestClient, node: NodeContext) -> None:
    draft = author(node, DOCUMENT, publish=False)

    for path in (
        f"/agreements/{draft}/versions/1",
        f"/agreements/{draft}/versions/1/agreement.yaml",
        f"/agreements/{draft}",
        "/agreements/agr_nothing/versions/1",
        "/agreements/agr_nothing/versions/1/odrl.jsonld",
    ):
        answer = client.get(path, headers=HTML, follow_redirects=False)
        assert answer.status_code == 404, path
