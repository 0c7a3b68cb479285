"""The agreements API over a real node: author, publish, read in plain language, attach, check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from accord.agreements import api as agreements_api
from accord.agreements.models import AgreementVersion
from accord.agreements.templates import template_text
from accord.identity.permissions import Role
from accord.ledger.models import LedgerEntry
from accord.node import NodeContext
from tests.conftest import Account, MakeAccount

DV = "dv_01JD3AAAAAAAAAAAAAAAAAAAAA"


@pytest.fixture
def api(app: FastAPI) -> Iterator[TestClient]:
    if not any(getattr(r, "path", "") == "/api/v1/agreements" for r in app.routes):
        app.include_router(agreements_api.router)
    with TestClient(app, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def steward(make_account: MakeAccount) -> Account:
    return make_account(Role.STEWARD)


@pytest.fixture
def researcher(make_account: MakeAccount) -> Account:
    return make_account(Role.RESEARCHER, country="BR")


def template(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(template_text(name))
    return data


def events(node: NodeContext) -> list[str]:
    with node.session() as s:
        rows = s.scalars(select(LedgerEntry.event_type).order_by(LedgerEntry.seq))
        return [t for t in rows if t.startswith("agreements.")]


def published(
    api: TestClient, steward: Account, name: str = "controlled-health", **changes: Any
) -> dict[str, Any]:
    created = api.post(
        "/api/v1/agreements", json={**template(name), **changes}, headers=steward.headers
    )
    assert created.status_code == 201, created.text
    version = created.json()
    done = api.post(
        f"/api/v1/agreements/{version['agreement_id']}/versions/1/publication",
        headers=steward.headers,
    )
    assert done.status_code == 200, done.text
    body: dict[str, Any] = done.json()
    return body


def test_author_publish_and_read(api: TestClient, steward: Account, node: NodeContext) -> None:
    version = published(api, steward)

    assert version["state"] == "published"
    assert version["ref"] == f"{version['agreement_id']}@v1"
    assert len(version["sha256"]) == 64
    public = api.get(f"/api/v1/agreements/{version['agreement_id']}/versions/1")
    assert public.status_code == 200
    assert public.json()["document"]["duo"]["permission"] == "HMB"
    assert events(node) == [
        "agreements.agreement.created",
        "agreements.version.created",
        "agreements.version.published",
    ]
    listed = api.get("/api/v1/agreements").json()
    assert [a["id"] for a in listed["items"]] == [version["agreement_id"]]


def test_the_explanation_sits_beside_the_machine_form(
    api: TestClient, steward: Account, researcher: Account
) -> None:
    version = published(api, steward)

    page = api.get(f"/api/v1/agreements/{version['agreement_id']}/versions/1/explanation").json()
    refused = api.post(
        "/api/v1/agreements", json=template("registered"), headers=researcher.headers
    )

    headings = [section["heading"] for section in page["sections"]]
    assert headings[:2] == ["Who may use it", "For what"]
    assert "Ethics approval required (IRB)." in page["sections"][1]["lines"]
    assert page["document"] == version["document"]
    assert refused.status_code == 403


def test_an_invalid_agreement_is_refused_and_nothing_is_stored(
    api: TestClient, steward: Account, node: NodeContext
) -> None:
    bad = template("controlled-health")
    bad["duo"]["modifiers"] = ["IRB", "NPU", "DUO:9999999"]

    answer = api.post("/api/v1/agreements", json=bad, headers=steward.headers)

    assert answer.status_code == 422
    problem = answer.json()
    assert problem["type"] == "/problems/agreement.invalid-duo-code"
    assert problem["errors"][0]["location"] == "duo.modifiers[2].code"
    with node.session() as s:
        assert s.scalar(select(func.count()).select_from(AgreementVersion)) == 0
    assert events(node) == []


def test_published_versions_do_not_change(api: TestClient, steward: Account) -> None:
    version = published(api, steward)
    path = f"/api/v1/agreements/{version['agreement_id']}/versions"

    edit = api.put(f"{path}/1", json=template("registered"), headers=steward.headers)
    again = api.post(f"{path}/1/publication", headers=steward.headers)
    newer = api.post(path, json=template("registered"), headers=steward.headers)

    assert (edit.status_code, edit.json()["code"]) == (409, "agreements.version-published")
    assert again.status_code == 409
    assert (newer.status_code, newer.json()["number"], newer.json()["state"]) == (201, 2, "draft")


def attached(api: TestClient, steward: Account, version: dict[str, Any]) -> None:
    answer = api.post(
        f"/api/v1/agreements/{version['agreement_id']}/attachments",
        json={"dataset_version_id": DV, "version": version["number"]},
        headers=steward.headers,
    )
    assert answer.status_code == 201, answer.text


def test_attach_then_check(
    api: TestClient, steward: Account, researcher: Account, node: NodeContext
) -> None:
    here = node.identity.jurisdiction
    version = published(
        api,
        steward,
        "localised",
        residency={"jurisdictions": ["BR", here]},
        export={"allowed": ["BR", here]},
    )
    attached = api.post(
        f"/api/v1/agreements/{version['agreement_id']}/attachments",
        json={"dataset_version_id": DV, "version": 1},
        headers=steward.headers,
    )
    assert attached.status_code == 201, attached.text
    question: dict[str, Any] = {
        "dataset": DV,
        "purpose": ["HMB"],
        "country": "DE",
        "accreditations": [{"kind": "researcher"}],
    }

    answer = api.post("/api/v1/agreement-checks", json=question, headers=researcher.headers)

    assert answer.status_code == 200, answer.text
    decision = answer.json()
    assert (decision["outcome"], decision["mode"]) == ("permit", "sandbox")
    assert decision["agreement"] == version["ref"]
    assert "residency.sandbox-only" in {r["code"] for r in decision["reasons"]}
    assert "agreements.version.attached" in events(node)


def test_a_node_outside_the_residency_cannot_serve_the_data(
    api: TestClient, steward: Account, researcher: Account, node: NodeContext
) -> None:
    elsewhere = "BR" if node.identity.jurisdiction != "BR" else "PT"
    version = published(
        api, steward, "localised", residency={"jurisdictions": [elsewhere]}, export={}
    )
    attached(api, steward, version)
    question = {
        "dataset": DV,
        "purpose": ["HMB"],
        "country": "KE",
        "accreditations": [{"kind": "researcher"}],
    }

    decision = api.post(
        "/api/v1/agreement-checks", json=question, headers=researcher.headers
    ).json()

    assert decision["outcome"] == "deny"
    assert "residency.node-outside" in {r["code"] for r in decision["reasons"]}


def test_a_check_names_the_refusing_clause(
    api: TestClient, steward: Account, researcher: Account
) -> None:
    attached(api, steward, published(api, steward))
    question = {"dataset": DV, "purpose": ["POA"], "country": "BR", "commercial": True}

    decision = api.post(
        "/api/v1/agreement-checks", json=question, headers=researcher.headers
    ).json()

    assert decision["outcome"] == "deny"
    refusing = {r["clause"]["ref"] for r in decision["reasons"] if r["effect"] == "deny"}
    assert {"duo.permission", "accreditations[0]", "duo.modifiers[0]"} <= refusing


def test_a_draft_is_private_editable_and_single(api: TestClient, steward: Account) -> None:
    created = api.post("/api/v1/agreements", json=template("registered"), headers=steward.headers)
    agreement_id = created.json()["agreement_id"]
    path = f"/api/v1/agreements/{agreement_id}/versions"

    hidden = api.get(f"/api/v1/agreements/{agreement_id}")
    hidden_version = api.get(f"{path}/1")
    seen = api.get(f"/api/v1/agreements/{agreement_id}", headers=steward.headers)
    edited = api.put(f"{path}/1", json=template("open-cc-by"), headers=steward.headers)
    second = api.post(path, json=template("registered"), headers=steward.headers)
    attach = api.post(
        f"/api/v1/agreements/{agreement_id}/attachments",
        json={"dataset_version_id": DV, "version": 1},
        headers=steward.headers,
    )

    assert (hidden.status_code, hidden_version.status_code) == (404, 404)
    assert seen.json()["versions"][0]["state"] == "draft"
    assert (edited.json()["tier"], edited.json()["sha256"] != created.json()["sha256"]) == (
        "open",
        True,
    )
    assert (second.status_code, second.json()["code"]) == (409, "agreements.draft-open")
    assert (attach.status_code, attach.json()["code"]) == (409, "agreements.not-published")


def test_a_dataset_version_keeps_its_agreement(api: TestClient, steward: Account) -> None:
    attached(api, steward, published(api, steward))
    second = published(api, steward, "registered")

    answer = api.post(
        f"/api/v1/agreements/{second['agreement_id']}/attachments",
        json={"dataset_version_id": DV, "version": 1},
        headers=steward.headers,
    )

    assert (answer.status_code, answer.json()["code"]) == (409, "agreements.already-attached")


def test_bad_questions_get_clear_answers(
    api: TestClient, steward: Account, researcher: Account
) -> None:
    def ask(**question: Any) -> tuple[int, str | None]:
        body = {"dataset": DV, "purpose": ["HMB"], "country": "BR", **question}
        answer = api.post("/api/v1/agreement-checks", json=body, headers=researcher.headers)
        return answer.status_code, answer.json().get("code")

    ungoverned = ask()
    attached(api, steward, published(api, steward))

    assert ungoverned == (404, "agreements.none-attached")
    assert ask(purpose=["XYZ"]) == (422, "agreements.unknown-purpose-term")
    assert ask(country="XX")[0] == 422
    assert ask(dataset="ds_unknown")[1] == "catalog.dataset-not-found"
