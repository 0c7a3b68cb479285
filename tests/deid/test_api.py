"""The de-identification API end to end, on SQLite and PostgreSQL: scan, plan, run; the derived
version, its provenance and its ledger events; refusals that publish nothing."""

from __future__ import annotations

import io
from typing import Any

import pyarrow.csv as pacsv
import pytest
import yaml
from fastapi.testclient import TestClient
from pycanon import anonymity
from sqlalchemy import func, select

from accord.agreements import service as agreements
from accord.agreements.templates import template_text
from accord.catalog.models import Dataset
from accord.identity.permissions import Role
from accord.identity.principal import local_operator
from accord.ledger.models import LedgerEntry
from accord.node import NodeContext
from tests.catalog.conftest import assert_problem
from tests.conftest import Account, MakeAccount
from tests.deid.conftest import frame, spec

QUASI = ["age", "admitted", "postcode", "region", "sex"]


def source_ref(source: dict[str, Any]) -> dict[str, Any]:
    return {"dataset_id": source["dataset_id"], "version": source["number"]}


def derive(client: TestClient, steward: Account, source: dict[str, Any], **body: Any) -> Any:
    payload = {"source": source_ref(source), "spec": spec(), **body}
    return client.post("/api/v1/derivations", headers=steward.headers, json=payload)


def deid_events(node: NodeContext) -> list[str]:
    with node.session() as s:
        return list(
            s.scalars(
                select(LedgerEntry.event_type)
                .where(LedgerEntry.event_type.like("deid.%"))
                .order_by(LedgerEntry.seq)
            ).all()
        )


def dataset_count(node: NodeContext) -> int:
    with node.session() as s:
        return int(s.scalar(select(func.count()).select_from(Dataset)) or 0)


def test_scan_flags_direct_identifiers_without_values(
    client: TestClient, steward: Account, source: dict[str, Any]
) -> None:
    response = client.post(
        "/api/v1/identifier-scans", headers=steward.headers, json=source_ref(source)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    kinds = {f["column"]: f["kind"] for f in body["findings"]}
    assert kinds["email"] == "email"
    assert kinds["phone"] == "phone"
    assert kinds["national_id"] == "national-id"
    assert kinds["name"] == "person-name"
    assert kinds["age"] == "quasi-identifier"
    assert "diagnosis" not in kinds and "visit" not in kinds
    assert body["rows"] == 240
    assert "@example.org" not in response.text  # findings never carry values
    assert set(body["starter_spec"]["drop"]) >= {"email", "phone", "name"}


def test_plan_reports_without_storing(
    client: TestClient, steward: Account, source: dict[str, Any], node: NodeContext
) -> None:
    before = dataset_count(node)
    response = client.post(
        "/api/v1/derivation-plans",
        headers=steward.headers,
        json={"source": source_ref(source), "spec": spec()},
    )
    assert response.status_code == 200, response.text
    report = response.json()["report"]
    assert report["k_achieved"] >= 5 and report["records_in"] == 240
    assert dataset_count(node) == before
    assert deid_events(node) == []


def test_run_derives_a_k_anonymous_version_linked_to_its_source(
    client: TestClient, steward: Account, source: dict[str, Any], node: NodeContext
) -> None:
    response = derive(client, steward, source, publish=True)
    assert response.status_code == 201, response.text
    derivation = response.json()
    derived = derivation["derived"]
    assert derived["state"] == "published" and derived["tier"] == "registered"
    assert derivation["report"]["k_achieved"] >= 5 == derivation["spec"]["k"]

    version = client.get(
        f"/api/v1/datasets/{derived['dataset_id']}/versions/{derived['version']}"
    ).json()
    metadata = version["metadata"]
    assert metadata["tier"] == "registered"
    links = [r for r in metadata["related_identifiers"] if r["relation_type"] == "IsDerivedFrom"]
    assert links[0]["related_identifier"].endswith(
        f"/datasets/{source['dataset_id']}/versions/{source['number']}"
    )
    methods = [d for d in metadata["descriptions"] if d["description_type"] == "Methods"]
    assert derivation["id"] in methods[0]["description"]
    assert "Equivalence-class sizes (size: classes)" in methods[0]["description"]

    table = _download(client, steward, version)
    assert set(table.column_names) == {"patient_id", "national_id", *QUASI, "diagnosis", "visit"}
    assert anonymity.k_anonymity(frame(table), QUASI) >= 5
    assert deid_events(node) == ["deid.spec.recorded", "deid.derivation.created"]


def test_the_source_is_untouched(
    client: TestClient, steward: Account, source: dict[str, Any]
) -> None:
    path = f"/api/v1/datasets/{source['dataset_id']}/versions/{source['number']}"
    before = client.get(path, headers=steward.headers).json()
    assert derive(client, steward, source).status_code == 201
    after = client.get(path, headers=steward.headers).json()
    assert after["files"] == before["files"] and after["state"] == "published"
    assert after["metadata"] == before["metadata"]


def test_provenance_is_prov_o(client: TestClient, steward: Account, source: dict[str, Any]) -> None:
    derivation = derive(client, steward, source, publish=True).json()
    response = client.get(derivation["provenance_href"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/ld+json")
    import rdflib

    graph = rdflib.Graph().parse(data=response.text, format="json-ld")
    prov = rdflib.Namespace("http://www.w3.org/ns/prov#")
    sources = list(graph.objects(None, prov.wasDerivedFrom))
    assert [str(s) for s in sources] == [
        f"http://testserver/datasets/{source['dataset_id']}/versions/{source['number']}"
    ]
    agents = list(graph.subjects(rdflib.RDF.type, prov.SoftwareAgent))
    assert agents and "accord" in str(graph.value(agents[0], rdflib.DCTERMS.title))


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"keep": ["visit", "no_such_column"]}, 422, "deid.unknown-column"),
        ({"k": 1000}, 422, "deid.k-unreachable"),
        ({"l": 9}, 422, "deid.l-unreachable"),
        ({"drop": ["name"], "keep": ["visit", "email", "phone"]}, 422, "deid.identifier-released"),
        ({"k": "ten"}, 422, "deid.invalid-spec"),
        (
            {
                "quasi_identifiers": [
                    {"column": "age", "kind": "range", "max_width": 1},
                    {"column": "sex", "kind": "category", "hierarchy": {"any": ["F", "M"]}},
                ],
                "max_suppression": 0.01,
            },
            422,
            "deid.too-much-suppression",
        ),
    ],
)
def test_bad_specs_are_refused_and_nothing_is_published(
    client: TestClient,
    steward: Account,
    source: dict[str, Any],
    node: NodeContext,
    changes: dict[str, Any],
    status: int,
    code: str,
) -> None:
    before = dataset_count(node)
    payload = {"source": source_ref(source), "spec": spec(**changes), "publish": True}
    response = client.post("/api/v1/derivations", headers=steward.headers, json=payload)
    assert_problem(response, status, code)
    assert dataset_count(node) == before
    assert deid_events(node) == []


def test_yaml_spec_with_a_syntax_error_is_refused(
    client: TestClient, steward: Account, source: dict[str, Any]
) -> None:
    payload = {"source": source_ref(source), "spec": "k: [10\nrelease: {tier: open"}
    response = client.post("/api/v1/derivations", headers=steward.headers, json=payload)
    assert_problem(response, 422, "deid.invalid-spec")


def test_only_stewards_of_the_source_derive(
    client: TestClient,
    source: dict[str, Any],
    make_account: MakeAccount,
    make_org: Any,
    admin: Account,
) -> None:
    researcher = make_account(Role.RESEARCHER)
    assert_problem(derive(client, researcher, source), 403, "forbidden")
    elsewhere = make_account(Role.RESEARCHER)
    scoped = {"role": "steward", "scope_kind": "organisation", "scope_id": make_org("Other")}
    added = client.post(f"/api/v1/users/{elsewhere.id}/roles", headers=admin.headers, json=scoped)
    assert added.status_code == 201, added.text
    token = client.post(
        "/api/v1/tokens",
        params={"user_id": elsewhere.id},
        headers=admin.headers,
        json={"name": "t"},
    ).json()["token"]
    elsewhere.token = token
    assert_problem(derive(client, elsewhere, source), 403, "deid.not-steward")


def test_draft_derivations_are_hidden_until_published(
    client: TestClient, steward: Account, source: dict[str, Any]
) -> None:
    derivation = derive(client, steward, source).json()
    assert derivation["derived"]["state"] == "draft"
    path = f"/api/v1/derivations/{derivation['id']}"
    assert_problem(client.get(path), 404, "deid.derivation-not-found")
    assert client.get(path, headers=steward.headers).status_code == 200
    listed = client.get("/api/v1/derivations", headers=steward.headers).json()
    assert [d["id"] for d in listed["items"]] == [derivation["id"]]


def test_destroying_the_key_is_logged_once(
    client: TestClient, steward: Account, source: dict[str, Any], node: NodeContext
) -> None:
    derivation = derive(client, steward, source).json()
    path = f"/api/v1/derivations/{derivation['id']}/key-destruction"
    body = {"reason": "release is final; no re-linking foreseen"}
    response = client.post(path, headers=steward.headers, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["key_state"] == "destroyed"
    assert_problem(client.post(path, headers=steward.headers, json=body), 409, "deid.key-destroyed")
    assert deid_events(node)[-1] == "deid.key.destroyed"
    with node.session() as s:
        from accord.deid.models import DerivationKey

        key = s.get(DerivationKey, derivation["id"])
        assert key is not None and key.wrapped is None


def _download(client: TestClient, steward: Account, version: dict[str, Any]) -> Any:
    content = client.get(version["files"][0]["content_url"], headers=steward.headers)
    assert content.status_code == 200, content.text
    return pacsv.read_csv(
        io.BytesIO(content.content),
        convert_options=pacsv.ConvertOptions(
            strings_can_be_null=True,
            column_types=dict.fromkeys(content.text.splitlines()[0].split(","), "string"),
        ),
    )


def published_agreement(node: NodeContext, template: str) -> str:
    """``agr_…@v1`` of a published agreement made from one of the shipped templates."""
    with node.session() as s:
        version = agreements.create_agreement(
            s, local_operator(), yaml.safe_load(template_text(template))
        )
        agreements.publish(s, local_operator(), version.agreement_id, 1)
        s.commit()
        return f"{version.agreement_id}@v1"


def test_the_spec_agreement_governs_the_derived_version(
    client: TestClient, steward: Account, source: dict[str, Any], node: NodeContext
) -> None:
    ref = published_agreement(node, "registered")
    release = {"tier": "registered", "agreement": ref}
    response = derive(client, steward, source, spec=spec(release=release))
    assert response.status_code == 201, response.text
    with node.session() as s:
        governing = agreements.governing(s, _version_id(client, steward, response.json()))
        assert governing is not None and agreements.ref_of(governing) == ref


def test_an_agreement_for_another_tier_is_refused_before_deriving(
    client: TestClient, steward: Account, source: dict[str, Any], node: NodeContext
) -> None:
    ref = published_agreement(node, "open-cc-by")
    before = dataset_count(node)
    release = {"tier": "registered", "agreement": ref}
    response = derive(client, steward, source, spec=spec(release=release))
    assert_problem(response, 422, "deid.agreement-tier-mismatch")
    assert dataset_count(node) == before


def _version_id(client: TestClient, steward: Account, derivation: dict[str, Any]) -> str:
    derived = derivation["derived"]
    path = f"/api/v1/datasets/{derived['dataset_id']}/versions/{derived['version']}"
    return str(client.get(path, headers=steward.headers).json()["id"])
