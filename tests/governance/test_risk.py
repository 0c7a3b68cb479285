"""Risk assessments through the API: recorded with the rules' recommendation, overridden only
with a justification, logged, summarised on the dataset page; bad input is refused clearly."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord.errors import Forbidden
from accord.governance import risk
from accord.governance.assessment import Assessment
from accord.identity import schemas as identity_schemas
from accord.identity import service as identity
from accord.identity.permissions import Role, ScopeKind
from accord.identity.principal import local_operator
from accord.node import NodeContext
from tests.conftest import MakeAccount
from tests.governance.conftest import Governed, event_types

GENOMIC = {
    "categories": ["genomic", "health"],
    "reidentification_risk": "high",
    "harm_if_misused": "medium",
    "export_control": False,
    "mitigations": ["ethics-approval"],
    "notes": "Whole-genome sequences of 300 participants.",
}


def _path(governed: Governed, number: int = 1) -> str:
    return f"/api/v1/datasets/{governed.dataset_id}/versions/{number}/risk-assessments"


def test_assessment_gets_the_rules_recommendation(
    client: TestClient, governed: Governed, node: NodeContext
) -> None:
    response = client.post(
        _path(governed), json={"assessment": GENOMIC}, headers=governed.steward.headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["recommendation"]["tier"] == "restricted"
    assert body["recommendation"]["mode"] == "sandbox"
    assert "output-checking" in body["recommendation"]["safeguards"]
    assert "highly-identifiable" in [r["rule"] for r in body["recommendation"]["reasons"]]
    assert (body["chosen_tier"], body["overridden"], body["number"]) == ("restricted", False, 1)
    assert event_types(node, "governance.assessment") == ["governance.assessment.recorded"]

    again = client.post(
        _path(governed),
        json={"assessment": {**GENOMIC, "reidentification_risk": "medium"}},
        headers=governed.steward.headers,
    ).json()
    assert again["number"] == 2
    history = client.get(_path(governed)).json()
    assert [a["number"] for a in history] == [2, 1]
    assert "notes" not in history[0]["assessment"]  # the public sees no steward notes
    own = client.get(_path(governed), headers=governed.steward.headers).json()
    assert own[0]["assessment"]["notes"].startswith("Whole-genome")


def test_override_needs_a_justification_and_is_logged(
    client: TestClient, governed: Governed, node: NodeContext
) -> None:
    choice: dict[str, Any] = {"tier": "controlled", "mode": "sandbox", "justification": "short"}
    refused = client.post(
        _path(governed),
        json={"assessment": GENOMIC, "choice": choice},
        headers=governed.steward.headers,
    )
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["code"] == "governance.justification-required"
    assert problem["errors"][0]["location"] == "choice.justification"

    choice["justification"] = "Participants consented to broad research use under committee review."
    accepted = client.post(
        _path(governed),
        json={"assessment": GENOMIC, "choice": choice},
        headers=governed.steward.headers,
    )
    assert accepted.status_code == 201, accepted.text
    body = accepted.json()
    assert body["overridden"] is True and body["chosen_tier"] == "controlled"
    assert body["recommendation"]["tier"] == "restricted"
    assert event_types(node, "governance.assessment") == [
        "governance.assessment.recorded",
        "governance.assessment.overridden",
    ]

    page = client.get(f"/datasets/{governed.dataset_id}/versions/1")
    assert page.status_code == 200
    assert "Risk assessment" in page.text and "Participants consented" in page.text


def test_choosing_what_the_rules_recommend_is_no_override(
    client: TestClient, governed: Governed
) -> None:
    body = {"assessment": GENOMIC, "choice": {"tier": "restricted", "mode": "sandbox"}}
    answer = client.post(_path(governed), json=body, headers=governed.steward.headers)
    assert answer.status_code == 201 and answer.json()["overridden"] is False


def test_wrong_role_is_refused(client: TestClient, governed: Governed) -> None:
    answer = client.post(
        _path(governed), json={"assessment": GENOMIC}, headers=governed.researcher.headers
    )
    assert answer.status_code == 403
    assert answer.json()["type"] == "/problems/forbidden"
    anonymous = client.post(_path(governed), json={"assessment": GENOMIC})
    assert anonymous.status_code == 401


def test_steward_of_another_organisation_is_refused(
    governed: Governed, node: NodeContext, make_account: MakeAccount, make_org: Any
) -> None:
    other = make_org("Elsewhere", "BR")
    account = make_account(Role.RESEARCHER, organisation_id=other)
    with node.session() as s:
        user = identity.add_role(
            s,
            local_operator(),
            account.id,
            identity_schemas.RoleAdd(
                role=Role.STEWARD, scope_kind=ScopeKind.ORGANISATION, scope_id=other
            ),
        )
        steward = identity.principal_for(user, via="token")
        with pytest.raises(Forbidden) as refused:
            risk.assess(s, steward, governed.dataset_id, 1, Assessment.model_validate(GENOMIC))
        assert refused.value.code == "governance.not-steward"


def test_unknown_dataset_or_version(client: TestClient, governed: Governed) -> None:
    missing = client.post(
        "/api/v1/datasets/ds_nothing/versions/1/risk-assessments",
        json={"assessment": GENOMIC},
        headers=governed.steward.headers,
    )
    assert missing.status_code == 404
    assert missing.json()["code"] == "catalog.dataset-not-found"
    no_version = client.post(
        _path(governed, 7), json={"assessment": GENOMIC}, headers=governed.steward.headers
    )
    assert (no_version.status_code, no_version.json()["code"]) == (
        404,
        "catalog.version-not-found",
    )


@pytest.mark.parametrize(
    ("assessment", "location"),
    [
        ({**GENOMIC, "reidentification_risk": "extreme"}, "reidentification_risk"),
        ({**GENOMIC, "categories": ["astrology"]}, "categories"),
        ({**GENOMIC, "categories": ["health", "health"]}, "categories"),
        ({k: v for k, v in GENOMIC.items() if k != "harm_if_misused"}, "harm_if_misused"),
        ({**GENOMIC, "colour": "red"}, "colour"),
        ({**GENOMIC, "notes": "x" * 5000}, "notes"),
    ],
)
def test_malformed_assessment_is_a_422_naming_the_field(
    client: TestClient, governed: Governed, assessment: dict[str, Any], location: str
) -> None:
    answer = client.post(
        _path(governed), json={"assessment": assessment}, headers=governed.steward.headers
    )
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["type"].startswith("/problems/")
    assert any(location in e["location"] for e in problem["errors"]), problem


def test_published_rules_are_public(client: TestClient) -> None:
    rules = client.get("/api/v1/risk-rules").json()
    assert rules["format"] == 1 and rules["rules"]
    assert {"id", "when", "then", "because"} <= set(rules["rules"][0])
