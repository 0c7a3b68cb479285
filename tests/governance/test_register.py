"""The public governance register: appointing grants the role and publishes the seat, ending
a term removes it, declarations update in place; every change is logged."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from accord.access import authority
from accord.identity.permissions import Role
from accord.node import NodeContext
from tests.conftest import MakeAccount
from tests.governance.conftest import Governed, event_types


def _appoint(client: TestClient, governed: Governed, **changes: Any) -> Any:
    body = {
        "user_id": governed.researcher.id,
        "body": "committee",
        "scope_kind": "organisation",
        "scope_id": governed.organisation_id,
        "term_start": "2026-01-01",
        "term_end": "2028-12-31",
        "interests": ["Advisor to a malaria vaccine developer"],
        **changes,
    }
    return client.post(
        "/api/v1/governance-register/memberships", json=body, headers=governed.admin.headers
    )


def test_appointment_term_interests_and_departure(
    client: TestClient, governed: Governed, node: NodeContext, make_account: MakeAccount
) -> None:
    make_account(Role.REVIEWER)
    appointed = _appoint(client, governed)
    assert appointed.status_code == 201, appointed.text
    seat = next(e for e in appointed.json() if e["body"] == "committee")
    assert seat["declared"] is True and seat["term_end"] == "2028-12-31"
    assert seat["interests"] == ["Advisor to a malaria vaccine developer"]
    with node.session() as s:
        members = authority.committee_members(s, governed.organisation_id, governed.dataset_id)
    assert governed.researcher.id in members  # the access workflow sees the new member

    public = client.get("/api/v1/governance-register").json()
    undeclared = next(e for e in public if e["body"] == "review-body")
    assert undeclared["declared"] is False and undeclared["name"] == reviewer_name(public)

    declared = client.post(
        f"/api/v1/governance-register/memberships/{seat['membership_id']}/interests",
        json={"interests": []},
        headers=governed.researcher.headers,
    )
    assert declared.status_code == 200, declared.text
    stranger = client.post(
        f"/api/v1/governance-register/memberships/{seat['membership_id']}/interests",
        json={"interests": ["x"]},
        headers=governed.steward.headers,
    )
    assert stranger.status_code == 403

    ended = client.post(
        f"/api/v1/governance-register/memberships/{seat['membership_id']}/ending",
        json={"reason": "Resigned on joining the vaccine developer"},
        headers=governed.admin.headers,
    )
    assert ended.status_code == 200, ended.text
    past = next(e for e in ended.json() if e["membership_id"] == seat["membership_id"])
    assert past["ended_at"] and past["end_reason"].startswith("Resigned")
    with node.session() as s:
        members = authority.committee_members(s, governed.organisation_id, governed.dataset_id)
    assert governed.researcher.id not in members
    again = client.post(
        f"/api/v1/governance-register/memberships/{seat['membership_id']}/ending",
        json={"reason": "twice"},
        headers=governed.admin.headers,
    )
    assert (again.status_code, again.json()["code"]) == (409, "governance.member-ended")
    assert event_types(node, "governance.") == [
        "governance.member.appointed",
        "governance.interests.declared",
        "governance.member.left",
    ]
    assert event_types(node, "identity.role.")[-2:] == [
        "identity.role.granted",
        "identity.role.revoked",
    ]
    page = client.get("/governance/register")
    assert page.status_code == 200 and "Resigned on joining" in page.text


def reviewer_name(entries: list[dict[str, Any]]) -> str:
    return str(next(e["name"] for e in entries if e["body"] == "review-body"))


def test_register_refusals(client: TestClient, governed: Governed) -> None:
    backwards = _appoint(client, governed, term_end="2025-01-01")
    assert (backwards.status_code, backwards.json()["code"]) == (422, "governance.invalid-term")
    nobody = _appoint(client, governed, user_id="usr_nobody")
    assert nobody.status_code == 404
    wrong_role = client.post(
        "/api/v1/governance-register/memberships",
        json={
            "user_id": governed.researcher.id,
            "body": "committee",
            "term_start": "2026-01-01",
            "term_end": "2027-01-01",
        },
        headers=governed.steward.headers,
    )
    assert wrong_role.status_code == 403
    assert _appoint(client, governed).status_code == 201
    twice = _appoint(client, governed)
    assert (twice.status_code, twice.json()["code"]) == (409, "governance.member-exists")
    bad_body = _appoint(client, governed, body="senate")
    assert bad_body.status_code == 422
